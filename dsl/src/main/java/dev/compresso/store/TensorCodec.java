package dev.compresso.store;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Encodes one tensor into the payload of a tensor section and decodes it back (see FORMAT.md):
 * zeros become relative indices of b bits with filler entries, non-zeros become codebook codes
 * (or raw fp32), and both streams are canonical-Huffman coded.
 */
final class TensorCodec {

    static final int MODE_CODEBOOK = 0;
    static final int MODE_RAW = 1;
    /** Format 2: every element coded in order, no relative indices (for tensors with few zeros). */
    static final int MODE_DENSE_CODEBOOK = 2;
    /** Format 2: every element as a raw float, no relative indices. */
    static final int MODE_DENSE_RAW = 3;
    /** Format 3: as {@link #MODE_CODEBOOK} with one codebook per row (per-channel quantization). */
    static final int MODE_ROW_CODEBOOK = 4;
    /** Format 3: as {@link #MODE_DENSE_CODEBOOK} with one codebook per row. */
    static final int MODE_DENSE_ROW_CODEBOOK = 5;
    /** Format 3: every element in order as an integer level of its row's scale (affine quantization). */
    static final int MODE_DENSE_ROW_SCALES = 6;
    /** Largest codebook; more distinct values are stored raw. */
    static final int MAX_CODEBOOK = 65_536;
    /** Largest codebook of one row (its size is a u16). */
    static final int MAX_ROW_CODEBOOK = 65_535;
    static final int TABLE_EMPTY = 0;
    static final int TABLE_DENSE = 1;
    static final int TABLE_SPARSE = 2;

    private TensorCodec() {}

    /** A tensor section payload and its breakdown (storedBytes includes the 8 framing bytes). */
    record Encoded(byte[] payload, LayerBreakdown breakdown) {}

    /** Total order on raw float bits that matches numeric order for non-NaN values; an involution. */
    static int sortKey(int bits) {
        return bits ^ ((bits >> 31) & 0x7FFF_FFFF);
    }

    static boolean isZero(int bits) {
        return (bits & 0x7FFF_FFFF) == 0;
    }

    /**
     * The codebooks of a tensor (sort keys of the distinct non-zero values, ascending) and each
     * non-zero's code symbol, 1-based (0 is a filler or a zero). Either one codebook for the whole
     * tensor, or one per row (a slice of the first dimension) where rows hold a few values each but
     * the tensor many, or (format 3) one scale per row, the codes naming integer levels: what
     * per-channel quantization leaves.
     *
     * @param freq symbol frequencies over the non-zeros (freq[0] is 0; a plan sets it)
     * @param bytes the codebooks' bytes in the file, their size fields included
     * @param scales with row scales instead of codebooks: each row's scale, else null
     * @param lowest with row scales: the lowest level, whose code is 1
     */
    private record Books(int[][] books, boolean perRow, int[] symbols, long[] freq, long bytes, double[] scales,
            int lowest) {

        static Books shared(int[] keys) {
            int[] book = distinctSorted(keys, 0, keys.length);
            if (book.length > MAX_CODEBOOK) {
                return null;
            }
            int[] symbols = new int[keys.length];
            long[] freq = new long[book.length + 1];
            for (int k = 0; k < keys.length; k++) {
                symbols[k] = Arrays.binarySearch(book, keys[k]) + 1;
                freq[symbols[k]]++;
            }
            return new Books(new int[][] {book}, false, symbols, freq, 4 + 4L * book.length, null, 0);
        }

        /** One codebook per row; null when a row has more distinct values than a row codebook holds. */
        static Books perRow(int[] keys, int[] positions, int rows, long rowLength) {
            int[][] books = new int[rows][];
            int[] symbols = new int[keys.length];
            int largest = 0;
            long bytes = 0;
            for (int row = 0, k = 0; row < rows; row++) {
                int start = k;
                while (k < keys.length && positions[k] / rowLength == row) {
                    k++;
                }
                int[] book = distinctSorted(keys, start, k);
                if (book.length > MAX_ROW_CODEBOOK) {
                    return null;
                }
                for (int i = start; i < k; i++) {
                    symbols[i] = Arrays.binarySearch(book, keys[i]) + 1;
                }
                books[row] = book;
                largest = Math.max(largest, book.length);
                bytes += 2 + 4L * book.length;
            }
            long[] freq = new long[largest + 1];
            for (int s : symbols) {
                freq[s]++;
            }
            return new Books(books, true, symbols, freq, bytes, null, 0);
        }

        /**
         * Each row's values as integer levels of one scale, {@code (float) (level × scale)}, as a
         * quantizer with one scale per output channel makes them; null when some row's values are no
         * such grid (or the levels span more than {@link #MAX_ROW_CODEBOOK}). A code names a level,
         * the same in every row, so one Huffman table fits the levels' distribution (most weights
         * near level 0 whatever a row's scale or zero point). Costs 8 bytes a row whatever the bit
         * width, where row codebooks cost 4 bytes a value.
         */
        static Books rowScales(Books rows, int[] positions, long rowLength) {
            int n = rows.books.length;
            double[] scales = new double[n];
            int[][] levels = new int[n][];
            long lowest = Long.MAX_VALUE;
            long highest = Long.MIN_VALUE;
            for (int r = 0; r < n; r++) {
                int[] book = rows.books[r];
                float[] values = new float[book.length];
                for (int i = 0; i < book.length; i++) {
                    values[i] = Float.intBitsToFloat(sortKey(book[i]));
                }
                levels[r] = new int[book.length];
                scales[r] = book.length == 0 ? 1 : gridScale(values, levels[r]);
                if (Double.isNaN(scales[r])) {
                    return null;
                }
                if (book.length > 0) {
                    lowest = Math.min(lowest, levels[r][0]);
                    highest = Math.max(highest, levels[r][book.length - 1]);
                }
            }
            if (highest - lowest + 1 > MAX_ROW_CODEBOOK) {
                return null;
            }
            int[] symbols = new int[rows.symbols.length];
            long[] freq = new long[(int) (highest - lowest) + 2];
            for (int k = 0; k < symbols.length; k++) {
                int r = (int) (positions[k] / rowLength);
                symbols[k] = (int) (levels[r][rows.symbols[k] - 1] - lowest + 1);
                freq[symbols[k]]++;
            }
            return new Books(rows.books, true, symbols, freq, 2 + 4 + 8L * n, scales, (int) lowest);
        }

        int largest() {
            return freq.length - 1;
        }

        boolean scaled() {
            return scales != null;
        }

        /** Bytes of the values the codes stand for: 4 a codebook entry, or the lowest level and 8 a row's scale. */
        long valueBytes() {
            return scaled() ? 4 + 8L * books.length : 4 * entries();
        }

        long entries() {
            long n = 0;
            for (int[] b : books) {
                n += b.length;
            }
            return n;
        }

        void write(DataOutputStream out) throws IOException {
            if (scaled()) {
                out.writeShort(largest());
                out.writeInt(lowest);
                for (double scale : scales) {
                    out.writeLong(Double.doubleToRawLongBits(scale));
                }
                return;
            }
            for (int[] book : books) {
                if (perRow) {
                    out.writeShort(book.length);
                } else {
                    out.writeInt(book.length);
                }
                for (int key : book) {
                    out.writeInt(sortKey(key));
                }
            }
        }
    }

