package dev.compresso.prune;

import dev.compresso.data.DataSplit;
import dev.compresso.model.Network;
import dev.compresso.train.Evaluation;
import java.util.Arrays;
import java.util.List;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * Sensitivity analysis, as Distiller does it: prune each layer alone at each sparsity, without
 * fine-tuning, and evaluate. Layers whose accuracy falls early deserve a lower sparsity.
 */
public final class Sensitivity {

    private Sensitivity() {}

    /**
     * Prunes each selected parameter alone at each sparsity and evaluates on the test part of
     * {@code data}. The network is untouched.
     *
     * @param network the trained model
     * @param data the data to evaluate on
     * @param selector which parameters to analyse
     * @param sparsities the sparsities to try, each in [0, 1)
     * @return a table with columns {@code parameter, sparsity, top1, loss}
     */
    public static Table analyze(Network network, DataSplit data, Selector selector, double... sparsities) {
        if (sparsities.length == 0) {
            throw new IllegalArgumentException("give at least one sparsity, for example 0.5, 0.7, 0.9");
        }
        for (double s : sparsities) {
            Schedule.checkSparsity("sparsity", s);
        }
        List<String> params = selector.resolve(network);
        StringColumn param = StringColumn.create("parameter");
        DoubleColumn sparsity = DoubleColumn.create("sparsity");
        DoubleColumn top1 = DoubleColumn.create("top1");
        DoubleColumn loss = DoubleColumn.create("loss");
        double[] sorted = sparsities.clone();
        Arrays.sort(sorted);
        for (String p : params) {
            float[] original = network.weights(p);
            try (Network copy = network.copy()) {
                for (double s : sorted) {
                    float[] mask = Masks.smallest(original, (int) Math.round(s * original.length));
                    float[] pruned = original.clone();
                    for (int i = 0; i < pruned.length; i++) {
                        pruned[i] *= mask[i];
                    }
                    copy.parameterArray(p).set(pruned);
                    Evaluation e = copy.evaluate(data);
                    param.append(p);
                    sparsity.append(s);
                    top1.append(e.top1());
                    loss.append(e.loss());
                }
            }
        }
        top1.setPrintFormatter(tech.tablesaw.columns.numbers.NumberColumnFormatter.percent(2));
        loss.setPrintFormatter(tech.tablesaw.columns.numbers.NumberColumnFormatter.fixedWithGrouping(4));
        return Table.create("sensitivity of " + network.name(), param, sparsity, top1, loss);
    }

    /**
     * Accuracy against sparsity, one line per parameter, from a table made by {@link #analyze}.
     *
     * @param table the analysis
     * @return the chart
     */
    public static XYChart chart(Table table) {
        XYChart chart = new XYChartBuilder().width(720).height(420).title(table.name())
                .xAxisTitle("sparsity of the layer alone").yAxisTitle("test top-1 (%)").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideSW);
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        // parameter sensitivity (parameter, sparsity) or channel sensitivity (group, ratio)
        String key = table.columnNames().contains("group") ? "group" : "parameter";
        String x = key.equals("group") ? "ratio" : "sparsity";
        if (key.equals("group")) {
            chart.setXAxisTitle("share of the group's channels removed");
        }
        for (String p : table.stringColumn(key).unique().asList()) {
            Table rows = table.where(table.stringColumn(key).isEqualTo(p));
            chart.addSeries(p, rows.doubleColumn(x).asDoubleArray(),
                    rows.doubleColumn("top1").multiply(100).asDoubleArray()).setMarker(SeriesMarkers.CIRCLE);
        }
        return chart;
    }
}
