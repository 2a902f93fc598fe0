package dev.compresso.train;

import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.compresso.eval.ExperimentLog;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * How to train: epochs, optimizer, learning rate, batch size, seed, progress listener and the log
 * that records the result. Immutable; each setter returns a changed copy, so a base set of options
 * can be shared between cells.
 *
 * <pre>{@code
 * var opts = TrainOptions.epochs(10).optimizer("adam").learningRate(1e-3).batchSize(128).seed(42);
 * }</pre>
 */
public final class TrainOptions {

    /** The optimizer names {@link #optimizer(String)} accepts. */
    public static final List<String> OPTIMIZERS = List.of("adam", "sgd", "momentum");

    private static volatile Supplier<Progress.Listener> defaultListener = ConsoleProgress::stdout;

    private final int epochs;
    private final int batchSize;
    private final String optimizer;
    private final double learningRate;
    private final long seed;
    private final Progress.Listener listener;
    private final ExperimentLog log;
    private final boolean evaluateEachEpoch;
    private final BatchLoss loss;

    private TrainOptions(
            int epochs, int batchSize, String optimizer, double learningRate, long seed,
            Progress.Listener listener, ExperimentLog log, boolean evaluateEachEpoch) {
        this(epochs, batchSize, optimizer, learningRate, seed, listener, log, evaluateEachEpoch, null);
    }

    private TrainOptions(
            int epochs, int batchSize, String optimizer, double learningRate, long seed,
            Progress.Listener listener, ExperimentLog log, boolean evaluateEachEpoch, BatchLoss loss) {
        this.epochs = epochs;
        this.batchSize = batchSize;
        this.optimizer = optimizer;
        this.learningRate = learningRate;
        this.seed = seed;
        this.listener = listener;
        this.log = log;
        this.evaluateEachEpoch = evaluateEachEpoch;
        this.loss = loss;
    }

    /**
     * Options for {@code n} epochs of Adam at learning rate 0.001, batch 128, seed 42.
     *
     * @param n epochs, ≥ 1
     * @return the options
     */
    public static TrainOptions epochs(int n) {
        return new TrainOptions(checkEpochs(n), 128, "adam", 1e-3, 42, null, null, true);
    }

    private static int checkEpochs(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("epochs=" + n + " must be ≥ 1; for example epochs(10)");
        }
        return n;
    }

    /** The same options with {@code n} epochs (≥ 1). */
    public TrainOptions withEpochs(int n) {
        return new TrainOptions(checkEpochs(n), batchSize, optimizer, learningRate, seed, listener, log, evaluateEachEpoch, loss);
    }

    /** The same options with another batch size (≥ 1). */
    public TrainOptions batchSize(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("batchSize=" + size + " must be ≥ 1; for example batchSize(128)");
        }
        return new TrainOptions(epochs, size, optimizer, learningRate, seed, listener, log, evaluateEachEpoch, loss);
    }

    /** The same options with another optimizer: {@code adam}, {@code sgd} or {@code momentum} (SGD with momentum 0.9). */
    public TrainOptions optimizer(String name) {
        String key = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        if (!OPTIMIZERS.contains(key)) {
            throw new IllegalArgumentException(
                    "optimizer '" + name + "' is not known; use one of " + OPTIMIZERS);
        }
        return new TrainOptions(epochs, batchSize, key, learningRate, seed, listener, log, evaluateEachEpoch, loss);
    }

    /** The same options with another learning rate (finite, > 0). */
    public TrainOptions learningRate(double lr) {
        if (!(lr > 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("learningRate=" + lr + " must be finite and > 0; for example 1e-3");
        }
        return new TrainOptions(epochs, batchSize, optimizer, lr, seed, listener, log, evaluateEachEpoch, loss);
    }

    /** The same options with another seed for shuffling and any randomness in training. */
    public TrainOptions seed(long newSeed) {
        return new TrainOptions(epochs, batchSize, optimizer, learningRate, newSeed, listener, log, evaluateEachEpoch, loss);
    }

    /** The same options reporting progress to {@code l} instead of the default renderer. */
    public TrainOptions listener(Progress.Listener l) {
        return new TrainOptions(epochs, batchSize, optimizer, learningRate, seed, l, log, evaluateEachEpoch, loss);
    }

    /** The same options with no progress reports. */
    public TrainOptions quiet() {
        return listener(p -> { });
    }

    /** The same options recording results in {@code target} instead of the session log. */
    public TrainOptions log(ExperimentLog target) {
        return new TrainOptions(epochs, batchSize, optimizer, learningRate, seed, listener, target, evaluateEachEpoch, loss);
    }

    /** The same options with or without a test pass after each epoch (on by default; it feeds the curves). */
    public TrainOptions evaluateEachEpoch(boolean on) {
        return new TrainOptions(epochs, batchSize, optimizer, learningRate, seed, listener, log, on, loss);
    }

    /**
     * The same options training on {@code batchLoss} instead of softmax cross-entropy on the labels,
     * for example a distillation loss. Null restores cross-entropy.
     *
     * @param batchLoss the loss of one batch, given the batch's sample indices, logits and labels
     * @return the changed copy
     */
    public TrainOptions loss(BatchLoss batchLoss) {
        return new TrainOptions(epochs, batchSize, optimizer, learningRate, seed, listener, log, evaluateEachEpoch, batchLoss);
    }

    /** The custom training loss, or null for softmax cross-entropy on the labels. */
    public BatchLoss loss() {
        return loss;
    }

    /** Number of epochs. */
    public int epochs() {
        return epochs;
    }

    /** Batch size. */
    public int batchSize() {
        return batchSize;
    }

    /** Optimizer name. */
    public String optimizer() {
        return optimizer;
    }

    /** Learning rate. */
    public double learningRate() {
        return learningRate;
    }

    /** Seed. */
    public long seed() {
        return seed;
    }

    /** Whether each epoch ends with a test pass. */
    public boolean evaluateEachEpoch() {
        return evaluateEachEpoch;
    }

    /** The listener: the one set, or a new default one (console in scripts, a live bar in notebooks). */
    public Progress.Listener listener() {
        return listener != null ? listener : defaultListener.get();
    }

    /** The log results go to: the one set, or the session log. */
    public ExperimentLog log() {
        return log != null ? log : ExperimentLog.session();
    }

    /**
     * Sets what renders progress when options name no listener. The kernel installs its notebook
     * progress bar here; scripts keep the console renderer.
     *
     * @param factory makes a listener for each training run
     */
    public static void setDefaultListener(Supplier<Progress.Listener> factory) {
        defaultListener = factory == null ? ConsoleProgress::stdout : factory;
    }

    /** A new DJL optimizer for these options. */
    Optimizer newOptimizer() {
        Tracker lr = Tracker.fixed((float) learningRate);
        return switch (optimizer) {
            case "adam" -> Optimizer.adam().optLearningRateTracker(lr).build();
            case "sgd" -> Optimizer.sgd().setLearningRateTracker(lr).build();
            case "momentum" -> Optimizer.sgd().setLearningRateTracker(lr).optMomentum(0.9f).build();
            default -> throw new IllegalStateException("unreachable: " + optimizer);
        };
    }

    /** The options as the technique chain shows them. */
    public String describe() {
        return "epochs=" + epochs + ", " + optimizer + ", lr=" + learningRate + ", batch=" + batchSize + ", seed=" + seed
                + (loss == null ? "" : ", loss=" + loss.describe());
    }

    @Override
    public String toString() {
        return "TrainOptions(" + describe() + ")";
    }
}