    /**
     * How a tensor will be written: its mode, index width and code tables. A dense plan has index
     * width 0 and no gap table; its code table covers every element, symbol 0 being a zero. A raw
     * plan has no books.
     */
    private record Plan(int indexBits, Books books, long fillers, int[] gapLengths, long gapBits,
            int[] codeLengths, long codeBits, long bytes) {
        boolean dense() {
            return indexBits == 0;
        }

        boolean raw() {
            return books == null;
        }

        int mode() {
            if (raw()) {
                return dense() ? MODE_DENSE_RAW : MODE_RAW;
            }
            if (books.scaled()) {
                return MODE_DENSE_ROW_SCALES; // dense only: the plans never price it sparse
            }
            if (books.perRow) {
                return dense() ? MODE_DENSE_ROW_CODEBOOK : MODE_ROW_CODEBOOK;
            }
            return dense() ? MODE_DENSE_CODEBOOK : MODE_CODEBOOK;
        }

        LayerBreakdown breakdown(Tensor t, long nonZeros, long storedBytes) {
            return new LayerBreakdown(t.name(), t.values().length, nonZeros, raw(), raw() ? 0 : books.largest(),
                    raw() ? 0 : books.books.length, !raw() && books.scaled(), indexBits, fillers, codeBits, gapBits,
                    raw() ? 0 : books.valueBytes(), storedBytes);
        }
    }

