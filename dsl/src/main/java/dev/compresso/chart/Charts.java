package dev.compresso.chart;

import dev.compresso.eval.ExperimentLog;
import dev.compresso.model.Network;
import dev.compresso.train.TrainingHistory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;
import tech.tablesaw.api.Table;

/** Charts as plain XChart objects, and a helper that saves any chart as PNG and SVG. */
public final class Charts {

    private Charts() {}

    /**
     * Training curves: training loss (left axis) and test accuracy (right axis) per epoch, one pair of
     * lines per network.
     *
     * @param networks trained networks
     * @return the chart
     */
    public static XYChart trainingCurves(Network... networks) {
        XYChart chart = new XYChartBuilder().width(720).height(420).title("Training curves").xAxisTitle("epoch").build();
        chart.setYAxisGroupTitle(0, "training loss");
        chart.setYAxisGroupTitle(1, "test top-1 (%)");
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        chart.getStyler().setYAxisGroupPosition(1, Styler.YAxisPosition.Right);
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        int drawn = 0;
        for (Network n : networks) {
            List<TrainingHistory.Epoch> epochs = n.history().epochs();
            if (epochs.isEmpty()) {
                continue;
            }
            double[] x = new double[epochs.size()];
            double[] loss = new double[epochs.size()];
            double[] acc = new double[epochs.size()];
            for (int i = 0; i < epochs.size(); i++) {
                x[i] = i + 1;
                loss[i] = epochs.get(i).trainLoss();
                acc[i] = 100 * epochs.get(i).testTop1();
            }
            XYSeries l = chart.addSeries(n.name() + " loss", x, loss);
            l.setYAxisGroup(0);
            l.setMarker(SeriesMarkers.CIRCLE);
            if (Arrays.stream(acc).noneMatch(Double::isNaN)) {
                XYSeries a = chart.addSeries(n.name() + " test top-1", x, acc);
                a.setYAxisGroup(1);
                a.setMarker(SeriesMarkers.DIAMOND);
            }
            drawn++;
        }
        if (drawn == 0) {
            throw new IllegalArgumentException(
                    "none of the networks has a training history; train one first, for example net.train(data, epochs(10))");
        }
        return chart;
    }

    /**
     * The accuracy-versus-size trade-off: one labelled point per network, bytes on a log x axis (the
     * packed file size if the log has one, else dense fp32 bytes), with the Pareto frontier drawn.
     *
     * @param networks evaluated networks
     * @return the chart
     */
    public static XYChart tradeoff(Network... networks) {
        List<Point> points = new ArrayList<>();
        for (Network n : networks) {
            if (n.evaluation() == null) {
                throw new IllegalArgumentException(
                        "network '" + n.name() + "' has no evaluation; train or evaluate it before plotting it");
            }
            points.add(new Point(n.name(), n.denseBytes(), 100 * n.evaluation().top1()));
        }
        return tradeoff(points);
    }

    /**
     * The trade-off chart for every row of a log: stored bytes where known, else dense bytes.
     *
     * @param log the experiment log
     * @return the chart
     */
    public static XYChart tradeoff(ExperimentLog log) {
        Table t = log.table();
        List<Point> points = new ArrayList<>();
        for (int r = 0; r < t.rowCount(); r++) {
            if (t.doubleColumn("top1").isMissing(r)) {
                continue;
            }
            long bytes = t.longColumn("stored_bytes").isMissing(r)
                    ? t.longColumn("dense_bytes").getLong(r)
                    : t.longColumn("stored_bytes").getLong(r);
            points.add(new Point(t.stringColumn("name").get(r), bytes, 100 * t.doubleColumn("top1").getDouble(r)));
        }
        return tradeoff(points);
    }

    /** One model on the trade-off chart. */
    record Point(String name, double bytes, double top1) {}

