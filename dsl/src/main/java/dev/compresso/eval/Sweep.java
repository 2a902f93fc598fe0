package dev.compresso.eval;

import dev.compresso.model.Network;
import dev.compresso.store.PackedModel;
import dev.compresso.train.TrainingInterruptedException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.numbers.NumberColumnFormatter;

/**
 * A sweep: a compression recipe run over every configuration of a {@link Grid}, optionally for
 * several seeds, with one row per run, a per-configuration summary (mean and spread over seeds), and
 * the Pareto frontier of accuracy against bytes. Runs happen one after another; an interrupt stops
 * the sweep between (or inside) runs and keeps every finished row.
 *
 * <pre>{@code
 * var s = sweep(grid("sparsity", 0.8, 0.9, 0.95).and("bits", 4, 5),
 *               p -> base.prune(magnitude().sparsity(p.get("sparsity")).finetune(1))
 *                        .share(kmeans().bits(p.getInt("bits"))).pack());
 * s.pareto()      // the configurations no other beats on both accuracy and bytes
 * s.chart()       // accuracy vs bytes, frontier drawn
 * }</pre>
 */
public final class Sweep {

    private final Grid grid;
    private final Table runs;
    private final Table failures;
    private final boolean interrupted;
    private final int planned;

    private Sweep(Grid grid, Table runs, Table failures, boolean interrupted, int planned) {
        this.grid = grid;
        this.runs = runs;
        this.failures = failures;
        this.interrupted = interrupted;
        this.planned = planned;
    }

    /**
     * Runs {@code recipe} for every configuration of {@code grid}, once per seed. The recipe gets the
     * configuration (with a {@code seed} entry when seeds are given) and returns an evaluated {@link
     * Network} or a {@link PackedModel}; bytes are the packed file's size for a packed model, else
     * the dense fp32 bytes. Each result is recorded in the session log as {@code sweep[LABEL]}.
     *
     * @param grid the configurations, at least one
     * @param seeds seeds to repeat each configuration with; none means one run without a seed entry
     * @param recipe what to run
     * @return the finished runs, all of them unless interrupted
     */
    public static Sweep run(Grid grid, long[] seeds, Function<Grid.Params, Object> recipe) {
        List<Grid.Params> configs = grid.configurations();
        List<Grid.Params> all = new ArrayList<>();
        for (Grid.Params p : configs) {
            if (seeds.length == 0) {
                all.add(p);
            } else {
                for (long s : seeds) {
                    java.util.Map<String, Double> m = new java.util.LinkedHashMap<>(p.values());
                    m.put("seed", (double) s);
                    all.add(new Grid.Params(m));
                }
            }
        }
        Table table = emptyRuns(grid.names());
        Table failed = Table.create("failed configurations", StringColumn.create("run"), StringColumn.create("error"));
        boolean stopped = false;
        int i = 0;
        for (Grid.Params p : all) {
            if (Thread.interrupted()) {
                stopped = true;
                break;
            }
            i++;
            System.out.printf(Locale.ROOT, "sweep %d/%d: %s%n", i, all.size(), p.label());
            long start = System.nanoTime();
            Object out;
            try {
                out = recipe.apply(p);
            } catch (TrainingInterruptedException e) {
                stopped = true;
                break;
            } catch (RuntimeException e) {
                // one configuration that cannot run (say, more centroids than weights) does not end the sweep
                System.out.printf(Locale.ROOT, "sweep %d/%d: %s failed, continuing: %s%n", i, all.size(), p.label(), e.getMessage());
                failed.stringColumn("run").append(p.label());
                failed.stringColumn("error").append(String.valueOf(e.getMessage()));
                continue;
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            Network net;
            long bytes;
            if (out instanceof PackedModel packed) {
                net = packed.model();
                bytes = packed.bytes();
            } else if (out instanceof Network n) {
                net = n;
                bytes = n.denseBytes();
            } else {
                throw new IllegalArgumentException("the sweep recipe returned " + (out == null ? "null" : out.getClass().getSimpleName())
                        + " for " + p.label() + "; return the evaluated Network or the PackedModel of the configuration");
            }
            if (net.evaluation() == null) {
                throw new IllegalArgumentException("the sweep recipe returned a network that was never evaluated for " + p.label()
                        + "; return the result of a technique applied to a trained model (they evaluate themselves)");
            }
            String label = p.label();
            for (String name : grid.names()) {
                table.doubleColumn(name).append(p.get(name));
            }
            table.stringColumn("config").append(configLabel(grid, p));
            table.longColumn("seed").append(p.values().containsKey("seed") ? (long) p.get("seed") : 0);
            table.stringColumn("name").append("sweep[" + label + "]");
            table.doubleColumn("top1").append(net.evaluation().top1());
            table.longColumn("bytes").append(bytes);
            table.longColumn("nonzeros").append(net.nonZeroCount());
            table.doubleColumn("seconds").append(seconds);
            try (Network named = net.named("sweep[" + label + "]")) {
                ExperimentLog.session().record(named.withEvaluation(net.evaluation(), seconds),
                        out instanceof PackedModel ? bytes : -1);
            }
        }
        if (stopped) {
            System.out.printf(Locale.ROOT, "sweep interrupted after %d of %d runs; the finished rows are kept%n", table.rowCount(), all.size());
        }
        return new Sweep(grid, table, failed, stopped, all.size());
    }

    private static String configLabel(Grid grid, Grid.Params p) {
        StringBuilder sb = new StringBuilder();
        for (String name : grid.names()) {
            double v = p.get(name);
            sb.append(sb.length() == 0 ? "" : " ").append(name).append('=')
                    .append(v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v));
        }
        return sb.toString();
    }

