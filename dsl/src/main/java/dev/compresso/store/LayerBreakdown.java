package dev.compresso.store;

import java.util.List;
import java.util.Locale;

/**
 * How one tensor was stored, in the layout of Table 2 of Deep Compression (Han, Mao and Dally
 * 2016): bits per weight and per index before and after Huffman coding, codebook bytes, total
 * bytes and ratio. Counts are exact; the derived "bits per" figures are per non-zero weight.
 *
 * @param name the tensor's name
 * @param weights all elements, zero or not
 * @param nonZeros elements that are not ±0
 * @param raw whether the non-zeros are stored as raw fp32 rather than as codebook codes
 * @param codebookSize distinct non-zero values in the codebook (0 when raw)
 * @param indexBits the width b of a relative index before Huffman coding
 * @param fillerZeros filler entries inserted where a gap exceeded 2^b − 1
 * @param codeStreamBits bits of the Huffman-coded code stream (raw: 32 per entry)
 * @param indexStreamBits bits of the Huffman-coded relative-index stream
 * @param codebookBytes bytes of the codebook values (4 per entry)
 * @param storedBytes bytes of the tensor's whole section in the file, framing included
 */
public record LayerBreakdown(
        String name,
        long weights,
        long nonZeros,
        boolean raw,
        int codebookSize,
        int indexBits,
        long fillerZeros,
        long codeStreamBits,
        long indexStreamBits,
        long codebookBytes,
        long storedBytes) {

    /** Share of weights that are non-zero. */
    public double density() {
        return weights == 0 ? 0 : (double) nonZeros / weights;
    }

    /** Bits per weight before Huffman coding: ⌈log2 codebook size⌉ (at least 1), or 32 when raw. */
    public int codeBitsBefore() {
        if (raw) {
            return 32;
        }
        return Math.max(1, 32 - Integer.numberOfLeadingZeros(Math.max(codebookSize, 2) - 1));
    }

    /** Bits per non-zero weight after Huffman coding (the code stream, fillers included, over the non-zeros). */
    public double codeBitsAfter() {
        return nonZeros == 0 ? 0 : (double) codeStreamBits / nonZeros;
    }

    /** Bits per index before Huffman coding: the relative index width b. */
    public int indexBitsBefore() {
        return indexBits;
    }

    /** Bits per non-zero weight spent on the sparse structure after Huffman coding. */
    public double indexBitsAfter() {
        return nonZeros == 0 ? 0 : (double) indexStreamBits / nonZeros;
    }

    /** Bytes of the tensor as dense fp32. */
    public long denseBytes() {
        return 4 * weights;
    }

    /** Dense fp32 bytes over stored bytes. */
    public double ratio() {
        return (double) denseBytes() / storedBytes;
    }

    /**
     * A plain-text table with one row per tensor and a total row, like Deep Compression's Table 2.
     *
     * @param rows the breakdown returned by {@link PackedFile#write} or {@link PackedFile#breakdown}
     * @return the table, lines separated by {@code \n}
     */
    public static String table(List<LayerBreakdown> rows) {
        StringBuilder sb = new StringBuilder();
        String head = "%-24s %10s %8s %6s %9s %9s %9s %9s %8s %9s %10s %11s %8s%n";
        String row = "%-24s %10d %7.2f%% %6s %9s %9.2f %9s %9.2f %8d %9d %10d %11d %7.1fx%n";
        sb.append(String.format(Locale.ROOT, head, "tensor", "weights", "density", "books", "code bits",
                "→Huffman", "idx bits", "→Huffman", "fillers", "codebookB", "storedB", "denseB", "ratio"));
        long weights = 0;
        long nonZeros = 0;
        long stored = 0;
        long codebook = 0;
        long fillers = 0;
        long codeBits = 0;
        long indexBitsTotal = 0;
        for (LayerBreakdown r : rows) {
            sb.append(String.format(Locale.ROOT, row, r.name, r.weights, 100 * r.density(),
                    r.raw ? "raw" : Integer.toString(r.codebookSize), Integer.toString(r.codeBitsBefore()),
                    r.codeBitsAfter(), Integer.toString(r.indexBits), r.indexBitsAfter(), r.fillerZeros, r.codebookBytes,
                    r.storedBytes, r.denseBytes(), r.ratio()));
            weights += r.weights;
            nonZeros += r.nonZeros;
            stored += r.storedBytes;
            codebook += r.codebookBytes;
            fillers += r.fillerZeros;
            codeBits += r.codeStreamBits;
            indexBitsTotal += r.indexStreamBits;
        }
        double nz = Math.max(1, nonZeros);
        sb.append(String.format(Locale.ROOT, row, "total (tensor sections)", weights,
                weights == 0 ? 0 : 100.0 * nonZeros / weights, "", "", codeBits / nz, "", indexBitsTotal / nz,
                fillers, codebook, stored, 4 * weights, stored == 0 ? 0 : 4.0 * weights / stored));
        return sb.toString();
    }
}
