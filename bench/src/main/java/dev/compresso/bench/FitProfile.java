package dev.compresso.bench;

import static dev.compresso.Compresso.*;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.compresso.data.DataSplit;
import dev.compresso.data.Samples;
import dev.compresso.model.Network;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Locale;
import java.util.Map;

/**
 * A diagnostic, not a benchmark of the product: the per-batch phases of a loop like Fit's, each
 * timed separately, to see where a DJL training step spends time beyond the arithmetic. Prints
 * microseconds per batch for each phase, for one epoch of LeNet-300-100 on one thread.
 */
public final class FitProfile {

    public static void main(String[] args) {
        boolean direct = args.length > 0 && args[0].equals("direct");
        DataSplit data = fashionMnist();
        Samples train = data.train();
        String[] names = {"copy", "create", "forward", "loss", "backward", "lossRead", "accuracy", "update", "close"};
        for (int pass = 0; pass < 3; pass++) {
            long[] t = new long[names.length];
            try (Network net = lenet300100()) {
                Block block = net.block();
                NDManager root = net.manager();
                Engine engine = root.getEngine();
                Map<String, NDArray> params = net.parameterArrays();
                Optimizer opt = Optimizer.adam().optLearningRateTracker(Tracker.fixed(1e-3f)).build();
                Loss loss = Loss.softmaxCrossEntropyLoss();
                ParameterStore store = new ParameterStore(root, false);
                int n = train.size();
                int bs = 128;
                int size = train.sampleSize();
                float[] features = new float[bs * size];
                long[] labels = new long[bs];
                ByteBuffer buf = ByteBuffer.allocateDirect(bs * size * 4).order(ByteOrder.nativeOrder());
                FloatBuffer fb = buf.asFloatBuffer();
                int[] order = Samples.permutation(n, pass);
                int batches = (n + bs - 1) / bs;
                long epoch0 = System.nanoTime();
                for (int b = 0; b < batches; b++) {
                    long c0 = System.nanoTime();
                    int from = b * bs;
                    int to = Math.min(n, from + bs);
                    int m = to - from;
                    train.copyFeatures(order, from, to, features);
                    for (int i = from; i < to; i++) {
                        labels[i - from] = train.label(order[i]);
                    }
                    long c1 = System.nanoTime();
                    t[0] += c1 - c0;
                    try (NDManager scope = root.newSubManager()) {
                        NDArray x;
                        if (direct) {
                            fb.clear();
                            fb.put(features, 0, m * size);
                            x = scope.create(buf.limit(m * size * 4).position(0), new Shape(m, 1, 28, 28), DataType.FLOAT32);
                        } else {
                            x = scope.create(FloatBuffer.wrap(features, 0, m * size), new Shape(m, 1, 28, 28));
                        }
                        NDArray y = scope.create(java.util.Arrays.copyOf(labels, m));
                        long c2 = System.nanoTime();
                        t[1] += c2 - c1;
                        NDArray out;
                        try (GradientCollector gc = engine.newGradientCollector()) {
                            out = block.forward(store, new NDList(x), true).singletonOrThrow();
                            long c3 = System.nanoTime();
                            t[2] += c3 - c2;
                            NDArray l = loss.evaluate(new NDList(y), new NDList(out));
                            long c4 = System.nanoTime();
                            t[3] += c4 - c3;
                            gc.backward(l);
                            long c5 = System.nanoTime();
                            t[4] += c5 - c4;
                            l.getFloat();
                            long c6 = System.nanoTime();
                            t[5] += c6 - c5;
                            out.argMax(1).eq(y).countNonzero().getLong();
                            t[6] += System.nanoTime() - c6;
                        }
                        long c7 = System.nanoTime();
                        for (Map.Entry<String, NDArray> p : params.entrySet()) {
                            NDArray w = p.getValue();
                            try (NDArray g = w.getGradient()) {
                                opt.update(p.getKey(), w, g);
                            }
                        }
                        long c8 = System.nanoTime();
                        t[7] += c8 - c7;
                        scope.close();
                        t[8] += System.nanoTime() - c8;
                    }
                }
                double secs = (System.nanoTime() - epoch0) / 1e9;
                StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "pass %d (%s): epoch %.3f s; µs/batch:", pass, direct ? "direct" : "wrap", secs));
                long sum = 0;
                for (int i = 0; i < names.length; i++) {
                    sb.append(String.format(Locale.ROOT, " %s %.0f", names[i], t[i] / 1e3 / batches));
                    sum += t[i];
                }
                sb.append(String.format(Locale.ROOT, " | total %.0f", sum / 1e3 / batches));
                System.out.println(sb);
            }
        }
    }
}
