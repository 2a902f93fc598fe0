package dev.compresso.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.compresso.model.Network;
import dev.compresso.model.TorchRuntime;
import dev.compresso.onnx.OnnxFile;
import dev.compresso.onnx.OnnxRuntimeSession;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * Measured inference speed of models, in DJL's PyTorch engine and in ONNX Runtime (each model
 * exported to a temporary file: int8 QDQ for models quantized with {@code
 * weightsTo(8).perChannel().activations(8)}, which run only in ONNX Runtime; fp32 otherwise).
 *
 * <p>For every runtime and batch size the models are timed in turns (one run of each, repeated), so
 * a load that changes during the measurement affects all of them alike. Warm-up runs (at least 3 of
 * each model and {@value #WARMUP_SECONDS} s in all, so the JIT has compiled DJL's Java side) are excluded;
 * the table reports the median of the timed runs, the throughput it implies, and the speed-up over
 * the first model in the same runtime at the same batch size. A variant counts as {@code faster}
 * only when its speed-up is at least {@value #FASTER}: timing noise on a shared machine is several
 * percent, and an unstructured-sparse model (dense kernels over zeros) must not look faster.
 *
 * <pre>{@code
 * speed(base, pruned, slim, folded, int8)                 // 1 thread, batches 1 and 64, median of 10
 * Speed.threads(2).runs(20).batches(1, 32).measure(base, slim)
 * }</pre>
 */
public final class Speed {

    /** The speed-up from which a variant counts as faster. */
    public static final double FASTER = 1.15;

    /** The least time spent warming up each group of runs, in seconds. */
    public static final double WARMUP_SECONDS = 2.0;

    /** Runtime label for DJL's PyTorch engine. */
    public static final String DJL = "DJL PyTorch";
    /** Runtime label for ONNX Runtime on an fp32 export. */
    public static final String ORT = "ONNX Runtime";
    /** Runtime label for ONNX Runtime on an int8 QDQ export. */
    public static final String ORT_INT8 = "ONNX Runtime int8";

    private final int threads;
    private final int runs;
    private final int warmup;
    private final int[] batches;
    private final boolean djl;

    private Speed(int threads, int runs, int warmup, int[] batches, boolean djl) {
        this.threads = threads;
        this.runs = runs;
        this.warmup = warmup;
        this.batches = batches.clone();
        this.djl = djl;
    }

    /** The defaults: 1 thread in both runtimes, batches 1 and 64, ≥ 3 warm-up runs and ≥ 2 s, median of 10. */
    public static Speed defaults() {
        return new Speed(1, 10, 3, new int[] {1, 64}, true);
    }

    /**
     * The defaults with {@code n} intra-op threads in both runtimes.
     *
     * @param n threads, ≥ 1
     * @return the settings
     */
    public static Speed threads(int n) {
        return defaults().withThreads(n);
    }

    /** These settings with {@code n} intra-op threads in both runtimes (≥ 1). */
    public Speed withThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("threads=" + n + " must be ≥ 1, for example 1 or 2");
        }
        return new Speed(n, runs, warmup, batches, djl);
    }

    /** These settings with {@code n} timed runs per measurement (≥ 3), of which the median is reported. */
    public Speed runs(int n) {
        if (n < 3) {
            throw new IllegalArgumentException("runs=" + n + " must be ≥ 3 to take a median; 10 is usual");
        }
        return new Speed(threads, n, warmup, batches, djl);
    }

    /** These settings with {@code n} warm-up runs (≥ 0) before the timed ones, excluded from the table. */
    public Speed warmup(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("warmup=" + n + " must be ≥ 0");
        }
        return new Speed(threads, runs, n, batches, djl);
    }

    /** These settings with other batch sizes (each ≥ 1). */
    public Speed batches(int... sizes) {
        if (sizes.length == 0 || Arrays.stream(sizes).anyMatch(b -> b < 1)) {
            throw new IllegalArgumentException("batches " + Arrays.toString(sizes) + " must be one or more sizes ≥ 1, such as 1, 64");
        }
        return new Speed(threads, runs, warmup, sizes, djl);
    }

    /** These settings measuring in ONNX Runtime only, for large models whose DJL runs would take long. */
    public Speed onnxRuntimeOnly() {
        return new Speed(threads, runs, warmup, batches, false);
    }

    /**
     * Measures the models; see the class comment.
     *
     * @param models the models, the first being the baseline; graph models are also run in ONNX Runtime
     * @return one row per model, runtime and batch size: {@code model, runtime, threads, batch,
     *     median_ms, throughput_per_s, speedup, verdict} (verdict: {@code baseline}, {@code faster} or
     *     {@code not faster})
     */
    public Table measure(Network... models) {
        if (models.length == 0) {
            throw new IllegalArgumentException("speed() needs at least one model; the first is the baseline");
        }
        List<Runner> djl = new ArrayList<>();
        List<Runner> ort = new ArrayList<>();
        Path tmp;
        try {
            tmp = Files.createTempDirectory("compresso-speed");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary folder for the ONNX exports: " + e.getMessage(), e);
        }
        int before = ai.djl.pytorch.jni.JniUtils.getNumThreads();
        TorchRuntime.threads(threads);
        try {
            for (int i = 0; i < models.length; i++) {
                Network m = models[i];
                String label = m.name();
                boolean int8 = false;
                Path file = tmp.resolve(i + ".onnx");
                if (m.architecture().isGraph()) {
                    try {
                        OnnxFile.writeInt8(m, file);
                        int8 = true;
                    } catch (IllegalArgumentException notInt8) {
                        OnnxFile.write(m, file);
                    }
                    ort.add(new OrtRunner(label, int8 ? ORT_INT8 : ORT, m.architecture().inputShape(), OnnxRuntimeSession.open(file, threads)));
                }
                if (!int8 && this.djl) {
                    djl.add(new DjlRunner(label, m));
                }
            }
            Table t = Table.create("speed, " + threads + " thread" + (threads == 1 ? "" : "s") + ", median of " + runs + " runs",
                    StringColumn.create("model"), StringColumn.create("runtime"), IntColumn.create("threads"),
                    IntColumn.create("batch"), DoubleColumn.create("median_ms"), DoubleColumn.create("throughput_per_s"),
                    DoubleColumn.create("speedup"), StringColumn.create("verdict"));
            for (List<Runner> group : List.of(djl, ort)) {
                for (int batch : batches) {
                    time(group, batch, t);
                }
            }
            t.doubleColumn("median_ms").setPrintFormatter(new tech.tablesaw.columns.numbers.NumberColumnFormatter(
                    java.text.NumberFormat.getNumberInstance(Locale.ROOT)));
            return t;
        } finally {
            ai.djl.pytorch.jni.JniUtils.setNumThreads(before);
            for (Runner r : ort) {
                r.close();
            }
            for (Runner r : djl) {
                ((DjlRunner) r).release();
            }
            deleteQuietly(tmp);
        }
    }

    /** Times every runner of a group at one batch size, in turns, and appends their rows. */
    private void time(List<Runner> group, int batch, Table t) {
        if (group.isEmpty()) {
            return;
        }
        Map<Runner, double[]> ms = new LinkedHashMap<>();
        for (Runner r : group) {
            r.prepare(batch);
            ms.put(r, new double[runs]);
        }
        // warm-up in turns too: at least `warmup` runs each and WARMUP_SECONDS in all, so the JIT has
        // compiled the Java side (DJL's per-op calls) before timing
        long until = System.nanoTime() + (long) (WARMUP_SECONDS * 1e9);
        for (int w = 0; w < warmup || (System.nanoTime() < until && w < 500); w++) {
            for (Runner r : group) {
                r.run();
            }
        }
        for (int i = 0; i < runs; i++) {
            for (int k = 0; k < group.size(); k++) {
                Runner r = group.get((i + k) % group.size()); // each round starts with another model
                long t0 = System.nanoTime();
                r.run();
                ms.get(r)[i] = (System.nanoTime() - t0) / 1e6;
            }
        }
        Map<String, Double> baseline = new LinkedHashMap<>();
        for (Runner r : group) {
            double median = median(ms.get(r));
            // the baseline of ONNX Runtime rows is the first model's row in ONNX Runtime, fp32 or int8
            Double first = baseline.get("any");
            if (first == null) {
                baseline.put("any", median);
            }
            double speedup = first == null ? 1.0 : first / median;
            t.stringColumn("model").append(r.model);
            t.stringColumn("runtime").append(r.runtime);
            t.intColumn("threads").append(threads);
            t.intColumn("batch").append(batch);
            t.doubleColumn("median_ms").append(Math.round(median * 1000) / 1000.0);
            t.doubleColumn("throughput_per_s").append(Math.round(batch / (median / 1000) * 10) / 10.0);
            t.doubleColumn("speedup").append(Math.round(speedup * 100) / 100.0);
            t.stringColumn("verdict").append(first == null ? "baseline" : speedup >= FASTER ? "faster" : "not faster");
        }
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static void deleteQuietly(Path dir) {
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.deleteIfExists(p);
            }
            Files.deleteIfExists(dir);
        } catch (IOException ignored) {
            // a temporary folder; the OS cleans it
        }
    }

    static float[] randomInput(long[] sample, int batch) {
        long size = batch;
        for (long d : sample) {
            size *= d;
        }
        float[] x = new float[(int) size];
        Random r = new Random(batch);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    static long[] batchShape(long[] sample, int batch) {
        long[] s = new long[sample.length + 1];
        s[0] = batch;
        System.arraycopy(sample, 0, s, 1, sample.length);
        return s;
    }

    /** One model in one runtime. */
    private abstract static class Runner implements AutoCloseable {
        final String model;
        final String runtime;

        Runner(String model, String runtime) {
            this.model = model;
            this.runtime = runtime;
        }

        abstract void prepare(int batch);

        abstract void run();

        @Override
        public abstract void close();
    }

    /** Eval-mode forward passes of the network's block, output copied to Java as ONNX Runtime's is. */
    private static final class DjlRunner extends Runner {
        private final Network net;
        private NDManager scope;
        private NDArray x;

        DjlRunner(String model, Network net) {
            super(model, DJL);
            // a private copy: a network's manager collects whatever earlier operations left in it,
            // which would slow this model's passes and not the others'
            this.net = net.copy();
        }

        @Override
        void prepare(int batch) {
            close();
            TorchRuntime.noGrad();
            long[] sample = net.architecture().inputShape();
            scope = net.manager().newSubManager();
            x = scope.create(FloatBuffer.wrap(randomInput(sample, batch)), new Shape(batchShape(sample, batch)));
        }

        @Override
        void run() {
            try (NDManager step = scope.newSubManager()) {
                // a pass's results land in its input's manager: attach the input to this pass's manager
                // for the pass, so its intermediates are freed with it (tempAttach returns x afterwards)
                x.tempAttach(step);
                NDList out = net.block().forward(new ParameterStore(step, false), new NDList(x), false);
                out.singletonOrThrow().toFloatArray();
            }
        }

        @Override
        public void close() {
            if (scope != null) {
                scope.close();
                scope = null;
            }
        }

        void release() {
            close();
            net.close();
        }
    }

    /** Runs of an ONNX Runtime session on a fixed input. */
    private static final class OrtRunner extends Runner {
        private final OnnxRuntimeSession session;
        private final long[] sample;
        private float[] x;
        private long[] shape;

        OrtRunner(String model, String runtime, long[] sample, OnnxRuntimeSession session) {
            super(model, runtime);
            this.session = session;
            this.sample = sample;
        }

        @Override
        void prepare(int batch) {
            x = randomInput(sample, batch);
            shape = batchShape(sample, batch);
        }

        @Override
        void run() {
            session.run(x, shape);
        }

        @Override
        public void close() {
            session.close();
        }
    }
}
