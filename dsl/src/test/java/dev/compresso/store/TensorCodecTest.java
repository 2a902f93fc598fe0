package dev.compresso.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The relative index coding with filler zeros, and codebook versus raw values, on one section. */
class TensorCodecTest {

    /** A cursor over one tensor section's payload, in a file of the given format version. */
    static Cursor section(byte[] payload, int version) {
        Cursor c = new Cursor(payload, "m.cmpr");
        c.section = "tensor section 1 of 1";
        c.version = version;
        return c;
    }

    static TensorCodec.Decoded roundTrip(Tensor t, int bits, boolean raw) throws PackedFileException {
        TensorCodec.Encoded e = TensorCodec.encode(t, bits, raw);
        TensorCodec.Decoded d = TensorCodec.decode(section(e.payload(), PackedFile.FORMAT_VERSION));
        assertEquals(t.name(), d.tensor().name());
        assertArrayEquals(t.shape(), d.tensor().shape());
        assertBitsEqual(t.values(), d.tensor().values());
        assertEquals(e.breakdown(), d.breakdown(), "the reader's breakdown equals the writer's");
        return d;
    }

    /** Bit-for-bit equality, except that −0.0 reads back as +0.0. */
    static void assertBitsEqual(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            int want = Float.floatToRawIntBits(expected[i]);
            if (want == 0x8000_0000) {
                want = 0;
            }
            assertEquals(want, Float.floatToRawIntBits(actual[i]), "element " + i);
        }
    }

    /** A tensor with non-zeros (value 1.5) exactly at the given positions. */
    private static Tensor at(int size, int... positions) {
        float[] v = new float[size];
        for (int p : positions) {
            v[p] = 1.5f;
        }
        return new Tensor("w", new long[] {1, size}, v);
    }

    @Test
    void gapsAroundTheFillerBoundary() throws Exception {
        for (int b : new int[] {1, 2, 3, 5, 8}) {
            int m = 1 << b;
            // gaps (zeros before each non-zero): 0, m-1, m, m+1, 2m, 3m-1, then a long run
            int[] gaps = {0, m - 1, m, m + 1, 2 * m, 3 * m - 1, 50 * m + 3};
            int[] pos = new int[gaps.length];
            int p = -1;
            long fillers = 0;
            for (int i = 0; i < gaps.length; i++) {
                p += gaps[i] + 1;
                pos[i] = p;
                fillers += gaps[i] / m;
            }
            Tensor t = at(p + 1 + 7, pos); // 7 trailing zeros stay implicit
            for (boolean raw : new boolean[] {false, true}) {
                LayerBreakdown s = roundTrip(t, b, raw).breakdown();
                assertEquals(fillers, s.fillerZeros(), "b=" + b);
                assertEquals(gaps.length, s.nonZeros());
                assertEquals(raw, s.raw());
            }
        }
    }

    @Test
    void sixteenBitIndicesAndLongRuns() throws Exception {
        Tensor t = at(1_000_000, 0, 65_535, 65_535 + 65_536 + 1, 999_999);
        LayerBreakdown s = roundTrip(t, 16, false).breakdown();
        assertEquals(14, s.fillerZeros()); // 65534/65536=0, 65536/65536=1, 868926/65536=13
        roundTrip(t, 1, false); // b=1: a filler per two zeros
    }

    @Test
    void allZerosDenseAndTinyTensors() throws Exception {
        LayerBreakdown zeros = roundTrip(new Tensor("z", new long[] {30, 40}, new float[1200]), 5, false).breakdown();
        assertEquals(0, zeros.nonZeros());
        assertEquals(0, zeros.fillerZeros(), "trailing zeros are implicit: no entries at all");

        float[] dense = new float[500];
        Random r = new Random(3);
        for (int i = 0; i < dense.length; i++) {
            dense[i] = 1 + r.nextInt(7);
        }
        LayerBreakdown d = roundTrip(new Tensor("d", new long[] {20, 25}, dense), 5, false).breakdown();
        assertEquals(500, d.nonZeros());
        assertEquals(7, d.codebookSize());
        assertEquals(1.0, d.indexBitsAfter(), 1e-9, "all gaps are 0: one bit each");
        LayerBreakdown best = roundTrip(new Tensor("d", new long[] {20, 25}, dense), 0, false).breakdown();
        assertEquals(0, best.indexBits(), "with the width left to the writer, a tensor without zeros is stored densely");
        assertEquals(0, best.indexStreamBits());
        assertTrue(best.storedBytes() <= d.storedBytes() - 500 / 8 + 5, best + " vs " + d);

        roundTrip(new Tensor("one", new long[] {1}, new float[] {42f}), 5, true);
        roundTrip(new Tensor("one0", new long[] {1}, new float[] {0f}), 5, true);
        roundTrip(new Tensor("scalar", new long[] {}, new float[] {-3f}), 5, false);
        roundTrip(new Tensor("empty", new long[] {0, 7}, new float[0]), 5, false);
    }

    @Test
    void specialValuesKeepTheirBits() throws Exception {
        float[] v = {
            -0.0f, 0.0f, Float.NaN, Float.intBitsToFloat(0x7fc0_0001), Float.intBitsToFloat(0xffc0_0000),
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MAX_VALUE,
            1f, -1f, 1f, -0.0f
        };
        Tensor small = new Tensor("special", new long[] {2, 7}, v);
        assertTrue(roundTrip(small, 3, false).breakdown().raw(), "10 distinct of 11: the codebook would not pay");
        float[] many = new float[v.length * 50];
        for (int i = 0; i < many.length; i++) {
            many[i] = v[i % v.length];
        }
        Tensor t = new Tensor("special", new long[] {50, 14}, many);
        LayerBreakdown s = roundTrip(t, 3, false).breakdown();
        assertEquals(550, s.nonZeros(), "−0.0 and +0.0 are zeros and not stored");
        assertFalse(s.raw());
        assertEquals(10, s.codebookSize());
        roundTrip(t, 3, true);
    }

    @Test
    void manyDistinctValuesFallBackToRaw() throws Exception {
        float[] v = new float[70_000];
        for (int i = 0; i < v.length; i++) {
            v[i] = i + 1;
        }
        LayerBreakdown s = roundTrip(new Tensor("distinct", new long[] {700, 100}, v), 5, false).breakdown();
        assertTrue(s.raw(), "70,000 distinct values exceed the 65,536-entry codebook");
        assertEquals(32, s.codeBitsBefore());
    }

    @Test
    void randomSparseTensorsRoundTrip() throws Exception {
        Random r = new Random(11);
        for (int trial = 0; trial < 60; trial++) {
            int size = 1 + r.nextInt(5000);
            double density = r.nextDouble() * r.nextDouble();
            int distinct = 1 + r.nextInt(300);
            float[] v = new float[size];
            for (int i = 0; i < size; i++) {
                if (r.nextDouble() < density) {
                    v[i] = (r.nextInt(distinct) - distinct / 2) * 0.01f;
                }
            }
            int bits = r.nextInt(17); // 0: the best width
            roundTrip(new Tensor("t" + trial, new long[] {size}, v), bits, r.nextBoolean());
            roundTrip(new Tensor("t" + trial, new long[] {1, size}, v), bits, false);
        }
    }

    @Test
    void denseLayoutKeepsEveryValueAndPaysNoIndex() throws Exception {
        Random r = new Random(5);
        float[] shared = new float[4096]; // one-bit sharing: two values, a few zeros (one of them -0.0)
        float[] raw = new float[4096]; // all distinct
        for (int i = 0; i < shared.length; i++) {
            shared[i] = r.nextBoolean() ? 0.25f : -0.125f;
            raw[i] = (float) r.nextGaussian();
        }
        shared[7] = 0f;
        shared[100] = -0f;
        raw[9] = -0f;
        LayerBreakdown s1 = roundTrip(new Tensor("shared", new long[] {64, 64}, shared), 0, false).breakdown();
        assertEquals(0, s1.indexBits());
        assertEquals(4094, s1.nonZeros());
        assertEquals(2, s1.codebookSize());
        // three symbols (zero and two values): Huffman gives 1 and 2 bits, at most 1.5 bits an element
        assertTrue(s1.codeStreamBits() <= 4096 * 3 / 2 + 8, "at most 1.5 bits an element: " + s1.codeStreamBits());
        LayerBreakdown sparse = roundTrip(new Tensor("shared", new long[] {64, 64}, shared), 1, false).breakdown();
        // sparse with 1-bit indices: 1 bit of code and 1 of index an element; dense: at most 1.5
        assertTrue(s1.storedBytes() < 0.8 * sparse.storedBytes(), s1 + " vs " + sparse);
        LayerBreakdown r1 = roundTrip(new Tensor("raw", new long[] {4096}, raw), 0, true).breakdown();
        assertTrue(r1.raw());
        assertEquals(0, r1.indexBits());
        assertEquals(4095, r1.nonZeros());
        assertTrue(r1.storedBytes() <= 4L * 4096 + 30, "raw and dense costs 4 bytes an element: " + r1.storedBytes());
    }

    @Test
    void aDenseSectionInAVersionOneFileIsRejected() {
        float[] v = {1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2};
        TensorCodec.Encoded e = TensorCodec.encode(new Tensor("d", new long[] {16}, v), 0, false);
        assertEquals(TensorCodec.MODE_DENSE_CODEBOOK, e.payload()[2 + 1 + 1 + 8]);
        Cursor c = section(e.payload(), 1);
        PackedFileException ex = org.junit.jupiter.api.Assertions.assertThrows(PackedFileException.class, () -> TensorCodec.decode(c));
        assertTrue(ex.getMessage().contains("mode 2 (dense) exists from format version 2; this file is version 1"), ex.getMessage());
    }

    @Test
    void perChannelQuantizedWeightsAreStoredAsRowScales() throws Exception {
        // 300 x 784, as notebook 02's first layer: one scale a row leaves ≤ 2^b values a row, thousands in all
        for (int bits : new int[] {3, 8}) {
            for (boolean symmetric : new boolean[] {true, false}) {
                String what = bits + " bits, " + (symmetric ? "symmetric" : "asymmetric");
                Tensor t = PackedFileTest.perChannel("w", 300, 784, bits, symmetric, new Random(8));
                TensorCodec.Encoded e = TensorCodec.encode(t, 0, false);
                assertEquals(TensorCodec.MODE_DENSE_ROW_SCALES, e.payload()[2 + 1 + 1 + 2 * 8], what);
                LayerBreakdown b = roundTrip(t, 0, false).breakdown();
                assertEquals(300, b.codebooks(), what);
                assertTrue(b.rowScales(), what);
                assertEquals(4 + 8 * 300, b.codebookBytes(), what + ": the lowest level and a scale a row");
                // a code names a level; asymmetric rows have their own zero points, so their levels
                // together span up to twice one row's grid: one bit more before Huffman coding
                assertEquals(symmetric ? bits : bits + 1, b.codeBitsBefore(), what);
                // at most b bits a weight and 8 bytes a row (row codebooks: 4 bytes a value, 1 KB a row at 8 bits)
                long bound = 300L * 784 * bits / 8 + 300 * 8 + 200;
                assertTrue(b.storedBytes() <= bound, what + ": " + b.storedBytes() + " bytes, more than " + bound);
            }
        }
    }

    @Test
    void gridScaleFindsAScaleThatReproducesEveryValueOrNone() {
        Random r = new Random(12);
        for (int trial = 0; trial < 2000; trial++) {
            double scale = Math.exp(r.nextGaussian() * 8); // 1e-7 to 1e7
            int n = 1 + r.nextInt(40);
            java.util.TreeSet<Integer> levels = new java.util.TreeSet<>();
            while (levels.size() < n) {
                int q = r.nextInt(255) - 127;
                if (q != 0) {
                    levels.add(q);
                }
            }
            levels.add(1); // a quantized row holds its smallest levels
            float[] values = new float[levels.size()];
            int i = 0;
            for (int q : levels) {
                values[i++] = (float) (q * scale);
            }
            int[] found = new int[values.length];
            double s = TensorCodec.gridScale(values, found);
            assertFalse(Double.isNaN(s), "scale " + scale + ", levels " + levels);
            for (int k = 0; k < values.length; k++) {
                assertEquals(Float.floatToRawIntBits(values[k]), Float.floatToRawIntBits((float) (found[k] * s)));
            }
        }
        assertTrue(Double.isNaN(TensorCodec.gridScale(new float[] {0.1f, 0.1234567f, 0.7f}, new int[3])),
                "values on no common grid");
        assertTrue(Double.isNaN(TensorCodec.gridScale(new float[] {1f, Float.POSITIVE_INFINITY}, new int[2])));
    }

    @Test
    void rowsOfArbitraryValuesGetOneCodebookPerRow() throws Exception {
        // k-means per row, say: four arbitrary values in each row, on no grid
        Random r = new Random(11);
        float[] v = new float[300 * 784];
        for (int row = 0; row < 300; row++) {
            float[] centroids = new float[4];
            for (int k = 0; k < 4; k++) {
                centroids[k] = (float) r.nextGaussian();
            }
            for (int j = 0; j < 784; j++) {
                v[row * 784 + j] = centroids[r.nextInt(4)];
            }
        }
        Tensor t = new Tensor("w", new long[] {300, 784}, v);
        assertEquals(TensorCodec.MODE_DENSE_ROW_CODEBOOK, TensorCodec.encode(t, 0, false).payload()[2 + 1 + 1 + 2 * 8]);
        LayerBreakdown b = roundTrip(t, 0, false).breakdown();
        assertEquals(300, b.codebooks());
        assertFalse(b.rowScales());
        assertEquals(4, b.codebookSize());
        long bound = 300 * 784 * 2 / 8 + 300 * (2 + 4 * 4) + 100; // 2 bits a weight; 1,200 values in all would need 11
        assertTrue(b.storedBytes() <= bound, b.storedBytes() + " bytes, more than " + bound);

        // pruned as well: the sparse layout with row codebooks
        float[] pruned = v.clone();
        for (int i = 0; i < pruned.length; i++) {
            if (r.nextDouble() < 0.9) {
                pruned[i] = 0;
            }
        }
        Tensor sparse = new Tensor("w", t.shape(), pruned);
        assertEquals(TensorCodec.MODE_ROW_CODEBOOK, TensorCodec.encode(sparse, 4, false).payload()[2 + 1 + 1 + 2 * 8]);
        assertEquals(300, roundTrip(sparse, 4, false).breakdown().codebooks());
        assertEquals(300, roundTrip(sparse, 0, false).breakdown().codebooks());
    }

    @Test
    void sharedWeightsKeepOneCodebookAndVectorsNeverSplit() throws Exception {
        Random r = new Random(10);
        float[] shared = new float[64 * 64];
        float[] centroids = {-0.3f, -0.1f, 0.05f, 0.2f};
        for (int i = 0; i < shared.length; i++) {
            shared[i] = centroids[r.nextInt(4)];
        }
        assertEquals(1, roundTrip(new Tensor("w", new long[] {64, 64}, shared), 0, false).breakdown().codebooks());
        assertEquals(1, roundTrip(new Tensor("b", new long[] {4096}, shared), 0, false).breakdown().codebooks(),
                "a vector's rows are single elements: never one codebook each");
    }

    /** A decoder over a hand-edited payload, in a file of the given version. */
    private static PackedFileException rejects(byte[] payload, int version) {
        return org.junit.jupiter.api.Assertions.assertThrows(PackedFileException.class,
                () -> TensorCodec.decode(section(payload, version)));
    }

    @Test
    void damagedRowCodebooksAreRejectedWithTheRow() throws Exception {
        // a dense section with row codebooks, by hand: rows of 4 elements, row 0 holds {1, 2}, row 1 {3}
        float[] v = {1, 2, 1, 2, 3, 3, 3, 3};
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(64);
        b.putShort((short) 1).put((byte) 'r').put((byte) 2).putLong(2).putLong(4);
        int mode = b.position();
        b.put((byte) TensorCodec.MODE_DENSE_ROW_CODEBOOK);
        b.putShort((short) 2).putFloat(1).putFloat(2).putShort((short) 1).putFloat(3);
        // code table over symbols 0..2 (dense kind, 5 bits each): lengths 0, 1, 1 = codes 0 and 1
        b.put((byte) TensorCodec.TABLE_DENSE).put((byte) 0b00000_000).put((byte) 0b01_00001_0);
        // row 0: 1 2 1 2 = 0 1 0 1; row 1: 3 3 3 3 = symbol 1 = code 0
        b.putInt(1).put((byte) 0b0101_0000);
        byte[] good = java.util.Arrays.copyOf(b.array(), b.position());
        TensorCodec.Decoded d = TensorCodec.decode(section(good, 3));
        assertBitsEqual(v, d.tensor().values());
        assertEquals(2, d.breakdown().codebooks());
        assertEquals(2, d.breakdown().codebookSize());

        byte[] wrongRow = good.clone();
        wrongRow[wrongRow.length - 1] = (byte) 0b0101_1000; // row 1's first element asks for value 2 of 1
        PackedFileException e = rejects(wrongRow, 3);
        assertTrue(e.getMessage().contains("element 4 has code 2 but row 1's codebook holds 1 value"), e.getMessage());

        byte[] tooMany = good.clone();
        tooMany[mode + 1 + 1] = 5; // row 0 claims 5 values; it has 4 elements
        e = rejects(tooMany, 3);
        assertTrue(e.getMessage().contains("row 0's codebook holds 5 values; the row has only 4 elements"), e.getMessage());

        e = rejects(good, 2);
        assertTrue(e.getMessage().contains("mode 5 (row codebooks) exists from format version 3; this file is version 2"),
                e.getMessage());
    }

    @Test
    void rowScalesDecodeAsLevelsTimesScaleAndDamageIsRejected() throws Exception {
        // by hand: shape (2, 2); levels -1, 0, 1 (codes 1 to 3); row 0 scale 0.5, row 1 scale 0.25
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(64);
        b.putShort((short) 1).put((byte) 'q').put((byte) 2).putLong(2).putLong(2);
        int mode = b.position();
        b.put((byte) TensorCodec.MODE_DENSE_ROW_SCALES).putShort((short) 3).putInt(-1);
        int scale0 = b.position();
        b.putDouble(0.5).putDouble(0.25);
        BitWriter table = new BitWriter();
        for (int symbol = 0; symbol < 4; symbol++) {
            table.write(2, 5); // every symbol 2 bits: codes 00, 01, 10, 11
        }
        b.put((byte) TensorCodec.TABLE_DENSE).put(table.toByteArray());
        // row 0: codes 1, 3 = levels -1, 1; row 1: a zero, code 3 = level 1
        b.putInt(1).put((byte) 0b01_11_00_11);
        byte[] good = java.util.Arrays.copyOf(b.array(), b.position());
        TensorCodec.Decoded d = TensorCodec.decode(section(good, 3));
        assertBitsEqual(new float[] {-0.5f, 0.5f, 0f, 0.25f}, d.tensor().values());
        assertEquals(3, d.breakdown().nonZeros());
        assertEquals(2, d.breakdown().codebooks());

        byte[] nan = good.clone();
        java.nio.ByteBuffer.wrap(nan).putDouble(scale0, Double.NaN);
        PackedFileException e = rejects(nan, 3);
        assertTrue(e.getMessage().contains("row 0's scale is NaN; it must be positive and finite"), e.getMessage());
        byte[] noLevels = good.clone();
        noLevels[mode + 2] = 0;
        e = rejects(noLevels, 3);
        assertTrue(e.getMessage().contains("the level count is 0"), e.getMessage());
        e = rejects(good, 2);
        assertTrue(e.getMessage().contains("mode 6 (row scales) exists from format version 3; this file is version 2"),
                e.getMessage());
    }

    @Test
    void bestWidthIsNoLargerThanAnyFixedOne() throws Exception {
        Random r = new Random(21);
        float[] v = new float[20_000];
        for (int i = 0; i < v.length; i++) {
            if (r.nextDouble() < 0.07) {
                v[i] = r.nextInt(16) + 1;
            }
        }
        Tensor t = new Tensor("w", new long[] {100, 200}, v);
        long best = roundTrip(t, 0, false).breakdown().storedBytes();
        for (int b = 1; b <= 16; b++) {
            assertTrue(best <= roundTrip(t, b, false).breakdown().storedBytes(), "b=" + b);
        }
    }

    @Test
    void theExampleInFormatMd() throws Exception {
        float[] v = {0, 0, 0, 0, 0, 0, 7, 0, 0, 5, 0};
        TensorCodec.Encoded e = TensorCodec.encode(new Tensor("ex", new long[] {11}, v), 2, false);
        byte[] p = e.payload();
        // name (2 + 2), rank (1), dim (8), mode, b, then M
        assertEquals(TensorCodec.MODE_RAW, p[13], "two values: a codebook would not pay");
        assertEquals(2, p[14]);
        assertEquals(3, Cursor.u32At(p, 15), "M = 3 entries");
        int n = p.length;
        assertEquals(0, Cursor.u32At(p, n - 12), "the filler is stored as +0.0");
        assertEquals(7f, Float.intBitsToFloat((int) Cursor.u32At(p, n - 8)));
        assertEquals(5f, Float.intBitsToFloat((int) Cursor.u32At(p, n - 4)));
        assertEquals(1, roundTrip(new Tensor("ex", new long[] {11}, v), 2, false).breakdown().fillerZeros());
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update("123456789".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals(0xE3069283L, crc.getValue(), "the CRC32C check value FORMAT.md quotes");
    }

    @Test
    void codebookBitsBeforeHuffmanIsCeilLog2() {
        assertEquals(5, row(32).codeBitsBefore());
        assertEquals(6, row(33).codeBitsBefore());
        assertEquals(1, row(1).codeBitsBefore());
        assertEquals(1, row(2).codeBitsBefore());
    }

    private static LayerBreakdown row(int book) {
        return new LayerBreakdown("x", 10, 5, false, book, 1, false, 5, 0, 10, 10, 4L * book, 100);
    }
}
