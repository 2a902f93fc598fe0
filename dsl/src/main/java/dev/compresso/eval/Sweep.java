package dev.compresso.eval;

import dev.compresso.model.Network;
import dev.compresso.runs.Run;
import dev.compresso.runs.RunStore;
import dev.compresso.store.PackedModel;
import dev.compresso.train.TrainingInterruptedException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
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
 * the Pareto frontier of accuracy against bytes. Runs happen one after another ({@link #HERE}) or on
 * Spark; an interrupt stops the sweep between (or inside) runs and keeps every finished row. A named
 * sweep keeps its finished configurations in the run store and resumes from them.
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
     * A sweep's recipe that can be sent to another JVM (a Spark worker): a lambda assigned to this
     * type is serializable as long as it captures only serializable values (numbers, strings, grids).
     */
    public interface Recipe extends Function<Grid.Params, Object>, Serializable {}

    /**
     * Where a sweep's configurations run: one after another in this JVM ({@link #HERE}), or as Spark
     * tasks (module {@code compresso-spark}).
     */
    public interface Runner {
        /**
         * Runs the recipe for each configuration, handing every result, finished or failed, to
         * {@code done} on the calling thread as it arrives.
         *
         * @param sweep the sweep's name, or null
         * @param configurations what to run
         * @param recipe the recipe
         * @param done receives each result once
         * @return false if interrupted before every configuration ran
         */
        boolean run(String sweep, List<Grid.Params> configurations, Function<Grid.Params, Object> recipe, Consumer<Run> done);
    }

    /** Runs configurations one after another in this JVM, stopping between runs when interrupted. */
    public static final Runner HERE = (sweep, configurations, recipe, done) -> {
        int i = 0;
        for (Grid.Params p : configurations) {
            if (Thread.interrupted()) {
                return false;
            }
            i++;
            System.out.printf(Locale.ROOT, "sweep %d/%d: %s%n", i, configurations.size(), p.label());
            Run r;
            try {
                r = runOne(sweep, p, recipe);
            } catch (TrainingInterruptedException e) {
                return false;
            }
            if (!r.ok()) {
                System.out.printf(Locale.ROOT, "sweep %d/%d: %s failed, continuing: %s%n", i, configurations.size(), p.label(), r.error());
            }
            done.accept(r);
        }
        return true;
    };

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
        return run(null, grid, seeds, recipe, HERE);
    }

    /**
     * Runs a sweep, named or not, on a runner. A named sweep registers its grid, seeds and the
     * recipe's code in the run store, skips the configurations the store has as finished (from any
     * earlier session, even one that was killed), and refuses to continue a sweep of the same name
     * planned differently. The result covers every configuration, old and new.
     *
     * @param name the sweep's name, or null for a sweep that is not resumed
     * @param grid the configurations
     * @param seeds seeds to repeat each configuration with; none means one run without a seed entry
     * @param recipe what to run
     * @param runner where to run it, {@link #HERE} or Spark
     * @return the sweep
     */
    public static Sweep run(String name, Grid grid, long[] seeds, Function<Grid.Params, Object> recipe, Runner runner) {
        List<Grid.Params> all = expand(grid, seeds);
        Map<String, Run> done = new LinkedHashMap<>();
        Map<String, String> failedRuns = new LinkedHashMap<>();
        RunStore store = null;
        if (name != null) {
            if (name.isBlank() || name.length() > 200) {
                throw new IllegalArgumentException("sweep name '" + name + "' must be 1 to 200 characters, for example \"bits-vs-sparsity\"");
            }
            store = RunStore.session();
            String plan = grid + (seeds.length == 0 ? "" : ", seeds " + Arrays.toString(seeds));
            store.beginSweep(name, Fingerprint.of(plan, recipe), plan);
            Map<String, Run> old = store.finished(name);
            for (Grid.Params p : all) {
                Run r = old.get(p.label());
                if (r != null) {
                    done.put(p.label(), r);
                    ExperimentLog.session().show(r);
                }
            }
            System.out.printf(Locale.ROOT, "sweep '%s': %d of %d configurations already finished in %s; running %d%n", name,
                    done.size(), all.size(), store.file(), all.size() - done.size());
        }
        List<Grid.Params> todo = new ArrayList<>();
        for (Grid.Params p : all) {
            if (!done.containsKey(p.label())) {
                todo.add(p);
            }
        }
        RunStore failures = store != null ? store : RunStore.enabled() ? RunStore.session() : null;
        boolean complete = runner.run(name, todo, recipe, r -> {
            if (done.containsKey(r.config())) {
                return; // a result delivered twice counts once
            }
            if (r.ok()) {
                done.put(r.config(), r);
                failedRuns.remove(r.config());
                ExperimentLog.session().record(r);
            } else {
                failedRuns.put(r.config(), r.error());
                if (failures != null) {
                    failures.record(r);
                }
            }
        });
        Table table = emptyRuns(grid.names());
        Table failed = Table.create("failed configurations", StringColumn.create("run"), StringColumn.create("error"));
        for (Grid.Params p : all) {
            Run r = done.get(p.label());
            if (r != null) {
                for (String n : grid.names()) {
                    table.doubleColumn(n).append(p.get(n));
                }
                table.stringColumn("config").append(configLabel(grid, p));
                table.longColumn("seed").append(p.values().containsKey("seed") ? (long) p.get("seed") : 0);
                table.stringColumn("name").append(r.name());
                table.doubleColumn("top1").append(r.top1());
                table.longColumn("bytes").append(r.storedBytes() >= 0 ? r.storedBytes() : r.denseBytes());
                table.longColumn("nonzeros").append(r.nonzeros());
                table.doubleColumn("seconds").append(r.seconds());
            } else if (failedRuns.containsKey(p.label())) {
                failed.stringColumn("run").append(p.label());
                failed.stringColumn("error").append(failedRuns.get(p.label()));
            }
        }
        if (!complete) {
            System.out.printf(Locale.ROOT, "sweep interrupted after %d of %d runs; the finished rows are kept%n", table.rowCount(), all.size());
        }
        return new Sweep(grid, table, failed, !complete, all.size());
    }

    private static List<Grid.Params> expand(Grid grid, long[] seeds) {
        List<Grid.Params> all = new ArrayList<>();
        for (Grid.Params p : grid.configurations()) {
            if (seeds.length == 0) {
                all.add(p);
            } else {
                for (long s : seeds) {
                    Map<String, Double> m = new LinkedHashMap<>(p.values());
                    m.put("seed", (double) s);
                    all.add(new Grid.Params(m));
                }
            }
        }
        return all;
    }

    /**
     * Runs the recipe for one configuration and measures it. A recipe that throws gives a failed run
     * with its error; an interrupt ({@link TrainingInterruptedException}) passes through. Spark tasks
     * call this on the worker.
     *
     * @param sweep the sweep's name, or null
     * @param p the configuration
     * @param recipe the recipe
     * @return the run, named {@code sweep[LABEL]}
     * @throws IllegalArgumentException if the recipe returns something other than an evaluated network or packed model
     */
    public static Run runOne(String sweep, Grid.Params p, Function<Grid.Params, Object> recipe) {
        long start = System.nanoTime();
        Object out;
        try {
            out = recipe.apply(p);
        } catch (TrainingInterruptedException e) {
            throw e;
        } catch (RuntimeException e) {
            // one configuration that cannot run (say, more centroids than weights) does not end the sweep
            return Run.failed(sweep, p.label(), p.values(), String.valueOf(e.getMessage()));
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Run r;
        if (out instanceof PackedModel packed) {
            r = Run.of(evaluated(packed.model(), p), packed.bytes(), packed.file());
        } else if (out instanceof Network n) {
            r = Run.of(evaluated(n, p), -1, null);
        } else {
            throw new IllegalArgumentException("the sweep recipe returned " + (out == null ? "null" : out.getClass().getSimpleName())
                    + " for " + p.label() + "; return the evaluated Network or the PackedModel of the configuration");
        }
        return r.inSweep(sweep, "sweep[" + p.label() + "]", p.label(), p.values(), seconds);
    }

    private static Network evaluated(Network net, Grid.Params p) {
        if (net.evaluation() == null) {
            throw new IllegalArgumentException("the sweep recipe returned a network that was never evaluated for " + p.label()
                    + "; return the result of a technique applied to a trained model (they evaluate themselves)");
        }
        return net;
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
