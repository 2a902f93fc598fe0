package dev.compresso.store;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

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
    /** Largest codebook; more distinct values are stored raw. */
    static final int MAX_CODEBOOK = 65_536;
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
     * How a tensor will be written: its mode, index width and code tables. A dense plan has index
     * width 0 and no gap table; its code table covers every element, symbol 0 being a zero.
     */
    private record Plan(int indexBits, boolean raw, long fillers, int[] gapLengths, long gapBits,
            int[] codeLengths, long codeBits, long bytes) {
        boolean dense() {
            return indexBits == 0;
        }
    }

    /**
     * Encodes a tensor in the layout that gives the fewest bytes: sparse (relative indices) or, when
     * {@code indexBits} is 0, also dense (every element coded, no indices).
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
        int[] gaps = new int[nonZeros];
        int[] bits = new int[nonZeros];
        int prev = -1;
        for (int i = 0, k = 0; i < v.length; i++) {
            int b = Float.floatToRawIntBits(v[i]);
            if (!isZero(b)) {
                gaps[k] = i - prev - 1;
                bits[k++] = b;
                prev = i;
            }
        }
        // Codebook: the distinct non-zero bit patterns in ascending order; symbol 0 is the filler.
        int[] keys = new int[nonZeros];
        for (int k = 0; k < nonZeros; k++) {
            keys[k] = sortKey(bits[k]);
        }
        int[] book = distinctSorted(keys);
        boolean bookPossible = !forceRaw && nonZeros > 0 && book.length <= MAX_CODEBOOK;
        int[] symbols = null;
        long[] codeFreq = null;
        if (bookPossible) {
            symbols = new int[nonZeros];
            codeFreq = new long[book.length + 1];
            for (int k = 0; k < nonZeros; k++) {
                int s = Arrays.binarySearch(book, keys[k]) + 1;
                symbols[k] = s;
                codeFreq[s]++;
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
            long rawBytes = common + 4 * (nonZeros + fillers);
            Plan best = new Plan(b, true, fillers, gapLengths, gapBits, null, 32 * (nonZeros + fillers), rawBytes);
            if (bookPossible) {
                codeFreq[0] = fillers;
                int[] codeLengths = Huffman.codeLengths(codeFreq, Huffman.MAX_LENGTH);
                long codeBits = Huffman.cost(codeFreq, codeLengths);
                long bookBytes = common + 4 + 4L * book.length + tableBytes(codeLengths) + 4 + (codeBits + 7) / 8;
                if (bookBytes <= rawBytes) {
                    best = new Plan(b, false, fillers, gapLengths, gapBits, codeLengths, codeBits, bookBytes);
                }
            }
            if (plan == null || best.bytes < plan.bytes) {
                plan = best;
            }
        }
        if (indexBits == 0) {
            // Dense: no index stream; worth it when zeros are few (a dense gap stream costs ≥ 1 bit a weight).
            long zeros = v.length - nonZeros;
            Plan dense = new Plan(0, true, 0, null, 0, null, 32L * v.length, 4L * v.length);
            if (bookPossible) {
                codeFreq[0] = zeros;
                int[] codeLengths = Huffman.codeLengths(codeFreq, Huffman.MAX_LENGTH);
                long codeBits = Huffman.cost(codeFreq, codeLengths);
                long bookBytes = 4 + 4L * book.length + tableBytes(codeLengths) + 4 + (codeBits + 7) / 8;
                if (bookBytes <= dense.bytes) {
                    dense = new Plan(0, false, 0, null, 0, codeLengths, codeBits, bookBytes);
                }
            }
            // the sparse layout's index width and entry count take 5 bytes that the dense one does not
            if (nonZeros > 0 && dense.bytes < plan.bytes + 5) {
                plan = dense;
            }
        }
        if (plan.dense()) {
            return encodeDense(t, plan, book);
        }
        boolean raw = plan.raw;
        indexBits = plan.indexBits;
        int max = (1 << indexBits) - 1;
        int[] gapLengths = plan.gapLengths;
        int[] codeLengths = plan.codeLengths;
        long gapBits = plan.gapBits;
        long codeBits = plan.codeBits;
        long fillers = plan.fillers;
        int entries = (int) (nonZeros + fillers);

        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + (int) Math.min(Integer.MAX_VALUE - 64, (codeBits + gapBits) / 8 + 4L * book.length));
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            writeNameAndShape(out, t);
            out.writeByte(raw ? MODE_RAW : MODE_CODEBOOK);
            out.writeByte(indexBits);
            out.writeInt(entries);
            if (!raw) {
                out.writeInt(book.length);
                for (int key : book) {
                    out.writeInt(sortKey(key));
                }
                writeTable(out, codeLengths);
            }
            writeTable(out, gapLengths);
            int[] gapCodes = Huffman.canonicalCodes(gapLengths);
            BitWriter gw = new BitWriter();
            for (int k = 0; k < nonZeros; k++) {
                for (int f = gaps[k] >>> indexBits; f > 0; f--) {
                    gw.write(gapCodes[max], gapLengths[max]);
                }
                int g = gaps[k] & max;
                gw.write(gapCodes[g], gapLengths[g]);
            }
            byte[] gapStream = gw.toByteArray();
            out.writeInt(gapStream.length);
            out.write(gapStream);
            if (!raw) {
                int[] codes = Huffman.canonicalCodes(codeLengths);
                BitWriter cw = new BitWriter();
                for (int k = 0; k < nonZeros; k++) {
                    for (int f = gaps[k] >>> indexBits; f > 0; f--) {
                        cw.write(codes[0], codeLengths[0]);
                    }
                    cw.write(codes[symbols[k]], codeLengths[symbols[k]]);
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
        int bookSize = raw || entries == 0 ? 0 : book.length;
        LayerBreakdown stats = new LayerBreakdown(t.name(), v.length, nonZeros, raw, bookSize, indexBits,
                fillers, codeBits, gapBits, 4L * bookSize, payload.length + 8L);
        return new Encoded(payload, stats);
    }

    /** Writes a dense plan: every element in order, as a codebook symbol (0 = zero) or a raw float. */
    private static Encoded encodeDense(Tensor t, Plan plan, int[] book) {
        float[] v = t.values();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + (int) Math.min(Integer.MAX_VALUE - 64, plan.bytes));
        long nonZeros = 0;
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            writeNameAndShape(out, t);
            out.writeByte(plan.raw ? MODE_DENSE_RAW : MODE_DENSE_CODEBOOK);
            if (plan.raw) {
                for (float x : v) {
                    int b = Float.floatToRawIntBits(x);
                    nonZeros += isZero(b) ? 0 : 1;
                    out.writeInt(isZero(b) ? 0 : b);
                }
            } else {
                out.writeInt(book.length);
                for (int key : book) {
                    out.writeInt(sortKey(key));
                }
                writeTable(out, plan.codeLengths);
                int[] codes = Huffman.canonicalCodes(plan.codeLengths);
                BitWriter cw = new BitWriter();
                for (float x : v) {
                    int b = Float.floatToRawIntBits(x);
                    int symbol = isZero(b) ? 0 : Arrays.binarySearch(book, sortKey(b)) + 1;
                    nonZeros += symbol == 0 ? 0 : 1;
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
        int bookSize = plan.raw ? 0 : book.length;
        LayerBreakdown stats = new LayerBreakdown(t.name(), v.length, nonZeros, plan.raw, bookSize, 0, 0,
                plan.codeBits, 0, 4L * bookSize, payload.length + 8L);
        return new Encoded(payload, stats);
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

    private static int[] distinctSorted(int[] keys) {
        int[] sorted = keys.clone();
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
        if (mode == MODE_DENSE_CODEBOOK || mode == MODE_DENSE_RAW) {
            if (c.version < 2) {
                throw c.invalid(at, "mode " + mode + " (dense) exists from format version 2; this file is version " + c.version);
            }
            return decodeDense(c, name, shape, elements, mode == MODE_DENSE_RAW, shapeAt, sectionBytes);
        }
        if (mode != MODE_CODEBOOK && mode != MODE_RAW) {
            throw c.invalid(at, "mode " + mode + " is none of 0 (codebook), 1 (raw), 2 (dense codebook), 3 (dense raw)");
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
        int[] book = null;
        int[] codeLengths = null;
        if (mode == MODE_CODEBOOK) {
            at = c.pos;
            long size = c.u32("the codebook size");
            if (entries == 0 ? size != 0 : size < 1 || size > MAX_CODEBOOK) {
                throw c.invalid(at, "codebook size " + size + " must be " + (entries == 0 ? "0 when there are no entries" : "in 1.." + MAX_CODEBOOK));
            }
            book = readCodebook(c, (int) size);
            codeLengths = readTable(c, (int) size + 1, entries > 0, "code table");
        }
        int[] gapLengths = readTable(c, max + 1, entries > 0, "relative index table");
        at = c.pos;
        long gapBytes = c.u32("the relative index stream length");
        c.need(gapBytes, "the relative index stream");
        int gapStart = c.pos;
        c.pos += (int) gapBytes;
        int codeStart = 0;
        long codeBytes = 0;
        if (mode == MODE_CODEBOOK) {
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
            Huffman.Decoder codes = book == null ? null : new Huffman.Decoder(codeLengths, c.buf, codeStart, (int) codeBytes);
            long position = -1;
            boolean filler = false;
            for (long e = 0; e < entries; e++) {
                int gap = gaps.next();
                if (gap < 0) {
                    throw streamError(c, gap, "relative index stream", gapStart, gaps.bitsRead(gapStart), e, entries);
                }
                int bits;
                if (codes != null) {
                    int s = codes.next();
                    if (s < 0) {
                        throw streamError(c, s, "code stream", codeStart, codes.bitsRead(codeStart), e, entries);
                    }
                    filler = s == 0;
                    bits = filler ? 0 : book[s - 1];
                } else {
                    int off = codeStart + (int) (4 * e);
                    bits = (int) Cursor.u32At(c.buf, off);
                    filler = isZero(bits);
                    if (filler && bits != 0) {
                        throw c.invalid(off, "raw value " + e + " is -0.0; a filler must be stored as +0.0");
                    }
                }
                position += gap + 1;
                if (filler && gap != max) {
                    throw c.invalid(gapStart + gaps.bitsRead(gapStart) / 8, "entry " + e + " is a filler zero but its gap is "
                            + gap + ", not " + max);
                }
                if (position >= elements) {
                    throw c.invalid(gapStart + gaps.bitsRead(gapStart) / 8, "entry " + e + " lands at element " + position
                            + " but the tensor has " + elements);
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
        int bookSize = book == null ? 0 : book.length;
        LayerBreakdown stats = new LayerBreakdown(name, elements, nonZeros, book == null, bookSize, indexBits,
                fillers, codeBits, gapBits, 4L * bookSize, sectionBytes);
        return new Decoded(tensor, stats);
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

    /** The rest of a dense tensor section (format 2): every element in order, coded or raw. */
    private static Decoded decodeDense(Cursor c, String name, long[] shape, long elements, boolean raw, int shapeAt,
            int sectionBytes) throws PackedFileException {
        int[] book = null;
        int[] codeLengths = null;
        long codeBytes;
        if (raw) {
            codeBytes = 4 * elements;
            c.need(codeBytes, "the raw values");
        } else {
            int at = c.pos;
            long size = c.u32("the codebook size");
            if (size > MAX_CODEBOOK) {
                throw c.invalid(at, "codebook size " + size + " must be in 0.." + MAX_CODEBOOK);
            }
            book = readCodebook(c, (int) size);
            codeLengths = readTable(c, (int) size + 1, elements > 0, "code table");
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
                    values[i] = Float.intBitsToFloat(book[s - 1]);
                    nonZeros++;
                }
            }
            checkEnd(c, codes, "code stream", start, codeBytes);
            codeBits = codes.bitsRead(start);
        } else if (codeBytes != 0) {
            throw c.invalid(start, "a tensor without elements must have an empty code stream");
        }
        int bookSize = book == null ? 0 : book.length;
        LayerBreakdown stats = new LayerBreakdown(name, elements, nonZeros, raw, bookSize, 0, 0, codeBits, 0,
                4L * bookSize, sectionBytes);
        return new Decoded(new Tensor(name, shape, values), stats);
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
