package dev.compresso.bench;

import dev.compresso.data.Samples;
import dev.compresso.model.Network;
import dev.compresso.model.TorchRuntime;
import dev.compresso.onnx.OnnxFile;
import dev.compresso.onnx.OnnxRuntimeSession;
import dev.compresso.train.Fit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Imports every {@code .onnx} file of a folder (torchvision's classification models exported at
 * opset 13 by {@code tools/onnx/export_torchvision.py}) and compares each with ONNX Runtime on the
 * same file: import seconds, parameters, max abs difference over the output's max abs value for
 * random normal inputs at the file's batch size, or the reason the import or the run failed.
 *
 * <p>Usage: {@code OnnxCoverage FOLDER [threads=2] [only=comma-separated model names]}. One line per
 * model, smallest file first, then a Markdown table.
 */
public final class OnnxCoverage {

    /** Relative error the issue accepts: max |ours − ORT| ≤ 1e-4 × max |ORT|. */
    static final double TOLERANCE = 1e-4;

    record Row(String model, long fileBytes, boolean ok, double importSeconds, long params, double diff, double scale,
            String reason) {

        String markdown() {
            if (!ok) {
                return String.format(Locale.ROOT, "| %s | %.1f | — | — | — | — | **fails**: %s |", model, fileBytes / 1e6,
                        reason.replace("|", "\\|"));
            }
            if (scale == 0) {
                return String.format(Locale.ROOT, "| %s | %.1f | %.2f | %,d | %.2e | 0 | **no check**: ONNX Runtime's output is all zeros |",
                        model, fileBytes / 1e6, importSeconds, params, diff);
            }
            double rel = diff / scale;
            return String.format(Locale.ROOT, "| %s | %.1f | %.2f | %,d | %.2e | %.3g | %.2e %s |", model, fileBytes / 1e6,
                    importSeconds, params, diff, scale, rel, rel <= TOLERANCE ? "ok" : "**over 1e-4**");
        }
    }

    public static void main(String[] args) throws IOException {
        Path folder = Path.of(args.length > 0 ? args[0] : "/tmp/tv-onnx");
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        List<String> only = args.length > 2 && !args[2].isBlank() ? List.of(args[2].split(",")) : List.of();
        List<Path> files;
        try (Stream<Path> s = Files.list(folder)) {
            files = s.filter(p -> p.toString().endsWith(".onnx"))
                    .filter(p -> only.isEmpty() || only.contains(model(p)))
                    .sorted(Comparator.comparingLong(OnnxCoverage::size)).toList();
        }
        TorchRuntime.engine();
        System.out.printf(Locale.ROOT, "%d files in %s; DJL %s, PyTorch %s, DJL threads %d, ONNX Runtime threads %d%n",
                files.size(), folder, TorchRuntime.djlVersion(), TorchRuntime.pytorchVersion(), TorchRuntime.threads(), threads);
        List<Row> rows = new ArrayList<>();
        for (Path f : files) {
            Row row = check(f, threads);
            rows.add(row);
            System.out.println(row.markdown());
        }
        long ok = rows.stream().filter(r -> r.ok && r.scale > 0 && r.diff / r.scale <= TOLERANCE).count();
        long imported = rows.stream().filter(Row::ok).count();
        System.out.printf(Locale.ROOT, "%n%d of %d import; %d of %d match ONNX Runtime within %.0e relative%n",
                imported, rows.size(), ok, rows.size(), TOLERANCE);
        System.out.println("\n| model | file MB | import s | params | max abs diff | output scale | relative |");
        System.out.println("|---|---|---|---|---|---|---|");
        rows.forEach(r -> System.out.println(r.markdown()));
    }

    static String model(Path p) {
        String n = p.getFileName().toString();
        return n.substring(0, n.length() - ".onnx".length());
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Imports one file and compares it with ONNX Runtime; any failure becomes the row's reason. */
    static Row check(Path file, int threads) {
        String name = model(file);
        long bytes = size(file);
        long t0 = System.nanoTime();
        Network net;
        try {
            net = OnnxFile.read(file);
        } catch (RuntimeException | OutOfMemoryError e) {
            return new Row(name, bytes, false, 0, 0, 0, 0, "import: " + reason(e));
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        try (net) {
            double[] d = compare(net, file, threads, 7);
            return new Row(name, bytes, true, secs, net.parameterCount(), d[0], d[1], "");
        } catch (RuntimeException | OutOfMemoryError e) {
            return new Row(name, bytes, false, secs, 0, 0, 0, "run: " + reason(e));
        }
    }

    private static String reason(Throwable e) {
        String m = e.getClass().getSimpleName() + ": " + e.getMessage();
        m = m.replace('\n', ' ');
        return m.length() > 240 ? m.substring(0, 240) + "…" : m;
    }

    /** Random normal inputs at the file's batch size (2 where the batch is dynamic); {max abs diff, max abs ORT output}. */
    static double[] compare(Network net, Path file, int threads, long seed) {
        try (OnnxRuntimeSession s = OnnxRuntimeSession.open(file, threads)) {
            long[] declared = s.inputShape();
            int batch = declared[0] > 0 ? (int) declared[0] : 2;
            long[] sample = net.architecture().inputShape();
            float[] x = randomInput(batch, sample, seed);
            long[] shape = new long[sample.length + 1];
            shape[0] = batch;
            System.arraycopy(sample, 0, shape, 1, sample.length);
            float[] ours = Fit.outputs(net, Samples.of(x, new int[batch], sample, net.architecture().outputs()), batch);
            float[] ref = s.run(x, shape);
            if (ours.length != ref.length) {
                throw new IllegalStateException("output sizes differ: ours " + ours.length + ", ONNX Runtime " + ref.length);
            }
            double diff = 0;
            double scale = 0;
            for (int i = 0; i < ref.length; i++) {
                diff = Math.max(diff, Math.abs(ours[i] - ref[i]));
                scale = Math.max(scale, Math.abs(ref[i]));
            }
            return new double[] {diff, scale};
        }
    }

    static float[] randomInput(int batch, long[] sample, long seed) {
        long size = batch;
        for (long d : sample) {
            size *= d;
        }
        float[] x = new float[Math.toIntExact(size)];
        Random r = new Random(seed);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }
}
