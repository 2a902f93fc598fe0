package dev.compresso.bench;

import static dev.compresso.Compresso.*;

import dev.compresso.data.Samples;
import dev.compresso.model.Network;
import dev.compresso.model.TorchRuntime;
import dev.compresso.model.Zoo;
import dev.compresso.onnx.OnnxFile;
import dev.compresso.onnx.OnnxRuntimeSession;
import dev.compresso.prune.Selector;
import dev.compresso.share.WeightSharing;
import dev.compresso.store.PackedModel;
import dev.compresso.train.Fit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * torchvision resnet18 from ONNX: import time; after 80 % global magnitude pruning, 5-bit k-means
 * sharing and pack, at three sizes (resnet(20) 0.27 M, mnasnet0_5 2.2 M, resnet18 11.7 M
 * parameters) to show how the time grows; load time; ONNX export time; and inference latency in
 * DJL and in ONNX Runtime at batch 1 and 64 with the same number of threads.
 *
 * <p>Every timing is repeated {@code runs} times after one untimed warm-up run, and the median is
 * reported. Usage: {@code ResNet18Bench FOLDER [runs=5]}, where FOLDER holds resnet18.onnx and
 * mnasnet0_5.onnx; run with {@code COMPRESSO_THREADS} set (ONNX Runtime gets the same count).
 */
public final class ResNet18Bench {

    public static void main(String[] args) throws Exception {
        Path folder = Path.of(args.length > 0 ? args[0] : "/tmp/tv-onnx");
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        Path out = Path.of(System.getProperty("bench.dir", "bench"), "target", "resnet18-bench");
        Files.createDirectories(out);
        Path resnet18 = folder.resolve("resnet18.onnx");
        int threads = TorchRuntime.threads();
        System.out.printf(Locale.ROOT, "DJL %s, PyTorch %s, threads %d (DJL and ONNX Runtime), %d timed runs after 1 warm-up%n",
                TorchRuntime.djlVersion(), TorchRuntime.pytorchVersion(), threads, runs);
        System.out.printf(Locale.ROOT, "resnet18.onnx: %,d bytes%n", Files.size(resnet18));

        // 1. import (the first, cold one is reported too)
        long c0 = System.nanoTime();
        OnnxFile.read(resnet18).close();
        System.out.printf(Locale.ROOT, "first import resnet18.onnx (cold, JIT not warm): %.3f s%n", (System.nanoTime() - c0) / 1e9);
        List<Double> imports = time(runs, () -> {
            OnnxFile.read(resnet18).close();
            return null;
        });
        System.out.println("import resnet18.onnx: " + Stats.summary(imports, "%.3f s"));

        // 2. prune 80 % global + share 5 bits (k-means) + pack, and load, at three sizes
        System.out.println("\n| model | params | share (k-means) s, process CPU s | pack s, process CPU s | share + pack s | load s | share+pack µs/param | load µs/param | bytes | ratio |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|");
        packRow("resnet(20)", () -> Network.create(Zoo.resnet(20), 1), runs, out);
        packRow("mnasnet0_5", () -> OnnxFile.read(folder.resolve("mnasnet0_5.onnx")), runs, out);
        packRow("resnet18", () -> OnnxFile.read(resnet18), runs, out);

        try (Network net = OnnxFile.read(resnet18)) {
            // 3. export
            Path exported = out.resolve("resnet18-export.onnx");
            List<Double> exports = time(runs, () -> net.exportOnnx(exported.toString()));
            System.out.printf(Locale.ROOT, "%nexport resnet18 to ONNX: %s, %,d bytes%n", Stats.summary(exports, "%.3f s"),
                    Files.size(exported));

            // 4. latency, DJL vs ONNX Runtime (on our export, whose batch axis is dynamic; and on the original at batch 1)
            System.out.println("\n| batch | DJL ms | ONNX Runtime ms (our export) | ONNX Runtime ms (torch's file) | DJL / ORT |");
            System.out.println("|---|---|---|---|---|");
            for (int batch : new int[] {1, 64}) {
                long[] sample = net.architecture().inputShape();
                float[] x = OnnxCoverage.randomInput(batch, sample, 3);
                long[] shape = {batch, sample[0], sample[1], sample[2]};
                Samples s = Samples.of(x, new int[batch], sample, net.architecture().outputs());
                int n = batch == 1 ? Math.max(runs, 20) : runs;
                List<Double> djl = time(n, () -> Fit.outputs(net, s, batch));
                List<Double> ort;
                try (OnnxRuntimeSession session = OnnxRuntimeSession.open(exported, threads)) {
                    ort = time(n, () -> session.run(x, shape));
                }
                String original = "—";
                if (batch == 1) {
                    try (OnnxRuntimeSession session = OnnxRuntimeSession.open(resnet18, threads)) {
                        original = String.format(Locale.ROOT, "%.1f", 1e3 * Stats.median(time(n, () -> session.run(x, shape))));
                    }
                }
                System.out.printf(Locale.ROOT, "| %d | %.1f (%.1f–%.1f) | %.1f (%.1f–%.1f) | %s | %.2f |%n", batch,
                        1e3 * Stats.median(djl), 1e3 * min(djl), 1e3 * max(djl),
                        1e3 * Stats.median(ort), 1e3 * min(ort), 1e3 * max(ort), original, Stats.median(djl) / Stats.median(ort));
            }
        }
    }

