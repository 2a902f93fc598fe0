package dev.compresso.bench;

import dev.compresso.model.Graph;
import dev.compresso.model.Network;
import dev.compresso.model.Op;
import dev.compresso.onnx.OnnxFile;
import dev.compresso.prune.Channels;
import dev.compresso.prune.DependencyGroups;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Structured pruning of torchvision models imported from ONNX (issue 12): the time to find the
 * dependency groups and to shrink by {@code channels(ratio)}, parameters and multiply-accumulates
 * before and after, how many groups are split by grouped convolutions, and the shrunk model exported
 * to ONNX and run in ONNX Runtime against Compresso's output.
 *
 * <p>Usage: {@code ShrinkBench RATIO FILE.onnx...}. Each model: one untimed warm-up of both steps,
 * then the median of 3 timed runs.
 */
public final class ShrinkBench {

    public static void main(String[] args) throws Exception {
        double ratio = Double.parseDouble(args[0]);
        Path out = Path.of(System.getProperty("bench.dir", "bench"), "target", "shrink-bench");
        Files.createDirectories(out);
        System.out.println("| model | input | groups (prunable, split by grouped conv) | find groups ms | shrink s | params | MACs"
                + " | shrunk ONNX Runtime vs Compresso |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        for (int i = 1; i < args.length; i++) {
            Path file = Path.of(args[i]);
            try (Network net = OnnxFile.read(file)) {
                DependencyGroups g = DependencyGroups.of(net);
                List<Double> find = time(3, () -> DependencyGroups.of(net));
                Channels pruner = Channels.channels(ratio).finetune(0);
                List<Double> shrink = time(3, () -> {
                    net.shrink(pruner).close();
                    return null;
                });
                try (Network slim = net.shrink(pruner)) {
                    Path f = slim.exportOnnx(out.resolve(net.name() + "-shrunk.onnx").toString());
                    double[] d = compare(slim, f);
                    long p0 = net.parameterCount();
                    long p1 = slim.parameterCount();
                    long m0 = macs(net.architecture().graph());
                    long m1 = macs(slim.architecture().graph());
                    long split = g.prunable().stream().filter(x -> x.convGroups() > 1).count();
                    System.out.printf(Locale.ROOT, "| %s | %s | %d (%d, %d) | %.0f | %.2f | %,d → %,d (%.1f %%) | %,d → %,d (%.1f %%) | %.2g at"
                            + " scale %.2g |%n", file.getFileName(), java.util.Arrays.toString(net.architecture().inputShape()),
                            g.groups().size(), g.prunable().size(), split, Stats.median(find) * 1e3, Stats.median(shrink), p0, p1,
                            100.0 * p1 / p0, m0, m1, 100.0 * m1 / m0, d[0], d[1]);
                }
            }
        }
    }

    private static List<Double> time(int runs, java.util.function.Supplier<?> body) {
        body.get();
        List<Double> t = new java.util.ArrayList<>();
        for (int r = 0; r < runs; r++) {
            long t0 = System.nanoTime();
            body.get();
            t.add((System.nanoTime() - t0) / 1e9);
        }
        return t;
    }

    /** Multiply-accumulates of one sample through every Conv2d and Linear node. */
    static long macs(Graph graph) {
        Map<String, long[]> shapes = graph.shapes(1);
        long total = 0;
        for (Graph.Node n : graph.nodes()) {
            long[] o = shapes.get(n.name());
            if (n.op() instanceof Op.Conv c) {
                total += o[1] * o[2] * o[3] * (c.in() / c.groups()) * c.kernel()[0] * c.kernel()[1];
            } else if (n.op() instanceof Op.Linear l) {
                long rows = 1;
                for (int i = 0; i < o.length - 1; i++) {
                    rows *= o[i];
                }
                total += rows * l.units() * l.in();
            }
        }
        return total;
    }

    /** Max abs difference between Compresso and ONNX Runtime on 2 random samples (an exported file's batch is dynamic), and the output scale. */
    static double[] compare(Network net, Path file) {
        return OnnxCoverage.compare(net, file, 1, 5);
    }
}
