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
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The training loop: a short helper, not a framework. It trains a network in place; {@link
 * Network#train} calls it on a copy.
 *
 * <p>Per batch: copy the samples into one native array inside a batch-scoped manager, forward,
 * softmax cross-entropy, backward, one optimizer update per parameter (DJL's PyTorch updates zero
 * the gradient), then re-apply the network's constraints. Closing the batch manager frees every
 * temporary, so native memory stays flat across epochs.
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
        Samples train = data.train();
        Block block = net.block();
        NDManager root = net.manager();
        Engine engine = root.getEngine();
        engine.setRandomSeed((int) options.seed());
        Map<String, NDArray> params = net.parameterArrays();
        List<Constraint> constraints = net.constraints();
        Optimizer optimizer = options.newOptimizer();
        Loss loss = Loss.softmaxCrossEntropyLoss();
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
                    NDArray x = scope.create(FloatBuffer.wrap(features, 0, m * size), new Shape(batch(inputShape, m)));
                    NDArray y = scope.create(java.util.Arrays.copyOf(labels, m));
                    try (GradientCollector collector = engine.newGradientCollector()) {
                        NDArray out = block.forward(store, new NDList(x), true).singletonOrThrow();
                        NDArray l = loss.evaluate(new NDList(y), new NDList(out));
                        collector.backward(l);
                        lossSum += l.getFloat() * m;
                        correct += out.argMax(1).eq(y).countNonzero().getLong();
                    }
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
        Block block = net.block();
        NDManager root = net.manager();
        ParameterStore store = new ParameterStore(root, false);
        Loss loss = Loss.softmaxCrossEntropyLoss();
        int n = samples.size();
        int size = samples.sampleSize();
        int bs = Math.max(1, Math.min(batchSize, n));
        long[] inputShape = net.architecture().inputShape();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        float[] features = new float[bs * size];
        long[] labels = new long[bs];
        double lossSum = 0;
        long correct = 0;
        long forwardNanos = 0;
        for (int from = 0; from < n; from += bs) {
            int to = Math.min(n, from + bs);
            int m = to - from;
            samples.copyFeatures(order, from, to, features);
            for (int i = from; i < to; i++) {
                labels[i - from] = samples.label(i);
            }
            try (NDManager scope = root.newSubManager()) {
                NDArray x = scope.create(FloatBuffer.wrap(features, 0, m * size), new Shape(batch(inputShape, m)));
                NDArray y = scope.create(java.util.Arrays.copyOf(labels, m));
                long t0 = System.nanoTime();
                NDArray out = block.forward(store, new NDList(x), false).singletonOrThrow();
                NDArray predicted = out.argMax(1);
                predicted.toLongArray();
                forwardNanos += System.nanoTime() - t0;
                lossSum += loss.evaluate(new NDList(y), new NDList(out)).getFloat() * m;
                correct += predicted.eq(y).countNonzero().getLong();
            }
        }
        return new Evaluation((double) correct / n, lossSum / n, forwardNanos / 1e3 / n, n);
    }

    private static long[] batch(long[] inputShape, int m) {
        long[] shape = new long[inputShape.length + 1];
        shape[0] = m;
        System.arraycopy(inputShape, 0, shape, 1, inputShape.length);
        return shape;
    }
}
