package dev.compresso.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.compresso.quantize.Quantizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PackedFileTest {

    static final byte[] ARCH = "{\"net\":\"lenet-300-100\",\"layers\":[784,300,100,10]}".getBytes(StandardCharsets.UTF_8);
    static final Pattern NAMES_SECTION_AND_OFFSET = Pattern.compile(
            ".*: (header|architecture section|tensor section \\d+ of \\d+( \\('[^']*'\\))?|end of file) at byte \\d+: .+; .+");

    @TempDir
    Path dir;

    /**
     * A pruned and shared fully connected layer: survivors are the largest of Gaussian weights
     * (so they sit in two lobes beyond ±threshold), snapped to 32 linearly spaced centroids. With
     * {@code pixels}, the keep probability of an input follows its distance from the image centre,
     * as magnitude pruning of an MNIST-like first layer does; otherwise the mask is uniform.
     */
    static Tensor prunedShared(String name, int out, int in, double density, boolean pixels, Random r) {
        float[] v = new float[out * in];
        double[] keep = new double[in];
        double sum = 0;
        for (int j = 0; j < in; j++) {
            if (pixels) {
                double dr = j / 28 - 13.5;
                double dc = j % 28 - 13.5;
                keep[j] = Math.exp(-(dr * dr + dc * dc) / (2 * 6.0 * 6.0));
            } else {
                keep[j] = 1;
            }
            sum += keep[j];
        }
        double scale = density * in / sum;
        double threshold = 1.2;
        double lo = -3.5;
        double hi = 3.5;
        for (int i = 0; i < out; i++) {
            for (int j = 0; j < in; j++) {
                if (r.nextDouble() < Math.min(1, keep[j] * scale)) {
                    double w;
                    do {
                        w = r.nextGaussian();
                    } while (Math.abs(w) < threshold);
                    w = Math.max(lo, Math.min(hi, w));
                    // 32 centroids, linearly spaced over [lo, hi] (Han et al.'s linear initialisation)
                    long k = Math.round((w - lo) / (hi - lo) * 31);
                    v[i * in + j] = (float) ((lo + k * (hi - lo) / 31) * 0.05);
                }
            }
        }
        return new Tensor(name, new long[] {out, in}, v);
    }

    static Tensor bias(String name, int n, Random r) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() * 0.01);
        }
        return new Tensor(name, new long[] {n}, v);
    }

    static List<Tensor> lenet(boolean pixels, long seed) {
        Random r = new Random(seed);
        return List.of(
                prunedShared("01Linear_weight", 300, 784, 0.08, pixels, r), bias("01Linear_bias", 300, r),
                prunedShared("02Linear_weight", 100, 300, 0.09, false, r), bias("02Linear_bias", 100, r),
                prunedShared("03Linear_weight", 10, 100, 0.26, false, r), bias("03Linear_bias", 10, r));
    }

    /**
     * A weight quantized per output channel: each row gets its own scale, so a row holds at most
     * 2^bits values while the tensor holds up to rows × 2^bits.
     */
    static Tensor perChannel(String name, int rows, int columns, int bits, boolean symmetric, Random r) {
        float[] v = new float[rows * columns];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextGaussian() * 0.05 * (1 + i / columns % 7));
        }
        return new Tensor(name, new long[] {rows, columns}, Quantizer.fakeQuantize(v, rows, bits, symmetric, true));
    }

    /** Rows of a few arbitrary values each (no common grid): one codebook a row. */
    static Tensor rowCodebooks(String name, int rows, int columns, Random r) {
        float[] v = new float[rows * columns];
        for (int row = 0; row < rows; row++) {
            float[] centroids = {(float) r.nextGaussian(), (float) r.nextGaussian(), (float) r.nextGaussian()};
            for (int j = 0; j < columns; j++) {
                v[row * columns + j] = centroids[r.nextInt(3)];
            }
        }
        return new Tensor(name, new long[] {rows, columns}, v);
    }

    /** A few small tensors of every kind, for exhaustive corruption. */
    static List<Tensor> small() {
        Random r = new Random(5);
        float[] zeros = new float[12];
        float[] conv = new float[2 * 3 * 3 * 3];
        for (int i = 0; i < conv.length; i += 2) {
            conv[i] = (r.nextInt(4) + 1) * 0.25f;
        }
        return List.of(
                prunedShared("fc.weight", 6, 40, 0.2, false, r), bias("fc.bias", 6, r),
                new Tensor("conv.weight", new long[] {2, 3, 3, 3}, conv),
                new Tensor("dead", new long[] {3, 4}, zeros),
                new Tensor("scalar", new long[] {}, new float[] {-0.0f}),
                perChannel("rows.weight", 4, 24, 3, true, r),
                rowCodebooks("books.weight", 3, 16, r));
    }

    static void assertSameContents(List<Tensor> expected, byte[] arch, PackedFile.Contents got) {
        assertArrayEquals(arch, got.architecture());
        assertEquals(expected.size(), got.tensors().size());
        for (int i = 0; i < expected.size(); i++) {
            Tensor want = expected.get(i);
            Tensor have = got.tensors().get(i);
            assertEquals(want.name(), have.name());
            assertArrayEquals(want.shape(), have.shape());
            TensorCodecTest.assertBitsEqual(want.values(), have.values());
        }
    }

    @Test
    void roundTripIsBitForBit() throws IOException {
        Path f = dir.resolve("lenet.cmpr");
        List<Tensor> tensors = lenet(true, 1);
        List<LayerBreakdown> rows = PackedFile.write(f, ARCH, tensors, PackedFile.Options.defaults());
        assertSameContents(tensors, ARCH, PackedFile.read(f));
        assertEquals(rows, PackedFile.breakdown(f));
        long sections = rows.stream().mapToLong(LayerBreakdown::storedBytes).sum();
        assertEquals(Files.size(f), PackedFile.HEADER_BYTES + ARCH.length + 8 + sections);

        Path g = dir.resolve("small.cmpr");
        PackedFile.write(g, new byte[0], small(), PackedFile.Options.defaults().indexBits("conv.weight", 8));
        assertSameContents(small(), new byte[0], PackedFile.read(g));
        assertEquals(8, PackedFile.breakdown(g).get(2).indexBits());
        assertEquals(0, Float.floatToRawIntBits(PackedFile.read(g).tensors().get(4).values()[0]), "−0.0 reads as +0.0");
    }

    @Test
    void lenet300100PacksBelowOneFortieth() throws IOException {
        long dense = 4L * (784 * 300 + 300 + 300 * 100 + 100 + 100 * 10 + 10);
        assertEquals(1_066_440, dense);
        for (boolean pixels : new boolean[] {true, false}) {
            List<Tensor> tensors = lenet(pixels, 1);
            for (PackedFile.Options o : List.of(PackedFile.Options.defaults(), PackedFile.Options.defaults().indexBits(5))) {
                Path f = dir.resolve("lenet.cmpr");
                List<LayerBreakdown> rows = PackedFile.write(f, ARCH, tensors, o);
                long size = Files.size(f);
                System.out.printf("LeNet-300-100, %s mask, %s: %d bytes, %.1fx smaller than %d dense fp32 bytes%n%s%n",
                        pixels ? "pixel-structured" : "uniform random", o, size, (double) dense / size, dense,
                        LayerBreakdown.table("lenet", rows, size).printAll());
                if (pixels && o == PackedFile.Options.defaults()) {
                    assertTrue(size * 40 < dense, size + " bytes is not below 1/40 of " + dense);
                }
            }
            if (!pixels) {
                // An i.i.d. mask and codes cannot be coded below their entropy; Huffman and framing stay within 5 %.
                double floorBits = 0;
                for (Tensor t : tensors) {
                    floorBits += t.shape().length == 1 ? 32.0 * t.size() : entropyBits(t);
                }
                PackedFile.write(dir.resolve("lenet.cmpr"), ARCH, tensors, PackedFile.Options.defaults());
                long size = Files.size(dir.resolve("lenet.cmpr"));
                System.out.printf("uniform mask: entropy floor %.0f bytes, packed %d bytes (%.1f%% above)%n",
                        floorBits / 8, size, 100 * (size * 8 / floorBits - 1));
                assertTrue(size * 8 < 1.05 * floorBits);
            }
        }
    }

    /** Bits of an ideal coder for an i.i.d. zero/non-zero mask plus i.i.d. codes of the non-zeros. */
    static double entropyBits(Tensor t) {
        java.util.Map<Float, Integer> counts = new java.util.HashMap<>();
        long nz = 0;
        for (float x : t.values()) {
            if (x != 0) {
                nz++;
                counts.merge(x, 1, Integer::sum);
            }
        }
        double p = (double) nz / t.size();
        double mask = -t.size() * (p * Math.log(p) + (1 - p) * Math.log(1 - p)) / Math.log(2);
        double codes = 0;
        for (int c : counts.values()) {
            codes -= c * Math.log((double) c / nz) / Math.log(2);
        }
        return mask + codes;
    }

    @Test
    void writeRejectsBadArguments() {
        Path f = dir.resolve("x.cmpr");
        IllegalArgumentException bits = assertThrows(IllegalArgumentException.class,
                () -> PackedFile.Options.defaults().indexBits(20));
        assertTrue(bits.getMessage().startsWith("indexBits=20 must be in 1..16"), bits.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PackedFile.Options.defaults().indexBits("w", 0));
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> PackedFile.write(f, ARCH, List.of(), PackedFile.Options.defaults()));
        assertTrue(empty.getMessage().contains("at least one tensor"));
        Tensor t = new Tensor("w", new long[] {2}, new float[2]);
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
                () -> PackedFile.write(f, ARCH, List.of(t, t), PackedFile.Options.defaults()));
        assertTrue(twice.getMessage().contains("'w' appears twice"));
        IllegalArgumentException typo = assertThrows(IllegalArgumentException.class,
                () -> PackedFile.write(f, ARCH, List.of(t), PackedFile.Options.defaults().raw("W")));
        assertTrue(typo.getMessage().contains("'W'"));
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                () -> new Tensor("w", new long[] {3, 4}, new float[11]));
        assertTrue(shape.getMessage().contains("12 elements"), shape.getMessage());
        assertFalse(Files.exists(f));
    }

    @Test
    void failedWriteLeavesThePreviousFileAndNoTempFile() throws IOException {
        Path f = dir.resolve("model.cmpr");
        PackedFile.write(f, ARCH, small(), PackedFile.Options.defaults());
        byte[] before = Files.readAllBytes(f);
        int[] calls = {0};
        RuntimeException boom = assertThrows(RuntimeException.class, () -> PackedFile.write(f, new byte[] {1},
                lenet(false, 2), PackedFile.Options.defaults(), () -> {
                    if (++calls[0] == 3) {
                        throw new IllegalStateException("injected failure after the first tensor section");
                    }
                }));
        assertEquals("injected failure after the first tensor section", boom.getMessage());
        assertArrayEquals(before, Files.readAllBytes(f));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(f), s.toList(), "no temporary file left behind");
        }
        // the target is a non-empty folder: the rename fails, the folder and its contents stay
        Path folder = dir.resolve("taken");
        Files.createDirectories(folder.resolve("inside"));
        assertThrows(IOException.class, () -> PackedFile.write(folder, ARCH, small(), PackedFile.Options.defaults()));
        assertTrue(Files.isDirectory(folder.resolve("inside")));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(2, s.count(), "still only the file and the folder");
        }
        // a missing folder: plain IOException, nothing created
        assertThrows(IOException.class, () -> PackedFile.write(dir.resolve("no/such/dir/m.cmpr"), ARCH, small(),
                PackedFile.Options.defaults()));
    }

    @Test
    void versionOneFilesStillRead() throws IOException {
        // A file with sparse sections and one codebook per tensor is a version 1 file once its header says so.
        Path f = dir.resolve("v1.cmpr");
        List<Tensor> v1 = small().subList(0, 5);
        PackedFile.write(f, ARCH, v1, PackedFile.Options.defaults().indexBits(5));
        byte[] b = Files.readAllBytes(f);
        b[5] = 1;
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(b, 0, 12);
        java.nio.ByteBuffer.wrap(b).putInt(12, (int) crc.getValue());
        Files.write(f, b);
        PackedFile.Contents back = PackedFile.read(f);
        assertSameContents(v1, ARCH, back);
    }

    @Test
    void wrongMagicAndNewerVersionSayWhy() throws IOException {
        Path zip = dir.resolve("model.zip");
        Files.write(zip, new byte[] {'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
        PackedFileException magic = assertThrows(PackedFileException.class, () -> PackedFile.read(zip));
        assertEquals("header", magic.section());
        assertEquals(0, magic.offset());
        assertTrue(magic.getMessage().contains("0x504b0304, not the magic 'CMPR'"), magic.getMessage());

        Path f = dir.resolve("new.cmpr");
        PackedFile.write(f, ARCH, small(), PackedFile.Options.defaults());
        byte[] b = Files.readAllBytes(f);
        assertEquals(PackedFile.FORMAT_VERSION, b[5]);
        b[5] = PackedFile.FORMAT_VERSION + 1;
        Files.write(f, b);
        PackedFileException newer = assertThrows(PackedFileException.class, () -> PackedFile.read(f));
        assertTrue(newer.getMessage().contains("written by a newer Compresso (format " + (PackedFile.FORMAT_VERSION + 1)
                + "); this one reads up to " + PackedFile.FORMAT_VERSION + "; upgrade"), newer.getMessage());
        assertEquals(4, newer.offset());
        System.out.println(magic.getMessage() + "\n" + newer.getMessage());
    }

    /** Parses in memory and checks the outcome: rejected with a message naming section and offset. */
    private static PackedFileException rejected(byte[] bytes, String what) {
        try {
            PackedFile.parse(bytes, "m.cmpr", new ArrayList<>());
        } catch (PackedFileException e) {
            assertTrue(NAMES_SECTION_AND_OFFSET.matcher(e.getMessage()).matches(), what + ": " + e.getMessage());
            assertTrue(e.offset() >= 0 && e.offset() <= bytes.length, what + ": offset " + e.offset());
            return e;
        } catch (Throwable t) {
            fail(what + ": expected PackedFileException, got " + t, t);
        }
        return fail(what + ": accepted");
    }

    private static void corrupt(byte[] good, int[] truncations, int[] flips) {
        for (int n : truncations) {
            rejected(Arrays.copyOf(good, n), "truncated to " + n + " bytes");
        }
        for (int at : flips) {
            for (int mask : new int[] {0x01, 0x80, 0xFF}) {
                byte[] bad = good.clone();
                bad[at] ^= (byte) mask;
                rejected(bad, "byte " + at + " xor " + mask);
            }
        }
        byte[] longer = Arrays.copyOf(good, good.length + 1);
        assertTrue(rejected(longer, "one byte appended").getMessage().contains("after the last section"));
    }

    @Test
    void everyTruncationAndFlippedByteOfASmallFileIsRejected() throws IOException {
        Path f = dir.resolve("small.cmpr");
        PackedFile.write(f, ARCH, small(), PackedFile.Options.defaults());
        byte[] good = Files.readAllBytes(f);
        assertEquals(TensorCodec.MODE_DENSE_ROW_SCALES, modeOf(good, "rows.weight"), "the exhaustive checks cover row scales");
        assertEquals(TensorCodec.MODE_DENSE_ROW_CODEBOOK, modeOf(good, "books.weight"), "and row codebooks");
        int[] all = new int[good.length];
        Arrays.setAll(all, i -> i);
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> corrupt(good, all, all));
        System.out.println("small file: " + good.length + " bytes, every truncation and 3 flips per byte rejected");
        // and through the file system, a few
        for (int n : new int[] {0, 3, 15, 16, 40, good.length - 1}) {
            Files.write(f, Arrays.copyOf(good, n));
            PackedFileException e = assertThrows(PackedFileException.class, () -> PackedFile.read(f));
            assertTrue(e.getMessage().startsWith(f + ": "), e.getMessage());
        }
    }

    @Test
    void truncatedAndFlippedLenetFilesAreRejected() throws IOException {
        Path f = dir.resolve("lenet.cmpr");
        PackedFile.write(f, ARCH, lenet(true, 3), PackedFile.Options.defaults());
        byte[] good = Files.readAllBytes(f);
        Random r = new Random(9);
        int[] cuts = new int[600];
        int[] flips = new int[600];
        for (int i = 0; i < 600; i++) {
            cuts[i] = i < 100 ? i : i < 200 ? good.length - (i - 99) : r.nextInt(good.length);
            flips[i] = i < 100 ? i : i < 200 ? good.length - (i - 99) : r.nextInt(good.length);
        }
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> corrupt(good, cuts, flips));
        PackedFileException crc = rejected(flip(good, good.length / 2), "middle");
        assertTrue(crc.getMessage().contains("checksum mismatch"), crc.getMessage());
        System.out.println(crc.getMessage());
        System.out.println(rejected(Arrays.copyOf(good, good.length - 10), "cut").getMessage());
    }

    private static byte[] flip(byte[] b, int at) {
        byte[] c = b.clone();
        c[at] ^= 1;
        return c;
    }

    /**
     * Flips bytes inside tensor sections and then repairs the section checksum, so the decoder
     * itself must cope with nonsense: every outcome is a clean read or a PackedFileException,
     * never another exception, a huge allocation or a hang.
     */
    @Test
    void decoderSurvivesCorruptionThatPassesTheChecksum() throws IOException {
        Path f = dir.resolve("small.cmpr");
        PackedFile.write(f, ARCH, small(), PackedFile.Options.defaults());
        byte[] good = Files.readAllBytes(f);
        List<int[]> sections = sections(good);
        Random r = new Random(13);
        int[] outcome = new int[2];
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int[] s : sections) {
                for (int at = s[0] + 4; at < s[1] - 4; at++) {
                    for (int trial = 0; trial < 4; trial++) {
                        byte[] bad = good.clone();
                        bad[at] = trial == 0 ? (byte) 0xFF : trial == 1 ? 0 : (byte) r.nextInt(256);
                        if (bad[at] == good[at]) {
                            continue;
                        }
                        fixCrc(bad, s);
                        try {
                            PackedFile.parse(bad, "m.cmpr", new ArrayList<>());
                            outcome[0]++;
                        } catch (PackedFileException e) {
                            assertTrue(NAMES_SECTION_AND_OFFSET.matcher(e.getMessage()).matches(), e.getMessage());
                            outcome[1]++;
                        } catch (Throwable t) {
                            fail("byte " + at + " = " + bad[at] + ": " + t, t);
                        }
                    }
                }
            }
        });
        System.out.println("checksum-repaired corruptions: " + outcome[0] + " still valid files, " + outcome[1] + " rejected");
        // a changed codebook value or code is a valid file (the checksum is what catches it); about
        // half of all changes hit such bytes, the rest is structure the decoder must refuse
        assertTrue(2 * outcome[1] > outcome[0], outcome[1] + " rejected, " + outcome[0] + " valid");
    }

    /** The mode byte of the tensor section named {@code name}. */
    private static int modeOf(byte[] file, String name) {
        for (int[] s : sections(file).subList(1, sections(file).size())) {
            int at = s[0] + 4;
            int n = ((file[at] & 0xFF) << 8) | (file[at + 1] & 0xFF);
            if (new String(file, at + 2, n, StandardCharsets.UTF_8).equals(name)) {
                int rank = file[at + 2 + n];
                return file[at + 2 + n + 1 + 8 * rank];
            }
        }
        return fail("no section " + name);
    }

    /** [start, end) of each framed section after the header. */
    private static List<int[]> sections(byte[] b) {
        List<int[]> out = new ArrayList<>();
        int at = PackedFile.HEADER_BYTES;
        while (at < b.length) {
            int len = (int) Cursor.u32At(b, at);
            out.add(new int[] {at, at + 8 + len});
            at += 8 + len;
        }
        return out;
    }

    private static void fixCrc(byte[] b, int[] s) {
        CRC32C c = new CRC32C();
        c.update(b, s[0], s[1] - s[0] - 4);
        int v = (int) c.getValue();
        for (int i = 0; i < 4; i++) {
            b[s[1] - 4 + i] = (byte) (v >>> (24 - 8 * i));
        }
    }
}