    /**
     * A scale s with {@code (float) (level × s) == value} for every value and integer levels, which it
     * writes to {@code levels}; NaN when there is none to be found. The values (distinct, non-zero,
     * ascending) are taken to lie on a grid whose step is near the smallest gap or magnitude; each
     * value then bounds s to the interval of reals that round to it, and a point inside all of them
     * is checked exactly.
     */
    static double gridScale(float[] values, int[] levels) {
        double unit = Double.MAX_VALUE;
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                return Double.NaN;
            }
            unit = Math.min(unit, Math.abs((double) values[i]));
            if (i > 0) {
                unit = Math.min(unit, (double) values[i] - values[i - 1]);
            }
        }
        if (!(unit > 0)) {
            return Double.NaN;
        }
        double lo = 0;
        double hi = Double.POSITIVE_INFINITY;
        for (int i = 0; i < values.length; i++) {
            double ratio = values[i] / unit;
            double q = Math.rint(ratio);
            if (Math.abs(ratio - q) > 0.01 || Math.abs(q) > 1 << 24) {
                return Double.NaN;
            }
            levels[i] = (int) q;
            // the reals that round to values[i]: up to half an ulp either side (exact in double)
            double below = ((double) values[i] + Math.nextDown(values[i])) / 2;
            double above = ((double) values[i] + Math.nextUp(values[i])) / 2;
            lo = Math.max(lo, (q > 0 ? below : above) / q);
            hi = Math.min(hi, (q > 0 ? above : below) / q);
        }
        if (!(lo <= hi)) {
            return Double.NaN;
        }
        for (int k : new int[] {4, 3, 5, 2, 6, 1, 7}) { // the middle first, away from rounding ties
            double s = lo + (hi - lo) * k / 8;
            if (onGrid(values, levels, s)) {
                return s;
            }
        }
        return Double.NaN;
    }

    private static boolean onGrid(float[] values, int[] levels, double s) {
        if (!(s > 0) || Double.isInfinite(s)) {
            return false;
        }
        for (int i = 0; i < values.length; i++) {
            if (Float.floatToRawIntBits((float) (levels[i] * s)) != Float.floatToRawIntBits(values[i])) {
                return false;
            }
        }
        return true;
    }

    /** Huffman lengths for {@code freq} with {@code freq[0]} set to {@code zeros}. */
    private static int[] codeLengths(long[] freq, long zeros) {
        long[] f = freq.clone();
        f[0] = zeros;
        return Huffman.codeLengths(f, Huffman.MAX_LENGTH);
    }

    private static long codeBits(long[] freq, long zeros, int[] lengths) {
        long[] f = freq.clone();
        f[0] = zeros;
        return Huffman.cost(f, lengths);
    }

    /**
     * Encodes a tensor in the layout that gives the fewest bytes: sparse (relative indices) or, when
     * {@code indexBits} is 0, also dense (every element coded, no indices); raw values, one codebook,
     * or, for a tensor of rank 2 or more, one codebook per row.
     *
     * @param indexBits the relative index width 1..16, or 0 for the layout and width that give the fewest bytes
     * @param forceRaw store raw fp32 values even where a codebook would be smaller
     */
    static Encoded encode(Tensor t, int indexBits, boolean forceRaw) {
        float[] v = t.values();
        int nonZeros = 0;
        for (float x : v) {
            if (!isZero(Float.floatToRawIntBits(x))) {
                nonZeros++;
            }
        }
        int[] positions = new int[nonZeros];
        int[] gaps = new int[nonZeros];
        int[] bits = new int[nonZeros];
        int[] keys = new int[nonZeros];
        int prev = -1;
        for (int i = 0, k = 0; i < v.length; i++) {
            int b = Float.floatToRawIntBits(v[i]);
            if (!isZero(b)) {
                positions[k] = i;
                gaps[k] = i - prev - 1;
                keys[k] = sortKey(b);
                bits[k++] = b;
                prev = i;
            }
        }
        List<Books> candidates = new ArrayList<>(2);
        if (!forceRaw && nonZeros > 0) {
            Books shared = Books.shared(keys);
            if (shared != null) {
                candidates.add(shared);
            }
            long[] shape = t.shape();
            if (shape.length >= 2 && shape[0] > 1) {
                Books rows = Books.perRow(keys, positions, (int) shape[0], v.length / shape[0]);
                if (rows != null) {
                    candidates.add(rows);
                    Books scaled = Books.rowScales(rows, positions, v.length / shape[0]);
                    if (scaled != null) {
                        candidates.add(scaled);
                    }
                }
            }
        }
        Plan plan = null;
        for (int b = indexBits == 0 ? 1 : indexBits; b <= (indexBits == 0 ? 16 : indexBits); b++) {
            int max = (1 << b) - 1;
            long[] gapFreq = new long[max + 1];
            long fillers = 0;
            for (int g : gaps) {
                fillers += g >>> b;
                gapFreq[g & max]++;
            }
            gapFreq[max] += fillers;
            int[] gapLengths = Huffman.codeLengths(gapFreq, Huffman.MAX_LENGTH);
            long gapBits = Huffman.cost(gapFreq, gapLengths);
            long common = tableBytes(gapLengths) + 4 + (gapBits + 7) / 8;
            plan = smaller(plan, new Plan(b, null, fillers, gapLengths, gapBits, null, 32 * (nonZeros + fillers),
                    common + 4 * (nonZeros + fillers)));
            for (Books books : candidates) {
                if (books.scaled()) {
                    continue; // row scales are a dense layout only
                }
                int[] lengths = codeLengths(books.freq, fillers);
                long codeBits = codeBits(books.freq, fillers, lengths);
                plan = smaller(plan, new Plan(b, books, fillers, gapLengths, gapBits, lengths, codeBits,
                        common + books.bytes + tableBytes(lengths) + 4 + (codeBits + 7) / 8));
            }
        }
        if (indexBits == 0 && nonZeros > 0) {
            // Dense: no index stream; worth it when zeros are few (a dense gap stream costs ≥ 1 bit a weight).
            // The sparse layout's index width and entry count take 5 bytes that the dense one does not.
            long zeros = v.length - nonZeros;
            List<Plan> dense = new ArrayList<>();
            dense.add(new Plan(0, null, 0, null, 0, null, 32L * v.length, 4L * v.length - 5));
            for (Books books : candidates) {
                int[] lengths = codeLengths(books.freq, zeros);
                long codeBits = codeBits(books.freq, zeros, lengths);
                dense.add(new Plan(0, books, 0, null, 0, lengths, codeBits,
                        books.bytes + tableBytes(lengths) + 4 + (codeBits + 7) / 8 - 5));
            }
            for (Plan d : dense) {
                plan = smaller(plan, d);
            }
        }
        return plan.dense() ? encodeDense(t, plan, nonZeros) : encodeSparse(t, plan, gaps, bits);
    }

    /** The cheaper plan; the first on a tie. */
    private static Plan smaller(Plan best, Plan other) {
        return best == null || other.bytes < best.bytes ? other : best;
    }

    /** Writes a sparse plan: relative indices, and codebook symbols or raw floats. */
    private static Encoded encodeSparse(Tensor t, Plan plan, int[] gaps, int[] bits) {
        int nonZeros = gaps.length;
        int indexBits = plan.indexBits;
        int max = (1 << indexBits) - 1;
        int entries = (int) (nonZeros + plan.fillers);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + (int) Math.min(Integer.MAX_VALUE - 64, plan.bytes));
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            writeNameAndShape(out, t);
            out.writeByte(plan.mode());
            out.writeByte(indexBits);
            out.writeInt(entries);
            if (!plan.raw()) {
                plan.books.write(out);
                writeTable(out, plan.codeLengths);
            }
            writeTable(out, plan.gapLengths);
            int[] gapCodes = Huffman.canonicalCodes(plan.gapLengths);
            BitWriter gw = new BitWriter();
            for (int k = 0; k < nonZeros; k++) {
                for (int f = gaps[k] >>> indexBits; f > 0; f--) {
                    gw.write(gapCodes[max], plan.gapLengths[max]);
                }
                int g = gaps[k] & max;
                gw.write(gapCodes[g], plan.gapLengths[g]);
            }
            byte[] gapStream = gw.toByteArray();
            out.writeInt(gapStream.length);
            out.write(gapStream);
            if (!plan.raw()) {
                int[] symbols = plan.books.symbols;
                int[] codes = Huffman.canonicalCodes(plan.codeLengths);
                BitWriter cw = new BitWriter();
                for (int k = 0; k < nonZeros; k++) {
                    for (int f = gaps[k] >>> indexBits; f > 0; f--) {
                        cw.write(codes[0], plan.codeLengths[0]);
                    }
                    cw.write(codes[symbols[k]], plan.codeLengths[symbols[k]]);
                }
                byte[] codeStream = cw.toByteArray();
                out.writeInt(codeStream.length);
                out.write(codeStream);
            } else {
                for (int k = 0; k < nonZeros; k++) {
                    for (int f = gaps[k] >>> indexBits; f > 0; f--) {
                        out.writeInt(0);
                    }
                    out.writeInt(bits[k]);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not throw
        }
        byte[] payload = bytes.toByteArray();
        return new Encoded(payload, plan.breakdown(t, nonZeros, payload.length + 8L));
    }

    /** Writes a dense plan: every element in order, as a codebook symbol (0 = zero) or a raw float. */
    private static Encoded encodeDense(Tensor t, Plan plan, int nonZeros) {
        float[] v = t.values();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + (int) Math.min(Integer.MAX_VALUE - 64, plan.bytes + 5));
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            writeNameAndShape(out, t);
            out.writeByte(plan.mode());
            if (plan.raw()) {
                for (float x : v) {
                    int b = Float.floatToRawIntBits(x);
                    out.writeInt(isZero(b) ? 0 : b);
                }
            } else {
                plan.books.write(out);
                writeTable(out, plan.codeLengths);
                int[] symbols = plan.books.symbols;
                int[] codes = Huffman.canonicalCodes(plan.codeLengths);
                BitWriter cw = new BitWriter();
                for (int i = 0, k = 0; i < v.length; i++) {
                    int symbol = isZero(Float.floatToRawIntBits(v[i])) ? 0 : symbols[k++];
                    cw.write(codes[symbol], plan.codeLengths[symbol]);
                }
                byte[] codeStream = cw.toByteArray();
                out.writeInt(codeStream.length);
                out.write(codeStream);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not throw
        }
        byte[] payload = bytes.toByteArray();
        return new Encoded(payload, plan.breakdown(t, nonZeros, payload.length + 8L));
    }

    private static void writeNameAndShape(DataOutputStream out, Tensor t) throws IOException {
        byte[] name = t.name().getBytes(StandardCharsets.UTF_8);
        out.writeShort(name.length);
        out.write(name);
        out.writeByte(t.shape().length);
        for (long d : t.shape()) {
            out.writeLong(d);
        }
    }

    /** The distinct values of keys[from, to), ascending. */
    private static int[] distinctSorted(int[] keys, int from, int to) {
        int[] sorted = Arrays.copyOfRange(keys, from, to);
        Arrays.sort(sorted);
        int n = 0;
        for (int i = 0; i < sorted.length; i++) {
            if (i == 0 || sorted[i] != sorted[i - 1]) {
                sorted[n++] = sorted[i];
            }
        }
        return Arrays.copyOf(sorted, n);
    }

    /** Bits needed for a symbol of an alphabet of the given size, at least 1. */
    static int symbolBits(int alphabet) {
        return Math.max(1, 32 - Integer.numberOfLeadingZeros(alphabet - 1));
    }

    private static int used(int[] lengths) {
        int n = 0;
        for (int l : lengths) {
            if (l > 0) {
                n++;
            }
        }
        return n;
    }

    static long tableBytes(int[] lengths) {
        int n = used(lengths);
        if (n == 0) {
            return 1;
        }
        long dense = (5L * lengths.length + 7) / 8;
        long sparse = 4 + ((long) n * (symbolBits(lengths.length) + 5) + 7) / 8;
        return 1 + Math.min(dense, sparse);
    }

    private static void writeTable(DataOutputStream out, int[] lengths) throws IOException {
        int n = used(lengths);
        if (n == 0) {
            out.writeByte(TABLE_EMPTY);
            return;
        }
        long dense = (5L * lengths.length + 7) / 8;
        long sparse = 4 + ((long) n * (symbolBits(lengths.length) + 5) + 7) / 8;
        BitWriter w = new BitWriter();
        if (dense <= sparse) {
            out.writeByte(TABLE_DENSE);
            for (int l : lengths) {
                w.write(l, 5);
            }
        } else {
            out.writeByte(TABLE_SPARSE);
            out.writeInt(n);
            int sb = symbolBits(lengths.length);
            for (int s = 0; s < lengths.length; s++) {
                if (lengths[s] > 0) {
                    w.write(s, sb);
                    w.write(lengths[s], 5);
                }
            }
        }
        out.write(w.toByteArray());
    }

    /** A decoded tensor section. */
    record Decoded(Tensor tensor, LayerBreakdown breakdown) {}

    /**
     * Decodes the payload between c.pos and c.end (already checksum-verified); c.section names the
     * section and gains the tensor's name once known.
     */
    static Decoded decode(Cursor c) throws PackedFileException {
        int sectionBytes = c.end - c.pos + 8;
        int at = c.pos;
        int nameLength = c.u16("the name length");
        c.need(nameLength, "the name");
        String name;
        try {
            name = StandardCharsets.UTF_8.newDecoder()
                    .decode(ByteBuffer.wrap(c.buf, c.pos, nameLength)).toString();
        } catch (CharacterCodingException e) {
            throw c.invalid(c.pos, "the tensor name is not valid UTF-8");
        }
        c.pos += nameLength;
        c.section = c.section + " ('" + name + "')";
        at = c.pos;
        int rank = c.u8("the rank");
        if (rank > 32) {
            throw c.invalid(at, "rank " + rank + " is above the limit of 32");
        }
        long[] shape = new long[rank];
        long elements = 1;
        int shapeAt = c.pos;
        for (int i = 0; i < rank; i++) {
            at = c.pos;
            long d = c.u64("dimension " + i);
            if (d < 0 || d > Tensor.MAX_ELEMENTS) {
                throw c.invalid(at, "dimension " + i + " is " + Long.toUnsignedString(d) + ", outside 0.." + Tensor.MAX_ELEMENTS);
            }
            shape[i] = d;
            elements *= d;
            if (elements > Tensor.MAX_ELEMENTS) {
                throw c.invalid(at, "the shape has more than " + Tensor.MAX_ELEMENTS + " elements");
            }
        }
        at = c.pos;
        int mode = c.u8("the mode");
        if (mode > MODE_DENSE_ROW_SCALES) {
            throw c.invalid(at, "mode " + mode + " is none of 0 (codebook), 1 (raw), 2 (dense codebook), 3 (dense raw),"
                    + " 4 (row codebooks), 5 (dense row codebooks), 6 (dense row scales)");
        }
        int since = mode >= MODE_ROW_CODEBOOK ? 3 : mode >= MODE_DENSE_CODEBOOK ? 2 : 1;
        String kind = since == 2 ? "dense" : mode == MODE_DENSE_ROW_SCALES ? "row scales" : "row codebooks";
        if (c.version < since) {
            throw c.invalid(at, "mode " + mode + " (" + kind + ") exists from format version " + since
                    + "; this file is version " + c.version);
        }
        boolean perRow = mode >= MODE_ROW_CODEBOOK;
        if (perRow && rank == 0) {
            throw c.invalid(at, "mode " + mode + " (" + kind + ") needs a tensor of rank 1 or more; this one is a scalar");
        }
        Rows rows = perRow ? new Rows((int) shape[0], shape[0] == 0 ? 0 : elements / shape[0]) : null;
        if (mode == MODE_DENSE_CODEBOOK || mode == MODE_DENSE_RAW || mode == MODE_DENSE_ROW_CODEBOOK
                || mode == MODE_DENSE_ROW_SCALES) {
            return decodeDense(c, name, shape, elements, mode, rows, shapeAt, sectionBytes);
        }
        at = c.pos;
        int indexBits = c.u8("the index width");
        if (indexBits < 1 || indexBits > 16) {
            throw c.invalid(at, "index width " + indexBits + " is outside 1..16");
        }
        at = c.pos;
        long entries = c.u32("the entry count");
        if (entries > elements || entries > 8L * c.remaining()) {
            throw c.invalid(at, "entry count " + entries + " exceeds the " + elements
                    + " elements or the bits left in the section");
        }
        int max = (1 << indexBits) - 1;
        int[][] books = null;
        int[] codeLengths = null;
        if (mode == MODE_CODEBOOK) {
            at = c.pos;
            long size = c.u32("the codebook size");
            if (entries == 0 ? size != 0 : size < 1 || size > MAX_CODEBOOK) {
                throw c.invalid(at, "codebook size " + size + " must be " + (entries == 0 ? "0 when there are no entries" : "in 1.." + MAX_CODEBOOK));
            }
            books = new int[][] {readCodebook(c, (int) size)};
        } else if (perRow) {
            books = readRowCodebooks(c, rows, entries > 0);
        }
        if (books != null) {
            codeLengths = readTable(c, alphabet(books), entries > 0, "code table");
        }
        int[] gapLengths = readTable(c, max + 1, entries > 0, "relative index table");
        at = c.pos;
        long gapBytes = c.u32("the relative index stream length");
        c.need(gapBytes, "the relative index stream");
        int gapStart = c.pos;
        c.pos += (int) gapBytes;
        int codeStart = 0;
        long codeBytes = 0;
        if (books != null) {
            codeBytes = c.u32("the code stream length");
            c.need(codeBytes, "the code stream");
        } else {
            codeBytes = 4 * entries;
            c.need(codeBytes, "the raw values");
        }
        codeStart = c.pos;
        c.pos += (int) codeBytes;
        if (c.pos != c.end) {
            throw c.invalid(c.pos, (c.end - c.pos) + " unexpected bytes after the last stream");
        }

        float[] values = allocate(c, elements, shapeAt);
        long nonZeros = 0;
        long fillers = 0;
        long gapBits = 0;
        long codeBits = 32 * entries;
        if (entries > 0) {
            Huffman.Decoder gaps = new Huffman.Decoder(gapLengths, c.buf, gapStart, (int) gapBytes);
            Huffman.Decoder codes = books == null ? null : new Huffman.Decoder(codeLengths, c.buf, codeStart, (int) codeBytes);
            long position = -1;
            boolean filler = false;
            for (long e = 0; e < entries; e++) {
                int gap = gaps.next();
                if (gap < 0) {
                    throw streamError(c, gap, "relative index stream", gapStart, gaps.bitsRead(gapStart), e, entries);
                }
                position += gap + 1;
                if (position >= elements) {
                    throw c.invalid(gapStart + gaps.bitsRead(gapStart) / 8, "entry " + e + " lands at element " + position
                            + " but the tensor has " + elements);
                }
                int bits;
                if (codes != null) {
                    int s = codes.next();
                    if (s < 0) {
                        throw streamError(c, s, "code stream", codeStart, codes.bitsRead(codeStart), e, entries);
                    }
                    filler = s == 0;
                    bits = filler ? 0 : value(c, books, rows, position, s, codeStart + codes.bitsRead(codeStart) / 8);
                } else {
                    int off = codeStart + (int) (4 * e);
                    bits = (int) Cursor.u32At(c.buf, off);
                    filler = isZero(bits);
                    if (filler && bits != 0) {
                        throw c.invalid(off, "raw value " + e + " is -0.0; a filler must be stored as +0.0");
                    }
                }
                if (filler && gap != max) {
                    throw c.invalid(gapStart + gaps.bitsRead(gapStart) / 8, "entry " + e + " is a filler zero but its gap is "
                            + gap + ", not " + max);
                }
                if (filler) {
                    fillers++;
                } else {
                    values[(int) position] = Float.intBitsToFloat(bits);
                    nonZeros++;
                }
            }
            if (filler) {
                throw c.invalid(gapStart, "the last entry is a filler zero; trailing zeros must be left implicit");
            }
            checkEnd(c, gaps, "relative index stream", gapStart, gapBytes);
            gapBits = gaps.bitsRead(gapStart);
            if (codes != null) {
                checkEnd(c, codes, "code stream", codeStart, codeBytes);
                codeBits = codes.bitsRead(codeStart);
            }
        } else if (gapBytes != 0 || codeBytes != 0) {
            throw c.invalid(gapStart, "a tensor without entries must have empty streams");
        }
        Tensor tensor = new Tensor(name, shape, values);
        return new Decoded(tensor, breakdown(name, elements, nonZeros, entries == 0 ? null : books, indexBits,
                fillers, codeBits, gapBits, sectionBytes));
    }

    /** The rows of a tensor with row codebooks: slices of its first dimension. */
    private record Rows(int count, long length) {}

    private static LayerBreakdown breakdown(String name, long elements, long nonZeros, int[][] books, int indexBits,
            long fillers, long codeBits, long gapBits, int sectionBytes) {
        long entries = 0;
        int largest = 0;
        if (books != null) {
            for (int[] b : books) {
                entries += b.length;
                largest = Math.max(largest, b.length);
            }
        }
        return new LayerBreakdown(name, elements, nonZeros, books == null, largest, books == null ? 0 : books.length,
                false, indexBits, fillers, codeBits, gapBits, 4 * entries, sectionBytes);
    }

    /** Code symbols run 0 (a zero) to the largest codebook's size. */
    private static int alphabet(int[][] books) {
        int largest = 0;
        for (int[] b : books) {
            largest = Math.max(largest, b.length);
        }
        return largest + 1;
    }

    /** The bits of symbol {@code s} ≥ 1 at element {@code position}: from the one codebook or the element's row's. */
    private static int value(Cursor c, int[][] books, Rows rows, long position, int s, long at) throws PackedFileException {
        int[] book = rows == null ? books[0] : books[(int) (position / rows.length)];
        if (s > book.length) {
            throw c.invalid(at, "element " + position + " has code " + s + " but " + (rows == null ? "the codebook"
                    : "row " + position / rows.length + "'s codebook") + " holds " + book.length + (book.length == 1 ? " value" : " values"));
        }
        return book[s - 1];
    }

    /** K codebook values: non-zero bit patterns in strictly increasing key order. */
    private static int[] readCodebook(Cursor c, int size) throws PackedFileException {
        c.need(4L * size, "the codebook");
        int[] book = new int[size];
        for (int i = 0; i < size; i++) {
            int at = c.pos;
            book[i] = (int) c.u32("a codebook value");
            if (isZero(book[i]) || (i > 0 && sortKey(book[i]) <= sortKey(book[i - 1]))) {
                throw c.invalid(at, "codebook value " + i + " (" + Float.intBitsToFloat(book[i])
                        + ") is zero or not above the one before");
            }
        }
        return book;
    }

    /**
     * One codebook per row (format 3): a u16 size K_r ≤ the row's length, then K_r values. A sparse
     * section without entries has only empty ones; a section with codes needs one value somewhere.
     */
    private static int[][] readRowCodebooks(Cursor c, Rows rows, boolean coded) throws PackedFileException {
        c.need(2L * rows.count, "the row codebook sizes");
        int[][] books = new int[rows.count][];
        boolean any = false;
        for (int r = 0; r < rows.count; r++) {
            int at = c.pos;
            int size = c.u16("row " + r + "'s codebook size");
            if (size > rows.length || (!coded && size != 0)) {
                throw c.invalid(at, "row " + r + "'s codebook holds " + size + " values; "
                        + (coded ? "the row has only " + rows.length + " elements" : "a tensor without entries has none"));
            }
            books[r] = readCodebook(c, size);
            any |= size > 0;
        }
        if (coded && !any) {
            throw c.invalid(c.pos, "every row codebook is empty but the tensor has coded elements");
        }
        return books;
    }

    /** The bits that code s ≥ 1 at element {@code position} stands for; {@code at} locates an error. */
    @FunctionalInterface
    private interface CodeValues {
        int bits(long position, int s, long at) throws PackedFileException;
    }

    /**
     * The rest of a dense tensor section, every element in order: raw (format 2), or coded, the codes
     * standing for codebook entries (format 2, row codebooks format 3) or, with row scales (format 3),
     * for integer levels: the level count L, the lowest level, each row's scale, and code s ≥ 1 the
     * value {@code (float) ((lowest + s − 1) × scale of its row)}.
     */
    private static Decoded decodeDense(Cursor c, String name, long[] shape, long elements, int mode, Rows rows,
            int shapeAt, int sectionBytes) throws PackedFileException {
        boolean raw = mode == MODE_DENSE_RAW;
        int[][] books = null;
        double[] scales = null;
        int alphabet = 0;
        CodeValues codeValues = null;
        int[] codeLengths = null;
        long codeBytes;
        if (raw) {
            codeBytes = 4 * elements;
            c.need(codeBytes, "the raw values");
        } else {
            if (mode == MODE_DENSE_ROW_SCALES) {
                int at = c.pos;
                int levels = c.u16("the level count");
                if (levels < 1) {
                    throw c.invalid(at, "the level count is 0; a section with row scales codes at least one level");
                }
                long lowest = (int) c.u32("the lowest level");
                double[] rowScales = readRowScales(c, rows);
                scales = rowScales;
                alphabet = levels + 1;
                codeValues = (position, s, where) -> Float.floatToRawIntBits(
                        (float) ((lowest + s - 1) * rowScales[(int) (position / rows.length)]));
            } else {
                int[][] b = rows != null ? readRowCodebooks(c, rows, elements > 0) : new int[][] {readDenseCodebook(c)};
                books = b;
                alphabet = alphabet(b);
                codeValues = (position, s, where) -> value(c, b, rows, position, s, where);
            }
            codeLengths = readTable(c, alphabet, elements > 0, "code table");
            codeBytes = c.u32("the code stream length");
            c.need(codeBytes, "the code stream");
        }
        int start = c.pos;
        c.pos += (int) codeBytes;
        if (c.pos != c.end) {
            throw c.invalid(c.pos, (c.end - c.pos) + " unexpected bytes after the last stream");
        }
        float[] values = allocate(c, elements, shapeAt);
        long nonZeros = 0;
        long codeBits = 32 * elements;
        if (raw) {
            for (int i = 0; i < elements; i++) {
                int bits = (int) Cursor.u32At(c.buf, start + 4 * i);
                if (bits == 0x80000000) {
                    throw c.invalid(start + 4L * i, "raw value " + i + " is -0.0; zeros must be stored as +0.0");
                }
                values[i] = Float.intBitsToFloat(bits);
                nonZeros += bits == 0 ? 0 : 1;
            }
        } else if (elements > 0) {
            Huffman.Decoder codes = new Huffman.Decoder(codeLengths, c.buf, start, (int) codeBytes);
            for (int i = 0; i < elements; i++) {
                int s = codes.next();
                if (s < 0) {
                    throw streamError(c, s, "code stream", start, codes.bitsRead(start), i, elements);
                }
                if (s > 0) {
                    int bits = codeValues.bits(i, s, start + codes.bitsRead(start) / 8);
                    if (!isZero(bits)) { // a level times a scale may round to zero; it reads as +0.0
                        values[i] = Float.intBitsToFloat(bits);
                        nonZeros++;
                    }
                }
            }
            checkEnd(c, codes, "code stream", start, codeBytes);
            codeBits = codes.bitsRead(start);
        } else if (codeBytes != 0) {
            throw c.invalid(start, "a tensor without elements must have an empty code stream");
        }
        LayerBreakdown breakdown = scales == null
                ? breakdown(name, elements, nonZeros, books, 0, 0, codeBits, 0, sectionBytes)
                : new LayerBreakdown(name, elements, nonZeros, false, alphabet - 1, rows.count, true, 0, 0, codeBits, 0,
                        4 + 8L * rows.count, sectionBytes);
        return new Decoded(new Tensor(name, shape, values), breakdown);
    }

    /** A dense section's one codebook (format 2): a u32 size K ≤ 65,536 and K values. */
    private static int[] readDenseCodebook(Cursor c) throws PackedFileException {
        int at = c.pos;
        long size = c.u32("the codebook size");
        if (size > MAX_CODEBOOK) {
            throw c.invalid(at, "codebook size " + size + " must be in 0.." + MAX_CODEBOOK);
        }
        return readCodebook(c, (int) size);
    }

    /** One positive, finite binary64 scale per row (format 3). */
    private static double[] readRowScales(Cursor c, Rows rows) throws PackedFileException {
        c.need(8L * rows.count, "the row scales");
        double[] scales = new double[rows.count];
        for (int r = 0; r < rows.count; r++) {
            int at = c.pos;
            scales[r] = Double.longBitsToDouble(c.u64("row " + r + "'s scale"));
            if (!(scales[r] > 0) || Double.isInfinite(scales[r])) {
                throw c.invalid(at, "row " + r + "'s scale is " + scales[r] + "; it must be positive and finite");
            }
        }
        return scales;
    }

    /** The tensor's array, or a clear error where the heap cannot hold it (never an OutOfMemoryError). */
    private static float[] allocate(Cursor c, long elements, int at) throws PackedFileException {
        Runtime rt = Runtime.getRuntime();
        long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        PackedFileException tooBig = c.fail(at, "the tensor's " + elements + " elements need " + (4 * elements >> 20)
                + " MiB but the JVM has about " + (free >> 20) + " MiB free",
                "give the JVM more heap (-Xmx), or re-pack the model if this shape is wrong");
        if (4 * elements > free) {
            throw tooBig;
        }
        try {
            return new float[(int) elements];
        } catch (OutOfMemoryError e) {
            throw tooBig;
        }
    }

    private static PackedFileException streamError(Cursor c, int result, String stream, int start, long bitsRead,
            long entry, long entries) {
        String problem = result == Huffman.Decoder.END
                ? "the " + stream + " ends after " + bitsRead + " bits, inside entry " + entry + " of " + entries
                : "the " + stream + " holds a bit pattern that is no code, at entry " + entry;
        return c.invalid(start + bitsRead / 8, problem);
    }

    private static void checkEnd(Cursor c, Huffman.Decoder d, String stream, int start, long bytes) throws PackedFileException {
        long bits = d.bitsRead(start);
        if ((bits + 7) / 8 != bytes || !d.restIsZero()) {
            throw c.invalid(start + bits / 8, "the " + stream + " has " + bytes + " bytes but its codes end after "
                    + bits + " bits, or its padding bits are not zero");
        }
    }

    private static int[] readTable(Cursor c, int alphabet, boolean expected, String what) throws PackedFileException {
        int at = c.pos;
        int kind = c.u8("the " + what + " kind");
        if (!expected) {
            if (kind != TABLE_EMPTY) {
                throw c.invalid(at, "the " + what + " of a tensor without entries must be empty (kind 0), not kind " + kind);
            }
            return null;
        }
        int[] lengths = new int[alphabet];
        if (kind == TABLE_DENSE) {
            long bytes = (5L * alphabet + 7) / 8;
            c.need(bytes, "the " + what);
            long p = (long) c.pos * 8;
            for (int s = 0; s < alphabet; s++, p += 5) {
                lengths[s] = bitsAt(c.buf, p, 5);
            }
            c.pos += (int) bytes;
        } else if (kind == TABLE_SPARSE) {
            long n = c.u32("the " + what + " symbol count");
            if (n < 1 || n > alphabet) {
                throw c.invalid(at + 1, "the " + what + " lists " + n + " symbols; the alphabet has " + alphabet);
            }
            int sb = symbolBits(alphabet);
            long bytes = (n * (sb + 5) + 7) / 8;
            c.need(bytes, "the " + what);
            long p = (long) c.pos * 8;
            int last = -1;
            for (long i = 0; i < n; i++) {
                int s = bitsAt(c.buf, p, sb);
                int l = bitsAt(c.buf, p + sb, 5);
                p += sb + 5;
                if (s <= last || s >= alphabet || l == 0) {
                    throw c.invalid(p / 8, "the " + what + " lists symbol " + s + " with length " + l
                            + "; symbols must increase, stay below " + alphabet + " and have a length ≥ 1");
                }
                lengths[s] = l;
                last = s;
            }
            c.pos += (int) bytes;
        } else {
            throw c.invalid(at, "the " + what + " has kind " + kind + "; expected 1 (dense) or 2 (sparse)");
        }
        String problem = Huffman.check(lengths);
        if (problem != null) {
            throw c.invalid(at, "the " + what + " is not a prefix code: " + problem);
        }
        return lengths;
    }

    /** The {@code count}-bit field (≤ 24) starting at bit p, most significant bit first. */
    private static int bitsAt(byte[] buf, long p, int count) {
        int v = 0;
        for (int i = 0; i < count; i++, p++) {
            v = (v << 1) | ((buf[(int) (p >>> 3)] >>> (7 - (int) (p & 7))) & 1);
        }
        return v;
    }
}
