package dev.compresso.prune;

import dev.compresso.model.Layer;
import dev.compresso.model.Network;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.numbers.NumberColumnFormatter;

/**
 * Per-layer sparsity: weights, non-zeros, sparsity, dense bytes and sparse bytes. Sparse bytes are
 * what compressed sparse row storage of the weight takes (fp32 value and int32 column index per
 * non-zero, plus an int32 offset per row); biases count as dense. The packed file format is smaller
 * still.
 */
public final class SparsityReport {

    private SparsityReport() {}

    /**
     * The report for {@code network}, one row per layer plus a total row.
     *
     * @param network any network
     * @return the table
     */
    public static Table of(Network network) {
        StringColumn layer = StringColumn.create("layer");
        StringColumn type = StringColumn.create("type");
        LongColumn weights = LongColumn.create("weights");
        LongColumn nonzeros = LongColumn.create("nonzeros");
        DoubleColumn sparsity = DoubleColumn.create("sparsity");
        DoubleColumn kept = DoubleColumn.create("kept");
        LongColumn dense = LongColumn.create("dense_bytes");
        LongColumn sparse = LongColumn.create("sparse_bytes");
        long tw = 0;
        long tn = 0;
        long td = 0;
        long ts = 0;
        for (Layer l : network.layers()) {
            long w = 0;
            long nz = 0;
            long sb = 0;
            for (Layer.ParameterInfo p : l.parameters()) {
                if (p.isWeight()) {
                    w += p.count();
                    nz += p.nonZeros();
                    sb += 8 * p.nonZeros() + 4 * (p.shape()[0] + 1);
                } else {
                    sb += 4 * p.count();
                }
            }
            long db = 4 * l.count();
            layer.append(l.name());
            type.append(l.type());
            weights.append(w);
            nonzeros.append(nz);
            sparsity.append(w == 0 ? 0 : 1 - (double) nz / w);
            kept.append(w == 0 ? 1 : (double) nz / w);
            dense.append(db);
            sparse.append(sb);
            tw += w;
            tn += nz;
            td += db;
            ts += sb;
        }
        layer.append("total");
        type.append("");
        weights.append(tw);
        nonzeros.append(tn);
        sparsity.append(tw == 0 ? 0 : 1 - (double) tn / tw);
        kept.append(tw == 0 ? 1 : (double) tn / tw);
        dense.append(td);
        sparse.append(ts);
        sparsity.setPrintFormatter(NumberColumnFormatter.percent(1));
        kept.setPrintFormatter(NumberColumnFormatter.percent(1));
        for (LongColumn c : new LongColumn[] {weights, nonzeros, dense, sparse}) {
            c.setPrintFormatter(NumberColumnFormatter.intsWithGrouping());
        }
        return Table.create("sparsity of " + network.name(), layer, type, weights, nonzeros, sparsity, kept, dense, sparse);
    }
}