    private static Table emptyRuns(List<String> names) {
        Table t = Table.create("sweep runs");
        t.addColumns(StringColumn.create("config"));
        for (String n : names) {
            t.addColumns(DoubleColumn.create(n));
        }
        t.addColumns(LongColumn.create("seed"), StringColumn.create("name"), DoubleColumn.create("top1"),
                LongColumn.create("bytes"), LongColumn.create("nonzeros"), DoubleColumn.create("seconds"));
        t.doubleColumn("top1").setPrintFormatter(NumberColumnFormatter.percent(2));
        t.longColumn("bytes").setPrintFormatter(NumberColumnFormatter.intsWithGrouping());
        t.doubleColumn("seconds").setPrintFormatter(NumberColumnFormatter.fixedWithGrouping(1));
        return t;
    }

    /** One row per finished run: the parameters, seed, top-1, bytes, non-zeros and seconds. */
    public Table runs() {
        return runs.copy();
    }

    /** The runs whose recipe threw, with the error: they are skipped, not fatal. */
    public Table failures() {
        return failures.copy();
    }

    /** True if the sweep was interrupted before all runs finished. */
    public boolean interrupted() {
        return interrupted;
    }

    /**
     * One row per configuration: runs, mean and standard deviation of top-1 over the seeds, mean bytes.
     */
    public Table summary() {
        StringColumn config = StringColumn.create("config");
        IntColumn n = IntColumn.create("runs");
        DoubleColumn mean = DoubleColumn.create("top1_mean");
        DoubleColumn std = DoubleColumn.create("top1_std");
        LongColumn bytes = LongColumn.create("bytes");
        List<String> seen = new ArrayList<>();
        for (int r = 0; r < runs.rowCount(); r++) {
            String c = runs.stringColumn("config").get(r);
            if (seen.contains(c)) {
                continue;
            }
            seen.add(c);
            List<Double> acc = new ArrayList<>();
            double b = 0;
            for (int q = 0; q < runs.rowCount(); q++) {
                if (runs.stringColumn("config").get(q).equals(c)) {
                    acc.add(runs.doubleColumn("top1").get(q));
                    b += runs.longColumn("bytes").get(q);
                }
            }
            double m = acc.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
            double v = acc.stream().mapToDouble(x -> (x - m) * (x - m)).sum() / Math.max(1, acc.size() - 1);
            config.append(c);
            n.append(acc.size());
            mean.append(m);
            std.append(acc.size() > 1 ? Math.sqrt(v) : 0);
            bytes.append(Math.round(b / acc.size()));
        }
        mean.setPrintFormatter(NumberColumnFormatter.percent(2));
        std.setPrintFormatter(NumberColumnFormatter.percent(2));
        bytes.setPrintFormatter(NumberColumnFormatter.intsWithGrouping());
        return Table.create("sweep summary", config, n, mean, std, bytes);
    }