    static XYChart tradeoff(List<Point> points) {
        if (points.isEmpty()) {
            throw new IllegalArgumentException("nothing to plot: give at least one evaluated network");
        }
        XYChart chart = new XYChartBuilder().width(720).height(420)
                .title("Accuracy vs size").xAxisTitle("bytes: packed file where packed, else dense fp32 (log scale)").yAxisTitle("test top-1 (%)").build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setMarkerSize(10);
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        for (Point p : points) {
            chart.addSeries(p.name() + String.format(" (%.2f%%)", p.top1()), new double[] {p.bytes()}, new double[] {p.top1()});
        }
        List<Point> front = paretoFront(points);
        if (front.size() >= 2) {
            XYSeries s = chart.addSeries("Pareto frontier",
                    front.stream().mapToDouble(Point::bytes).toArray(),
                    front.stream().mapToDouble(Point::top1).toArray());
            s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            s.setMarker(SeriesMarkers.NONE);
            s.setLineColor(java.awt.Color.GRAY);
        }
        return chart;
    }

    /**
     * The points no other point beats on both axes (smaller or equal size and higher or equal
     * accuracy, one strictly), sorted by size.
     */
    static List<Point> paretoFront(List<Point> points) {
        List<Point> sorted = new ArrayList<>(points);
        sorted.sort(Comparator.comparingDouble(Point::bytes).thenComparing(Comparator.comparingDouble(Point::top1).reversed()));
        List<Point> front = new ArrayList<>();
        double best = Double.NEGATIVE_INFINITY;
        for (Point p : sorted) {
            if (p.top1() > best) {
                front.add(p);
                best = p.top1();
            }
        }
        return front;
    }

    /**
     * Throughput per model as grouped bars, one series per runtime and batch size, from a {@link
     * dev.compresso.eval.Speed} table; the title states the threads.
     *
     * @param speed the table {@code speed(...)} returned
     * @return the chart: x = model, y = samples per second
     * @throws IllegalArgumentException if the table lacks the speed columns
     */
    public static org.knowm.xchart.CategoryChart speed(Table speed) {
        for (String c : List.of("model", "runtime", "batch", "throughput_per_s", "threads")) {
            if (!speed.columnNames().contains(c)) {
                throw new IllegalArgumentException("table '" + speed.name() + "' has no column '" + c + "'; pass the table speed(...) returns");
            }
        }
        List<String> models = new ArrayList<>();
        for (String m : speed.stringColumn("model")) {
            if (!models.contains(m)) {
                models.add(m);
            }
        }
        int threads = speed.rowCount() == 0 ? 1 : speed.intColumn("threads").get(0);
        org.knowm.xchart.CategoryChart chart = new org.knowm.xchart.CategoryChartBuilder().width(760).height(440)
                .title("Measured throughput (" + threads + " thread" + (threads == 1 ? "" : "s") + ", median of runs)")
                .xAxisTitle("model").yAxisTitle("samples / s").build();
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setXAxisLabelRotation(15);
        java.util.Map<String, double[]> series = new java.util.LinkedHashMap<>();
        for (int r = 0; r < speed.rowCount(); r++) {
            // int8 models run in ONNX Runtime: their bars stand in the ONNX Runtime series
            String key = speed.stringColumn("runtime").get(r).replace(" int8", "") + ", batch " + speed.intColumn("batch").get(r);
            series.computeIfAbsent(key, k -> new double[models.size()])[models.indexOf(speed.stringColumn("model").get(r))] =
                    speed.doubleColumn("throughput_per_s").get(r);
        }
        series.forEach((k, v) -> chart.addSeries(k, models, Arrays.stream(v).boxed().toList()));
        return chart;
    }

    /**
     * Saves a chart as {@code base.png} and {@code base.svg}.
     *
     * @param chart any XChart chart
     * @param base the path without extension, for example {@code out/accuracy}
     * @return the two files written
     */
    public static List<Path> save(Chart<?, ?> chart, Path base) {
        try {
            Path dir = base.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            String file = base.toString();
            BitmapEncoder.saveBitmapWithDPI(chart, file, BitmapEncoder.BitmapFormat.PNG, 144);
            VectorGraphicsEncoder.saveVectorGraphic(chart, file, VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
            return List.of(Path.of(file + ".png"), Path.of(file + ".svg"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save chart to " + base + ".png/.svg: " + e.getMessage(), e);
        }
    }

    /** The chart as PNG bytes, for display. */
    public static byte[] png(Chart<?, ?> chart) {
        try {
            return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
