package dev.compresso.onnx;

import dev.compresso.data.Samples;
import dev.compresso.model.Network;
import dev.compresso.train.Fit;
import java.nio.file.Path;
import java.util.Random;

/** Compares a network with ONNX Runtime on the same file and random inputs. */
final class OnnxCheck {

    private OnnxCheck() {}

    /** Max abs difference over max abs output, for {@code batch} random normal inputs. */
    static double[] compare(Network net, Path file, int wanted, long seed) {
        int batch;
        try (OnnxRuntimeSession s = OnnxRuntimeSession.open(file, 1)) {
            batch = s.inputShape()[0] > 0 ? (int) s.inputShape()[0] : wanted;
        }
        long[] sample = net.architecture().inputShape();
        int size = 1;
        for (long d : sample) {
            size *= (int) d;
        }
        float[] x = new float[batch * size];
        Random r = new Random(seed);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        long[] shape = new long[sample.length + 1];
        shape[0] = batch;
        System.arraycopy(sample, 0, shape, 1, sample.length);
        float[] ours = Fit.outputs(net, Samples.of(x, new int[batch], sample, net.architecture().outputs()), batch);
        float[] ref;
        try (OnnxRuntimeSession s = OnnxRuntimeSession.open(file, 1)) {
            ref = s.run(x, shape);
        }
        double diff = 0;
        double scale = 0;
        for (int i = 0; i < ref.length; i++) {
            diff = Math.max(diff, Math.abs(ours[i] - ref[i]));
            scale = Math.max(scale, Math.abs(ref[i]));
        }
        return new double[] {diff, scale};
    }

    public static void main(String[] args) {
        for (String a : args) {
            Path p = Path.of(a);
            long t0 = System.nanoTime();
            try {
                Network net = OnnxFile.read(p);
                double secs = (System.nanoTime() - t0) / 1e9;
                double[] d = compare(net, p, 2, 7);
                System.out.printf("%-28s ok  import %.2fs  params %,d  maxdiff %.3g  scale %.3g  rel %.3g%n", p.getFileName(), secs,
                        net.parameterCount(), d[0], d[1], d[0] / d[1]);
                net.close();
            } catch (RuntimeException e) {
                System.out.printf("%-28s FAIL %s%n", p.getFileName(), e.getMessage().length() > 300 ? e.getMessage().substring(0, 300) : e.getMessage());
            }
        }
    }
}
