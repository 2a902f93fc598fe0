package dev.compresso.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import dev.compresso.data.Samples;
import dev.compresso.model.Network;
import dev.compresso.model.TorchRuntime;
import ai.djl.ndarray.types.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The training loop: a short helper, not a framework. It trains a network in place; {@link
 * Network#train} calls it on a copy.
 *
 * <p>Per batch: copy the samples into one native array inside a batch-scoped manager, forward,
 * softmax cross-entropy (or the options' {@link BatchLoss}, given the batch's sample indices),
 * backward, one optimizer update per parameter (DJL's PyTorch updates zero the gradient), then
 * re-apply the network's constraints. Closing the batch manager frees every temporary, so native
 * memory stays flat across epochs.
 *
 * <p>Per-batch overhead matters at this model size (a LeNet-300-100 step is ~2 ms of arithmetic), so
 * the batch tensors wrap two direct buffers allocated once per run instead of a fresh copy per
 * batch, and the running loss and accuracy come from one read-back of the logits computed on the
 * Java side, instead of two device reductions with a read-back each. See {@code bench/README.md}.
 */
public final class Fit {

    private Fit() {}

    /** What a fit produced: the epochs it completed, and why it stopped early if it did. */
    public record Result(TrainingHistory history, String interruptedAt) {}

    /**
     * Trains {@code net} in place on the training part of {@code data}.
     *
     * @param net the network to change
     * @param data the data; the test part is used for the per-epoch test pass
     * @param options the options
     * @return the completed epochs; {@code interruptedAt} is non-null if the thread was interrupted
     */
    public static Result fit(Network net, dev.compresso.data.DataSplit data, TrainOptions options) {
        TorchRuntime.noGrad(); // grad mode is per thread; the collector below turns it on per batch
        Samples train = data.train();
        Block block = net.block();
        NDManager root = net.manager();
        Engine engine = root.getEngine();
        engine.setRandomSeed((int) options.seed());
        Map<String, NDArray> params = net.parameterArrays();
        List<Constraint> constraints = net.constraints();
        Optimizer optimizer = options.newOptimizer();
        Loss loss = Loss.softmaxCrossEntropyLoss();
        BatchLoss custom = options.loss();
        if (custom != null) {
            custom.begin(train);
        }
        ParameterStore store = new ParameterStore(root, false);
        Progress.Listener listener = options.listener();
        String task = "train " + net.name();

        int n = train.size();
        int size = train.sampleSize();
        int batchSize = Math.min(options.batchSize(), n);
        int batches = (n + batchSize - 1) / batchSize;
        long[] inputShape = net.architecture().inputShape();
        float[] features = new float[batchSize * size];
        long[] labels = new long[batchSize];
        BatchBuffers buffers = new BatchBuffers(batchSize, size);
        double[] lossAndCorrect = new double[2];
        List<TrainingHistory.Epoch> epochs = new ArrayList<>();
        long started = System.nanoTime();
        int totalBatches = options.epochs() * batches;

        for (int epoch = 1; epoch <= options.epochs(); epoch++) {
            int[] order = Samples.permutation(n, options.seed() * 1_000_003L + epoch);
            long epochStart = System.nanoTime();
            double lossSum = 0;
            long correct = 0;
            int seen = 0;
            for (int b = 0; b < batches; b++) {
                if (Thread.interrupted()) {
                    return new Result(
                            new TrainingHistory(epochs),
                            "epoch " + epoch + ", batch " + b + " of " + batches);
                }
                int from = b * batchSize;
                int to = Math.min(n, from + batchSize);
                int m = to - from;
                train.copyFeatures(order, from, to, features);
                for (int i = from; i < to; i++) {
                    labels[i - from] = train.label(order[i]);
                }
                try (NDManager scope = root.newSubManager()) {
                    NDArray x = buffers.features(scope, features, batch(inputShape, m));
                    NDArray y = buffers.labels(scope, labels, m);
                    NDArray out;
                    try (GradientCollector collector = new ThreadGradientCollector()) {
                        out = block.forward(store, new NDList(x), true).singletonOrThrow();
                        NDArray l = custom == null
                                ? loss.evaluate(new NDList(y), new NDList(out))
                                : custom.loss(Arrays.copyOfRange(order, from, to), out, y);
                        collector.backward(l);
                    }
                    // The same mean softmax cross-entropy and top-1 as the loss tensor and an
                    // argmax would give, from one read-back instead of two.
                    lossAndCorrect(out.toFloatArray(), labels, m, lossAndCorrect);
                    lossSum += lossAndCorrect[0];
                    correct += (long) lossAndCorrect[1];
                    for (Map.Entry<String, NDArray> p : params.entrySet()) {
                        NDArray w = p.getValue();
                        if (w.hasGradient()) {
                            try (NDArray g = w.getGradient()) {
                                optimizer.update(p.getKey(), w, g);
                            }
                        }
                    }
                    for (Constraint c : constraints) {
                        c.apply(params);
                    }
                }
                seen += m;
                int done = (epoch - 1) * batches + b + 1;
                double elapsed = (System.nanoTime() - started) / 1e9;
                double eta = elapsed / done * (totalBatches - done);
                listener.onProgress(new Progress(task, epoch, options.epochs(), b + 1, batches,
                        lossSum / seen, (double) correct / seen, eta, false));
            }
            double secs = (System.nanoTime() - epochStart) / 1e9;
            double testTop1 = Double.NaN;
            double testLoss = Double.NaN;
            if (options.evaluateEachEpoch()) {
                Evaluation e = evaluate(net, data.test(), 1000);
                testTop1 = e.top1();
                testLoss = e.loss();
            }
            epochs.add(new TrainingHistory.Epoch(lossSum / seen, (double) correct / seen, testTop1, testLoss, secs));
        }
        TrainingHistory.Epoch last = epochs.get(epochs.size() - 1);
        listener.onProgress(new Progress(task, options.epochs(), options.epochs(), batches, batches,
                last.trainLoss(), last.trainTop1(), 0, true));
        return new Result(new TrainingHistory(epochs), null);
    }

    /**
     * Evaluates {@code net} on {@code samples} in batches, without gradients.
     *
     * @param net the network
     * @param samples the samples
     * @param batchSize samples per forward pass
     * @return top-1, mean loss and forward time per sample
     */
    public static Evaluation evaluate(Network net, Samples samples, int batchSize) {
        TorchRuntime.noGrad(); // grad mode is per thread; the collector below turns it on per batch
        Block block = net.block();
        NDManager root = net.manager();
        ParameterStore store = new ParameterStore(root, false);
        int n = samples.size();
        int size = samples.sampleSize();
        int bs = Math.max(1, Math.min(batchSize, n));
        long[] inputShape = net.architecture().inputShape();
        float[] features = new float[bs * size];
        long[] labels = new long[bs];
        BatchBuffers buffers = new BatchBuffers(bs, size);
        double[] lossAndCorrect = new double[2];
        double lossSum = 0;
        long correct = 0;
        long forwardNanos = 0;
        for (int from = 0; from < n; from += bs) {
            int to = Math.min(n, from + bs);
            int m = to - from;
            samples.copyFeatures(from, to, features, 0);
            for (int i = from; i < to; i++) {
                labels[i - from] = samples.label(i);
            }
            try (NDManager scope = root.newSubManager()) {
                NDArray x = buffers.features(scope, features, batch(inputShape, m));
                long t0 = System.nanoTime();
                NDArray out = block.forward(store, new NDList(x), false).singletonOrThrow();
                float[] logits = out.toFloatArray();
                forwardNanos += System.nanoTime() - t0;
                lossAndCorrect(logits, labels, m, lossAndCorrect);
                lossSum += lossAndCorrect[0];
                correct += (long) lossAndCorrect[1];
            }
        }
        return new Evaluation((double) correct / n, lossSum / n, forwardNanos / 1e3 / n, n);
    }

    /**
     * The network's outputs for every sample, without gradients.
     *
     * @param net the network
     * @param samples the inputs
     * @param batchSize samples per forward pass
     * @return {@code samples.size() × outputs} values, row-major
     */
    public static float[] outputs(Network net, Samples samples, int batchSize) {
        TorchRuntime.noGrad(); // grad mode is per thread; the collector below turns it on per batch
        int n = samples.size();
        int size = samples.sampleSize();
        int outs = net.architecture().outputs();
        int bs = Math.max(1, Math.min(batchSize, n));
        long[] inputShape = net.architecture().inputShape();
        ParameterStore store = new ParameterStore(net.manager(), false);
        float[] features = new float[bs * size];
        float[] result = new float[n * outs];
        for (int from = 0; from < n; from += bs) {
            int to = Math.min(n, from + bs);
            int m = to - from;
            samples.copyFeatures(from, to, features, 0);
            try (NDManager scope = net.manager().newSubManager()) {
                NDArray x = scope.create(FloatBuffer.wrap(features, 0, m * size), new Shape(batch(inputShape, m)));
                float[] out = net.block().forward(store, new NDList(x), false).singletonOrThrow().toFloatArray();
                System.arraycopy(out, 0, result, from * outs, m * outs);
            }
        }
        return result;
    }

    /**
     * Sums softmax cross-entropy over {@code m} rows of logits and counts the rows whose largest
     * logit (first one on ties, as {@code argMax}) is the label.
     *
     * @param logits {@code m × classes} values, row-major
     * @param labels the labels of the rows
     * @param m rows
     * @param out receives the loss sum in [0] and the number correct in [1]
     */
    static void lossAndCorrect(float[] logits, long[] labels, int m, double[] out) {
        int classes = logits.length / m;
        double lossSum = 0;
        int correct = 0;
        for (int r = 0; r < m; r++) {
            int base = r * classes;
            int best = 0;
            float max = logits[base];
            for (int c = 1; c < classes; c++) {
                if (logits[base + c] > max) {
                    max = logits[base + c];
                    best = c;
                }
            }
            double sumExp = 0;
            for (int c = 0; c < classes; c++) {
                sumExp += Math.exp(logits[base + c] - max);
            }
            int label = (int) labels[r];
            if (label < 0 || label >= classes) {
                throw new IllegalArgumentException("label " + labels[r] + " of a sample must be in [0, " + classes
                        + "): the network has " + classes + " outputs; fix the labels or pick a model with more outputs");
            }
            lossSum += max + Math.log(sumExp) - logits[base + label];
            if (best == label) {
                correct++;
            }
        }
        out[0] = lossSum;
        out[1] = correct;
    }

    /**
     * Two direct, native-order buffers that every batch's input and label tensors wrap. The
     * PyTorch engine makes a tensor over a direct buffer without copying it, so a batch costs one
     * copy into native memory and no allocation. A tensor over these buffers must be closed (with
     * its batch scope) before the next batch refills them.
     */
    private static final class BatchBuffers {
        private final ByteBuffer featureBytes;
        private final FloatBuffer featureView;
        private final ByteBuffer labelBytes;
        private final LongBuffer labelView;

        BatchBuffers(int batchSize, int sampleSize) {
            featureBytes = ByteBuffer.allocateDirect(batchSize * sampleSize * Float.BYTES).order(ByteOrder.nativeOrder());
            featureView = featureBytes.asFloatBuffer();
            labelBytes = ByteBuffer.allocateDirect(batchSize * Long.BYTES).order(ByteOrder.nativeOrder());
            labelView = labelBytes.asLongBuffer();
        }

        NDArray features(NDManager scope, float[] values, long[] shape) {
            int count = Math.toIntExact(new Shape(shape).size());
            featureView.clear();
            featureView.put(values, 0, count);
            featureBytes.clear().limit(count * Float.BYTES);
            return scope.create(featureBytes, new Shape(shape), DataType.FLOAT32);
        }

        NDArray labels(NDManager scope, long[] values, int m) {
            labelView.clear();
            labelView.put(values, 0, m);
            labelBytes.clear().limit(m * Long.BYTES);
            return scope.create(labelBytes, new Shape(m), DataType.INT64);
        }
    }

    private static long[] batch(long[] inputShape, int m) {
        long[] shape = new long[inputShape.length + 1];
        shape[0] = m;
        System.arraycopy(inputShape, 0, shape, 1, inputShape.length);
        return shape;
    }
}