    /** share + pack timed separately and together, then load, for one model; closes everything it makes. */
    private static void packRow(String name, Supplier<Network> make, int runs, Path out) {
        try (Network net = make.get(); Network pruned = net.prune(magnitude().sparsity(0.8).global())) {
            Path file = out.resolve(name.replaceAll("[^A-Za-z0-9_]", "") + ".cmpr");
            List<Double> share = new ArrayList<>();
            List<Double> pack = new ArrayList<>();
            List<Double> both = new ArrayList<>();
            List<Double> shareCpu = new ArrayList<>();
            List<Double> packCpu = new ArrayList<>();
            PackedModel last = null;
            WeightSharing sharing = fewerBitsWhereNeeded(pruned, 5);
            for (int r = 0; r <= runs; r++) {
                double c0 = PyTorchSide.cpuSeconds();
                long t0 = System.nanoTime();
                try (Network shared = pruned.share(sharing)) {
                    long t1 = System.nanoTime();
                    double c1 = PyTorchSide.cpuSeconds();
                    last = shared.pack(file);
                    long t2 = System.nanoTime();
                    double c2 = PyTorchSide.cpuSeconds();
                    if (r > 0) {
                        shareCpu.add(c1 - c0);
                        packCpu.add(c2 - c1);
                        share.add((t1 - t0) / 1e9);
                        pack.add((t2 - t1) / 1e9);
                        both.add((t2 - t0) / 1e9);
                    }
                }
            }
            List<Double> load = time(runs, () -> {
                PackedModel.load(file).close();
                return null;
            });
            double p = net.parameterCount();
            System.out.printf(Locale.ROOT, "| %s | %,d | %.3f (CPU %.3f) | %.3f (CPU %.3f) | %.3f (%.3f–%.3f) | %.3f (%.3f–%.3f) | %.3f | %.3f | %,d | %.1f× |%n",
                    name, net.parameterCount(), Stats.median(share), Stats.median(shareCpu), Stats.median(pack), Stats.median(packCpu), Stats.median(both), min(both), max(both),
                    Stats.median(load), min(load), max(load), 1e6 * Stats.median(both) / p, 1e6 * Stats.median(load) / p,
                    last.bytes(), last.ratio());
        }
    }

    private static final Pattern TOO_FEW = Pattern.compile("non-zero weights of '([^']+)'; use at most (\\d+) bits");

    /**
     * 5-bit sharing refuses a tensor that pruning left with fewer than 32 non-zero weights; such
     * tensors get the bits the error suggests, or are left unshared when fewer than 2 weights remain
     * (found by untimed tries, and printed).
     */
    private static WeightSharing fewerBitsWhereNeeded(Network pruned, int bits) {
        Map<String, Integer> fewer = new LinkedHashMap<>();
        List<String> unshared = new ArrayList<>();
        for (int tries = 0; tries < 1000; tries++) {
            WeightSharing sharing = kmeans().bits(bits);
            if (!unshared.isEmpty()) {
                sharing = sharing.select(Selector.weights().except(unshared.toArray(String[]::new)));
            }
            for (var e : fewer.entrySet()) {
                sharing = sharing.bits(e.getKey(), e.getValue());
            }
            try {
                pruned.share(sharing).close();
                return sharing;
            } catch (IllegalArgumentException e) {
                Matcher m = TOO_FEW.matcher(String.valueOf(e.getMessage()));
                if (!m.find()) {
                    throw e;
                }
                int b = Integer.parseInt(m.group(2));
                System.out.printf(Locale.ROOT, "  (%s: '%s' keeps too few weights for %d bits; %s)%n", pruned.name(), m.group(1),
                        bits, b >= 1 ? "sharing it with " + b + " bits" : "not sharing it");
                if (b >= 1) {
                    fewer.put(m.group(1), b);
                } else {
                    unshared.add(m.group(1).replaceFirst("_weight$", ""));
                }
            }
        }
        throw new IllegalStateException("no sharing found for " + pruned.name());
    }

    /** Seconds of {@code runs} calls after one untimed warm-up call. */
    private static List<Double> time(int runs, Supplier<?> body) {
        body.get();
        List<Double> t = new ArrayList<>();
        for (int r = 0; r < runs; r++) {
            long t0 = System.nanoTime();
            body.get();
            t.add((System.nanoTime() - t0) / 1e9);
        }
        return t;
    }

    private static double min(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
    }

    private static double max(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
    }
}
