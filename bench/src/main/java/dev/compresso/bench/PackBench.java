package dev.compresso.bench;

import dev.compresso.data.DataSplit;
import dev.compresso.data.FashionMnist;
import dev.compresso.eval.ExperimentLog;
import dev.compresso.model.Network;
import dev.compresso.model.Zoo;
import dev.compresso.prune.Magnitude;
import dev.compresso.share.KMeans;
import dev.compresso.share.WeightSharing;
import dev.compresso.store.PackedFile;
import dev.compresso.store.PackedModel;
import dev.compresso.store.Tensor;
import dev.compresso.train.TrainOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Issue 4's speed numbers for LeNet-300-100, trained 2 epochs and pruned to 92 % (no fine-tuning):
 * <ol>
 *   <li><b>pack</b> = {@code share(kmeans().bits(5))} (k-means per layer, no fine-tuning) + reading
 *       the shared weights into {@link Tensor}s + {@link PackedFile#write} (canonical Huffman,
 *       sparse index coding, CRC32C, fsync, atomic rename), each part timed;
 *   <li>{@link PackedModel#pack} on the shared model (write + read-back + bit-for-bit check; the
 *       model has no training data attached, so no evaluation);
 *   <li><b>load</b> = {@link PackedModel#load(Path)} (read + verify + decode + rebuild the DJL
 *       model), and its {@link PackedFile#read} part alone.
 * </ol>
 * The sharing runs on a copy of the pruned weights that carries no training data, so
 * {@code share} does not evaluate on the test set (that evaluation is timed once, separately).
 * First (cold) calls are reported, then warm-up, then {@code runs} interleaved rounds.
 * {@code PackBench fresh FILE} times the first two loads of FILE in a new JVM (the first includes
 * class loading and the engine start). Usage: {@code bench/run.sh pack [runs] [warmup] [freshJvms]}.
 */
public final class PackBench {

    private PackBench() {}

    public static void main(String[] args) throws IOException {
        if (args.length > 0 && args[0].equals("fresh")) {
            fresh(Path.of(args[1]));
            return;
        }
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 21;
        int warmup = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        Path dir = Path.of(System.getProperty("bench.dir", "bench"), "target", "pack-bench");
        Files.createDirectories(dir);
        Path file = dir.resolve("lenet300100.cmpr");
        Path file2 = dir.resolve("lenet300100-pack.cmpr");

        DataSplit data = FashionMnist.load();
        ExperimentLog log = new ExperimentLog();
        try (Network init = Network.create(Zoo.lenet300100(), 42);
                Network base = init.train(data, TrainOptions.epochs(2).quiet().evaluateEachEpoch(false).log(log));
                Network pruned = base.prune(Magnitude.magnitude().sparsity(0.92))) {
            Map<String, float[]> w = new LinkedHashMap<>();
            for (String p : pruned.parameterNames()) {
                w.put(p, pruned.weights(p));
            }
            WeightSharing sharing = WeightSharing.kmeans().bits(5);
            System.out.printf(Locale.ROOT, "base test top-1 %.4f, pruned (0.92, no fine-tune) %.4f, %,d of %,d non-zero%n",
                    base.evaluation().top1(), pruned.evaluation().top1(), pruned.nonZeroCount(), pruned.parameterCount());
            try (Network bare = Network.restore("lenet300100", "bench", pruned.architecture(), w)) {
                // cold: the first call of each operation in this JVM (the engine and training are already warm)
                double[] cold = packOnce(bare, sharing, file);
                double coldPackModel = packModelOnce(bare, sharing, file2);
                double[] coldLoad = loadOnce(file);
                System.out.printf(Locale.ROOT, "cold (first call) ms: share %.1f, tensors %.1f, write %.1f, share+write %.1f |"
                        + " PackedModel.pack %.1f | PackedFile.read %.1f, load %.1f%n",
                        cold[0], cold[1], cold[2], cold[3], coldPackModel, coldLoad[0], coldLoad[1]);
                System.out.printf(Locale.ROOT, "file: %,d bytes (%.1fx smaller than %,d dense fp32 bytes)%n",
                        Files.size(file), (double) pruned.denseBytes() / Files.size(file), pruned.denseBytes());
                for (int i = 0; i < warmup; i++) {
                    packOnce(bare, sharing, file);
                    packModelOnce(bare, sharing, file2);
                    loadOnce(file);
                }
                // where share's time goes: k-means alone, per weight tensor (median of 11)
                StringBuilder km = new StringBuilder("k-means alone (KMeans.cluster, 32 centroids, linear init), ms:");
                double kmTotal = 0;
                for (String p : bare.parameterNames()) {
                    if (!p.endsWith("_weight")) {
                        continue;
                    }
                    float[] nz = nonZeros(bare.weights(p));
                    List<Double> t = new ArrayList<>();
                    int iterations = 0;
                    for (int i = 0; i < 11; i++) {
                        long t0 = System.nanoTime();
                        iterations = KMeans.cluster(nz, 32, KMeans.Init.LINEAR, 42, 100).iterations();
                        t.add((System.nanoTime() - t0) / 1e6);
                    }
                    kmTotal += Stats.median(t);
                    km.append(String.format(Locale.ROOT, " %s %.2f (%,d values, %d iterations);", p, Stats.median(t), nz.length, iterations));
                }
                System.out.println(km.append(String.format(Locale.ROOT, " total %.1f", kmTotal)));
                List<Double> share = new ArrayList<>();
                List<Double> tensors = new ArrayList<>();
                List<Double> write = new ArrayList<>();
                List<Double> pack = new ArrayList<>();
                List<Double> packModel = new ArrayList<>();
                List<Double> read = new ArrayList<>();
                List<Double> load = new ArrayList<>();
                for (int r = 0; r < runs; r++) {
                    double[] a = packOnce(bare, sharing, file);
                    share.add(a[0]);
                    tensors.add(a[1]);
                    write.add(a[2]);
                    pack.add(a[3]);
                    packModel.add(packModelOnce(bare, sharing, file2));
                    double[] b = loadOnce(file);
                    read.add(b[0]);
                    load.add(b[1]);
                }
                System.out.println("ms per call, " + runs + " rounds after " + warmup + " warm-up rounds:");
                System.out.println("  share(kmeans bits=5)          " + Stats.summary(share, "%.1f"));
                System.out.println("  weights -> tensors            " + Stats.summary(tensors, "%.1f"));
                System.out.println("  PackedFile.write              " + Stats.summary(write, "%.1f"));
                System.out.println("  PACK = share+tensors+write    " + Stats.summary(pack, "%.1f")
                        + String.format(Locale.ROOT, "  target 200 ms: %.2fx of it", Stats.median(pack) / 200));
                System.out.println("  share + PackedModel.pack      " + Stats.summary(packModel, "%.1f")
                        + "  (write + read-back + verify, no evaluation)");
                System.out.println("  PackedFile.read               " + Stats.summary(read, "%.1f"));
                System.out.println("  LOAD = PackedModel.load       " + Stats.summary(load, "%.1f")
                        + String.format(Locale.ROOT, "  target 50 ms: %.2fx of it", Stats.median(load) / 50));
            }
            // For reference, once: share and pack as a notebook calls them, on the trained model, which
            // evaluates on the 10,000 test images after sharing and after loading back.
            long t0 = System.nanoTime();
            try (Network shared = pruned.share(sharing)) {
                long t1 = System.nanoTime();
                PackedModel pm = PackedModel.pack(shared, file2, PackedFile.Options.defaults());
                long t2 = System.nanoTime();
                System.out.printf(Locale.ROOT, "as in a notebook (with test-set evaluations), once: pruned.share %.1f ms,"
                        + " shared.pack %.1f ms; shared top-1 %.4f, loaded top-1 %.4f, %,d bytes%n",
                        (t1 - t0) / 1e6, (t2 - t1) / 1e6, shared.evaluation().top1(), pm.model().evaluation().top1(), pm.bytes());
                pm.model().close();
            }
        }
    }

    private static float[] nonZeros(float[] w) {
        int n = 0;
        for (float v : w) {
            n += v != 0f ? 1 : 0;
        }
        float[] out = new float[n];
        for (int i = 0, j = 0; i < w.length; i++) {
            if (w[i] != 0f) {
                out[j++] = w[i];
            }
        }
        return out;
    }

    /** In a fresh JVM: the first load (class loading + engine start + load), then the engine alone, then a second load. */
    private static void fresh(Path file) {
        long t0 = System.nanoTime();
        try (Network n = PackedModel.load(file)) {
            long t1 = System.nanoTime();
            try (Network m = PackedModel.load(file)) {
                long t2 = System.nanoTime();
                System.out.printf(Locale.ROOT, "fresh JVM: first PackedModel.load %.1f ms (incl. class loading and engine start),"
                        + " second %.1f ms; %,d parameters%n", (t1 - t0) / 1e6, (t2 - t1) / 1e6, n.parameterCount());
            }
        }
    }

    /** share, tensors, write, total, in ms. */
    private static double[] packOnce(Network bare, WeightSharing sharing, Path file) {
        long t0 = System.nanoTime();
        try (Network shared = bare.share(sharing)) {
            long t1 = System.nanoTime();
            List<Tensor> tensors = new ArrayList<>();
            for (String p : shared.parameterNames()) {
                tensors.add(new Tensor(p, shared.parameterArray(p).getShape().getShape(), shared.weights(p)));
            }
            byte[] arch = shared.architecture().encode().getBytes(StandardCharsets.UTF_8);
            long t2 = System.nanoTime();
            try {
                PackedFile.write(file, arch, tensors, PackedFile.Options.defaults());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            long t3 = System.nanoTime();
            return new double[] {(t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6, (t3 - t0) / 1e6};
        }
    }

    /** share + PackedModel.pack, in ms. */
    private static double packModelOnce(Network bare, WeightSharing sharing, Path file) {
        long t0 = System.nanoTime();
        try (Network shared = bare.share(sharing)) {
            PackedModel pm = PackedModel.pack(shared, file, PackedFile.Options.defaults());
            double ms = (System.nanoTime() - t0) / 1e6;
            pm.model().close();
            return ms;
        }
    }

    /** PackedFile.read alone, then PackedModel.load, in ms. */
    private static double[] loadOnce(Path file) throws IOException {
        long t0 = System.nanoTime();
        PackedFile.Contents c = PackedFile.read(file);
        long t1 = System.nanoTime();
        if (c.tensors().isEmpty()) {
            throw new IllegalStateException("no tensors in " + file);
        }
        long t2 = System.nanoTime();
        try (Network n = PackedModel.load(file)) {
            long t3 = System.nanoTime();
            if (n.parameterCount() == 0) {
                throw new IllegalStateException("empty model from " + file);
            }
            return new double[] {(t1 - t0) / 1e6, (t3 - t2) / 1e6};
        }
    }
}
