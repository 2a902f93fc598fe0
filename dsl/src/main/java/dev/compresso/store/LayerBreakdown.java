package dev.compresso.store;

import java.util.List;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.numbers.NumberColumnFormatter;

/**
 * How one tensor was stored, in the layout of Table 2 of Deep Compression (Han, Mao and Dally
 * 2016): bits per weight and per index before and after Huffman coding, codebook bytes, total
 * bytes and ratio. Counts are exact; the derived "bits per" figures are per non-zero weight.
 *
 * @param name the tensor's name
 * @param weights all elements, zero or not
 * @param nonZeros elements that are not ±0
 * @param raw whether the non-zeros are stored as raw fp32 rather than as codebook codes
 * @param codebookSize distinct non-zero values in the codebook, or in the largest one when each row
 *     has its own; with row scales, the number of levels the codes name (0 when raw)
 * @param codebooks how many codebooks or scales: 1, or one per row (a slice of the first dimension)
 *     where rows hold a few values each but the tensor many; 0 when raw
 * @param rowScales whether each row is stored as one scale and every weight as an integer level of
 *     it (what per-channel quantization makes), rather than as codebook entries
 * @param indexBits the width b of a relative index before Huffman coding; 0 for a dense section,
 *     which codes every element in order and stores no indices
 * @param fillerZeros filler entries inserted where a gap exceeded 2^b − 1
 * @param codeStreamBits bits of the Huffman-coded code stream (raw: 32 per entry)
 * @param indexStreamBits bits of the Huffman-coded relative-index stream
 * @param codebookBytes bytes of the codebook values (4 per entry), or of the row scales and lowest level
 * @param storedBytes bytes of the tensor's whole section in the file, framing included
 */
public record LayerBreakdown(
        String name,
        long weights,
        long nonZeros,
        boolean raw,
        int codebookSize,
        int codebooks,
        boolean rowScales,
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

    /**
     * Bits per weight before Huffman coding: ⌈log2 codebook size⌉ (at least 1; of the largest
     * codebook when each row has its own), or 32 when raw.
     */
    public int codeBitsBefore() {
        if (raw) {
            return 32;
        }
        return Math.max(1, 32 - Integer.numberOfLeadingZeros(Math.max(codebookSize, 2) - 1));
    }

    /**
     * Bits per non-zero weight after Huffman coding: the code stream over the non-zeros, with the
     * codes of fillers (sparse sections) or of zeros (dense sections) included.
     */
    public double codeBitsAfter() {
        return nonZeros == 0 ? 0 : (double) codeStreamBits / nonZeros;
    }

    /** Bits per index before Huffman coding: the relative index width b (0 when stored densely). */
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
     * The breakdown of a packed file in the layout of Deep Compression's Table 2: per tensor,
     * weights, share kept, bits per weight and per index before and after Huffman coding, codebook
     * bytes, stored bytes and ratio; a row for the file's header and architecture; a total row.
     *
     * @param title the table's name
     * @param rows the breakdown returned by {@link PackedFile#write} or {@link PackedFile#breakdown}
     * @param fileBytes the size of the whole file
     * @return the table (print it with {@code printAll()})
     */
    public static Table table(String title, List<LayerBreakdown> rows, long fileBytes) {
        StringColumn name = StringColumn.create("tensor");
        LongColumn weights = LongColumn.create("weights");
        DoubleColumn kept = DoubleColumn.create("kept");
        StringColumn codebook = StringColumn.create("codebook");
        DoubleColumn codeBits = DoubleColumn.create("code_bits");
        DoubleColumn codeHuff = DoubleColumn.create("code_bits_huffman");
        DoubleColumn idxBits = DoubleColumn.create("index_bits");
        DoubleColumn idxHuff = DoubleColumn.create("index_bits_huffman");
        LongColumn codebookBytes = LongColumn.create("codebook_bytes");
        LongColumn stored = LongColumn.create("stored_bytes");
        LongColumn dense = LongColumn.create("dense_bytes");
        DoubleColumn ratio = DoubleColumn.create("ratio");
        long sumStored = 0;
        long sumWeights = 0;
        long sumNonZeros = 0;
        long sumCodeBits = 0;
        long sumIndexBits = 0;
        long sumCodebook = 0;
        for (LayerBreakdown r : rows) {
            name.append(r.name());
            weights.append(r.weights());
            kept.append(r.density());
            codebook.append(r.raw() ? "raw fp32"
                    : r.rowScales() ? String.format("%,d row scales, %d levels", r.codebooks(), r.codebookSize())
                    : r.codebooks() > 1 ? String.format("%,d rows × ≤%d", r.codebooks(), r.codebookSize())
                    : Integer.toString(r.codebookSize()));
            codeBits.append(r.raw() ? 32 : r.codeBitsBefore());
            codeHuff.append(r.codeBitsAfter());
            idxBits.append(r.indexBits());
            idxHuff.append(r.indexBitsAfter());
            codebookBytes.append(r.codebookBytes());
            stored.append(r.storedBytes());
            dense.append(r.denseBytes());
            ratio.append(r.ratio());
            sumStored += r.storedBytes();
            sumWeights += r.weights();
            sumNonZeros += r.nonZeros();
            sumCodeBits += r.codeStreamBits();
            sumIndexBits += r.indexStreamBits();
            sumCodebook += r.codebookBytes();
        }
        name.append("header + architecture");
        weights.appendMissing();
        kept.appendMissing();
        codebook.append("");
        codeBits.appendMissing();
        codeHuff.appendMissing();
        idxBits.appendMissing();
        idxHuff.appendMissing();
        codebookBytes.appendMissing();
        stored.append(fileBytes - sumStored);
        dense.appendMissing();
        ratio.appendMissing();
        double nz = Math.max(1, sumNonZeros);
        name.append("total (file)");
        weights.append(sumWeights);
        kept.append(sumWeights == 0 ? 0 : (double) sumNonZeros / sumWeights);
        codebook.append("");
        codeBits.appendMissing();
        codeHuff.append(sumCodeBits / nz);
        idxBits.appendMissing();
        idxHuff.append(sumIndexBits / nz);
        codebookBytes.append(sumCodebook);
        stored.append(fileBytes);
        dense.append(4 * sumWeights);
        ratio.append(fileBytes == 0 ? Double.NaN : 4.0 * sumWeights / fileBytes);
        kept.setPrintFormatter(NumberColumnFormatter.percent(1));
        for (DoubleColumn c : new DoubleColumn[] {codeBits, codeHuff, idxBits, idxHuff}) {
            c.setPrintFormatter(NumberColumnFormatter.fixedWithGrouping(2));
        }
        ratio.setPrintFormatter(NumberColumnFormatter.fixedWithGrouping(1));
        for (LongColumn c : new LongColumn[] {weights, codebookBytes, stored, dense}) {
            c.setPrintFormatter(NumberColumnFormatter.intsWithGrouping());
        }
        return Table.create(title, name, weights, kept, codebook, codeBits, codeHuff,
                idxBits, idxHuff, codebookBytes, stored, dense, ratio);
    }
}