    /**
     * The Pareto frontier of the summary: configurations that no other has both fewer (or equal)
     * bytes and higher (or equal) mean top-1, one strictly; sorted by bytes.
     */
    public Table pareto() {
        Table s = summary();
        List<Integer> rows = new ArrayList<>();
        for (int r = 0; r < s.rowCount(); r++) {
            rows.add(r);
        }
        rows.sort(Comparator.<Integer>comparingLong(r -> s.longColumn("bytes").get(r))
                .thenComparing(r -> -s.doubleColumn("top1_mean").get(r)));
        List<Integer> front = new ArrayList<>();
        double best = Double.NEGATIVE_INFINITY;
        for (int r : rows) {
            double acc = s.doubleColumn("top1_mean").get(r);
            if (acc > best) {
                front.add(r);
                best = acc;
            }
        }
        Table out = s.rows(front.stream().mapToInt(Integer::intValue).toArray()).sortAscendingOn("bytes");
        out.setName("Pareto frontier");
        return out;
    }

    /** Mean top-1 against bytes (log axis) for every configuration, with error bars over seeds and the frontier. */
    public XYChart chart() {
        Table s = summary();
        Table f = pareto();
        XYChart chart = new XYChartBuilder().width(720).height(420).title("Sweep: accuracy vs size")
                .xAxisTitle("bytes (log scale)").yAxisTitle("test top-1 (%)").build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        chart.getStyler().setMarkerSize(9);
        if (s.rowCount() == 0) {
            throw new IllegalStateException("the sweep has no finished runs to plot");
        }
        XYSeries all = chart.addSeries("configurations", s.longColumn("bytes").asDoubleColumn().asDoubleArray(),
                s.doubleColumn("top1_mean").multiply(100).asDoubleArray(),
                s.doubleColumn("top1_std").multiply(100).asDoubleArray());
        all.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        if (f.rowCount() >= 1) {
            XYSeries front = chart.addSeries("Pareto frontier", f.longColumn("bytes").asDoubleColumn().asDoubleArray(),
                    f.doubleColumn("top1_mean").multiply(100).asDoubleArray());
            front.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            front.setMarker(SeriesMarkers.NONE);
        }
        return chart;
    }

    @Override
    public String toString() {
        return (interrupted ? "sweep (interrupted: " + runs.rowCount() + " of " + planned + " runs)\n"
                : "sweep of " + grid + ", " + runs.rowCount() + " runs\n") + summary().printAll() + "\n" + pareto().printAll()
                + (failures.rowCount() == 0 ? "" : "\n" + failures.printAll());
    }

    /** The summary and the frontier as HTML tables. */
    public String toHtml() {
        return "<div class=\"compresso-sweep\"><p>" + (interrupted ? "interrupted after " + runs.rowCount() + " of " + planned + " runs"
                : runs.rowCount() + " runs of " + grid) + "</p>" + html(summary()) + "<p>Pareto frontier</p>" + html(pareto()) + "</div>";
    }

    private static String html(Table t) {
        return HtmlReport.table(t);
    }
}
