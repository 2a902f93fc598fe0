package dev.compresso;

import dev.compresso.chart.Charts;
import dev.compresso.data.Csv;
import dev.compresso.data.DataSplit;
import dev.compresso.data.FashionMnist;
import dev.compresso.data.Synthetic;
import dev.compresso.distill.Distillation;
import dev.compresso.eval.ExperimentLog;
import dev.compresso.eval.Grid;
import dev.compresso.eval.Sweep;
import dev.compresso.model.Network;
import dev.compresso.lowrank.LowRank;
import dev.compresso.model.TorchRuntime;
import dev.compresso.model.TorchScript;
import dev.compresso.model.Zoo;
import dev.compresso.prune.LotteryTicket;
import dev.compresso.prune.Magnitude;
import dev.compresso.prune.Schedule;
import dev.compresso.prune.Selector;
import dev.compresso.prune.Sensitivity;
import dev.compresso.prune.SparsityReport;
import dev.compresso.prune.Structured;
import dev.compresso.quantize.Quantization;
import dev.compresso.runs.RunStore;
import dev.compresso.share.WeightSharing;
import dev.compresso.store.PackedModel;
import dev.compresso.train.TrainOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.knowm.xchart.XYChart;
import tech.tablesaw.api.Table;

/**
 * The DSL's front door. A notebook or script imports it statically:
 *
 * <pre>{@code
 * import static dev.compresso.Compresso.*;
 *
 * var data = fashionMnist();
 * var base = lenet300100().train(data, epochs(10));
 * log()
 * tradeoff(base)
 * }</pre>
 *
 * Every operation returns a new object; nothing here changes its arguments.
 */
public final class Compresso {

    /** The seed models are initialized with unless one is given. */
    public static final long DEFAULT_SEED = 42;

    private Compresso() {}

    // ---------------------------------------------------------------- data

    /**
     * Fashion-MNIST: 60,000 training and 10,000 test images of 28×28 pixels in 10 classes, scaled to
     * [0, 1]. Found in {@code $COMPRESSO_DATA}, the user cache or {@code
     * /usr/share/datasets/fashion-mnist}, or fetched from Debian's {@code dataset-fashion-mnist}.
     */
    public static DataSplit fashionMnist() {
        return FashionMnist.load();
    }

    /**
     * An MNIST-layout data set (four IDX files, raw or .gz) from a folder.
     *
     * @param folder the folder holding {@code train-images-idx3-ubyte} and the three others
     */
    public static DataSplit idx(String folder) {
        return FashionMnist.load(Path.of(folder), Path.of(folder).getFileName().toString(), java.util.List.of());
    }

    /**
     * Tabular data from a CSV file: numeric columns are features, {@code labelColumn} the class.
     * 20 % of the rows, shuffled with seed 42, form the test part.
     */
    public static DataSplit csv(String file, String labelColumn) {
        return Csv.read(Path.of(file), labelColumn, 0.2, DEFAULT_SEED);
    }

    /** Synthetic Gaussian blobs: {@code features} values per sample, {@code classes} classes. */
    public static DataSplit blobs(int nTrain, int nTest, int features, int classes) {
        return Synthetic.blobs(nTrain, nTest, features, classes, DEFAULT_SEED);
    }

    // ---------------------------------------------------------------- models

    /** LeNet-300-100 (784-300-100-10, Han et al. 2015), initialized with seed 42. */
    public static Network lenet300100() {
        return Network.create(Zoo.lenet300100(), DEFAULT_SEED);
    }

    /** LeNet-5, Caffe's variant (conv20-pool-conv50-pool-fc500-fc10, 431,080 parameters), seed 42. */
    public static Network lenet5() {
        return Network.create(Zoo.lenet5(), DEFAULT_SEED);
    }

    /**
     * A CIFAR-style ResNet for 28×28 images, untrained (seed 42): {@code resnet(20)} has 3 stages of 3
     * basic blocks with 16/32/64 channels and BatchNorm, about 0.27 M parameters.
     */
    public static Network resnet(int depth) {
        return Network.create(Zoo.resnet(depth), DEFAULT_SEED);
    }

    /** A small MobileNetV2 for 28×28 images (inverted residuals, depthwise convolutions), untrained (seed 42). */
    public static Network mobilenetV2() {
        return Network.create(Zoo.mobilenetV2(), DEFAULT_SEED);
    }

    /** A fully connected ReLU network, for example {@code mlp(784, 100, 10)}, seed 42. */
    public static Network mlp(int... sizes) {
        return Network.create(Zoo.mlp(sizes), DEFAULT_SEED);
    }

    // ---------------------------------------------------------------- training

    /** Training options: {@code n} epochs of Adam, learning rate 0.001, batch 128, seed 42. */
    public static TrainOptions epochs(int n) {
        return TrainOptions.epochs(n);
    }

    /** Sets how many threads PyTorch uses for each operation. */
    public static void threads(int n) {
        TorchRuntime.threads(n);
    }

    // ---------------------------------------------------------------- pruning

    /** Unstructured magnitude pruning; set an amount: {@code magnitude().sparsity(0.9)}. */
    public static Magnitude magnitude() {
        return Magnitude.magnitude();
    }

    /** Structured pruning that removes this fraction of hidden neurons and filters: {@code base.shrink(neurons(0.5))}. */
    public static Structured neurons(double fraction) {
        return Structured.neurons(fraction);
    }

    /** A selector of parameters, starting from the weights of every Linear and Conv2d layer. */
    public static Selector weights() {
        return Selector.weights();
    }

    /** Zhu and Gupta's cubic sparsity ramp from {@code initial} to {@code target} between two steps. */
    public static Schedule polynomial(double initial, double target, long begin, long end, long frequency) {
        return Schedule.polynomial(initial, target, begin, end, frequency);
    }

    /** Lottery-ticket rewinding: {@code rounds} rounds, each pruning {@code ratePerRound} of the survivors. */
    public static LotteryTicket lotteryTicket(int rounds, double ratePerRound) {
        return LotteryTicket.rounds(rounds, ratePerRound);
    }

    /** Prunes each layer of {@code network} alone at each sparsity and evaluates on its training data's test part. */
    public static Table sensitivity(Network network, double... sparsities) {
        if (network.trainedOn() == null) {
            throw new IllegalArgumentException(
                    "network '" + network.name() + "' was never trained, so there is no data to evaluate on; train it first");
        }
        return Sensitivity.analyze(network, network.trainedOn(), Selector.weights(), sparsities);
    }

    /** Accuracy against sparsity, one line per layer, from a {@link #sensitivity} table. */
    public static XYChart sensitivityChart(Table analysis) {
        return Sensitivity.chart(analysis);
    }

    /** Per-layer weights, non-zeros, sparsity, dense and sparse bytes. */
    public static Table sparsity(Network network) {
        return SparsityReport.of(network);
    }

    // ---------------------------------------------------------------- weight sharing

    /** k-means weight sharing, 5 bits (32 centroids) per layer by default: {@code pruned.share(kmeans().bits(5))}. */
    public static WeightSharing kmeans() {
        return WeightSharing.kmeans();
    }

    /**
     * Structured pruning of any graph by dependency groups: {@code base.shrink(channels(0.5))} removes
     * half the channels of every prunable group (L1 importance; {@code .l2()}, {@code .bnScale()},
     * {@code .global()}, {@code .ratio(group, r)}, {@code .rounds(n)}, {@code .finetune(n)}).
     */
    public static dev.compresso.prune.Channels channels(double ratio) {
        return dev.compresso.prune.Channels.channels(ratio);
    }

    /**
     * Channel sensitivity: each prunable group shrunk alone at each ratio and evaluated on the data
     * {@code net} was trained on; chart it with {@code sensitivityChart(table)}.
     */
    public static tech.tablesaw.api.Table channelSensitivity(Network net, double... ratios) {
        if (net.trainedOn() == null) {
            throw new IllegalArgumentException("network '" + net.name() + "' was never trained, so there is no data to evaluate on;"
                    + " train it first or call Channels.sensitivity(net, data, ratios)");
        }
        return dev.compresso.prune.Channels.sensitivity(net, net.trainedOn(), ratios);
    }

    /** The dependency groups of a graph model as a table: which channels must be removed together, and which cannot. */
    public static tech.tablesaw.api.Table groups(Network net) {
        return dev.compresso.prune.DependencyGroups.of(net).table();
    }

    // ---------------------------------------------------------------- quantization

    /** Uniform quantization of weights to {@code bits} (2 to 16): {@code base.quantize(weightsTo(8).perChannel())}. */
    public static Quantization weightsTo(int bits) {
        return Quantization.weightsTo(bits);
    }

    // ---------------------------------------------------------------- packed files

    /** Reads a packed model file ({@code .cmpr}) back into a runnable model. */
    public static Network load(String file) {
        return PackedModel.load(Path.of(file));
    }

    /**
     * Reads a packed model file and evaluates it on {@code data}, which it keeps for the techniques
     * that fine-tune or calibrate, with the default options of {@code epochs(1)} (Adam at 0.001):
     * {@code load("out/base.cmpr", data).shrink(channels(0.5).finetune(2))}. For other options:
     * {@code load(file).withData(data, epochs(1).learningRate(1e-4))}.
     */
    public static Network load(String file, DataSplit data) {
        return PackedModel.load(Path.of(file)).withData(data, TrainOptions.epochs(1));
    }

    // ---------------------------------------------------------------- distillation, low rank, your own models

    /**
     * Knowledge distillation from a trained teacher (T = 4, α = 0.9 on the soft term):
     * {@code student.distill(distillFrom(teacher).temperature(4).alpha(0.5), data, epochs(10))}.
     */
    public static Distillation distillFrom(Network teacher) {
        return Distillation.from(teacher);
    }

    /** Low-rank factorization at rank r of every hidden Linear layer: {@code base.lowRank(rank(32))}. */
    public static LowRank rank(int r) {
        return LowRank.rank(r);
    }

    /** Low-rank factorization keeping this share of the singular-value energy: {@code base.lowRank(energy(0.9))}. */
    public static LowRank energy(double share) {
        return LowRank.energy(share);
    }

    /**
     * An ONNX model (from {@code torch.onnx.export}, opsets 11 to 17) as a graph model that every
     * technique works on: {@code onnx("resnet18.onnx")}. The input shape comes from the file.
     */
    public static Network onnx(String file) {
        return dev.compresso.onnx.OnnxFile.read(Path.of(file));
    }

    /** A TorchScript model ({@code torch.jit.save}) loaded through DJL's PyTorch engine: {@code torchscript("mlp.pt", 784)}. */
    public static Network torchscript(String file, long... inputShape) {
        return TorchScript.load(Path.of(file), inputShape);
    }

    /**
     * Wraps a DJL block factory as a model (the factory makes a fresh, uninitialized block each call).
     * Blocks of {@code SequentialBlock}, {@code ParallelBlock} and DJL's standard layers become a graph
     * model that packs, exports and shrinks; see {@link Network#wrap}.
     */
    public static Network wrap(String name, java.util.function.Supplier<ai.djl.nn.Block> factory, long[] inputShape, int outputs) {
        return Network.wrap(name, factory, inputShape, outputs, DEFAULT_SEED);
    }

    // ---------------------------------------------------------------- sweeps

    /** A sweep grid over one parameter; cross it with more: {@code grid("sparsity", 0.8, 0.9).and("bits", 4, 5)}. */
    public static Grid grid(String name, double... values) {
        return Grid.of(name, values);
    }

    /**
     * Runs {@code recipe} for every configuration of {@code grid}; it returns an evaluated network or
     * a packed model. Interrupting keeps the finished runs.
     */
    public static Sweep sweep(Grid grid, java.util.function.Function<Grid.Params, Object> recipe) {
        return Sweep.run(grid, new long[0], recipe);
    }

    /** Like {@link #sweep(Grid, java.util.function.Function)}, repeating each configuration for each seed ({@code p.getInt("seed")}). */
    public static Sweep sweep(Grid grid, long[] seeds, java.util.function.Function<Grid.Params, Object> recipe) {
        if (seeds.length == 0) {
            throw new IllegalArgumentException("no seeds given; pass at least one, for example new long[] {1, 2, 3}");
        }
        return Sweep.run(grid, seeds, recipe);
    }

    /**
     * A named sweep that survives the kernel: each finished configuration is kept in the run store,
     * and running the same cell again (in this or a new kernel, even after {@code kill -9}) skips what
     * finished and runs the rest. The result covers every configuration, old and new. The same name
     * with another grid or recipe is refused; {@link #forgetSweep} sets the old runs aside.
     *
     * <pre>{@code
     * var s = sweep("bits-vs-sparsity", grid("sparsity", 0.8, 0.9).and("bits", 4, 5),
     *               p -> base.prune(magnitude().sparsity(p.get("sparsity"))).share(kmeans().bits(p.getInt("bits"))).pack());
     * }</pre>
     *
     * @param name the sweep's name in the run store
     * @param grid the configurations
     * @param recipe what to run for each; returns an evaluated network or a packed model
     * @return the sweep
     */
    public static Sweep sweep(String name, Grid grid, Sweep.Recipe recipe) {
        return Sweep.run(name, grid, new long[0], recipe, Sweep.HERE);
    }

    /**
     * Like {@link #sweep(String, Grid, Sweep.Recipe)}, run elsewhere: {@code sweep("bits", grid,
     * recipe, spark())} runs the configurations as Spark tasks (module {@code compresso-spark}).
     *
     * @param name the sweep's name in the run store, or null for a sweep that is not kept for resuming
     * @param grid the configurations
     * @param recipe what to run for each
     * @param on where to run the configurations
     * @return the sweep
     */
    public static Sweep sweep(String name, Grid grid, Sweep.Recipe recipe, Sweep.Runner on) {
        return Sweep.run(name, grid, new long[0], recipe, on);
    }

    /**
     * Sets a named sweep's stored runs aside (renamed {@code NAME (set aside TIME)}, not deleted), so
     * the name starts fresh with a new grid or recipe.
     *
     * @param name the sweep's name
     * @return how many runs were set aside
     */
    public static int forgetSweep(String name) {
        return RunStore.session().forgetSweep(name);
    }

    // ---------------------------------------------------------------- results

    /**
     * Every run in the run store, from every session and notebook that used it, oldest first: the
     * columns of the {@code runs} table (see the README's run-store section).
     */
    public static Table runs() {
        return RunStore.session().runs();
    }

    /**
     * A SQL query on the run store, as a table: {@code runs("SELECT name, top1, stored_bytes FROM
     * runs WHERE notebook LIKE '%sweeps%'")}. The tables are {@code runs}, {@code run_params} and
     * {@code sweeps}.
     *
     * @param sql the query
     * @return its rows
     */
    public static Table runs(String sql) {
        return RunStore.session().query(sql);
    }

    /** The session's experiment log: one row per trained or compressed model. */
    public static ExperimentLog log() {
        return ExperimentLog.session();
    }

    /** Accuracy against bytes (log scale) for the given networks, with the Pareto frontier. */
    public static XYChart tradeoff(Network... networks) {
        return Charts.tradeoff(networks);
    }

    /** Accuracy against bytes for every row of a log (stored bytes where a model was packed). */
    public static XYChart tradeoff(ExperimentLog experimentLog) {
        return Charts.tradeoff(experimentLog);
    }

    /**
     * Accuracy against bytes for the rows of a table with {@code name}, {@code top1} and {@code
     * dense_bytes} or {@code stored_bytes} columns: {@code tradeoff(runs("SELECT * FROM runs WHERE
     * sweep = 'bits'"))}.
     */
    public static XYChart tradeoff(Table runs) {
        return Charts.tradeoff(runs);
    }

    /** Training loss and test accuracy per epoch for the given networks. */
    public static XYChart curves(Network... networks) {
        return Charts.trainingCurves(networks);
    }

    /**
     * Measured inference speed: latency at batch 1 and 64 and throughput, in DJL's PyTorch engine and
     * in ONNX Runtime (int8 QDQ models only there), 1 thread, warm-up excluded, median of 10 runs,
     * speed-up over the first model and a {@code faster}/{@code not faster} verdict; see {@link
     * dev.compresso.eval.Speed} for other settings and {@link Charts#speed} for the bar chart.
     *
     * @param models the models, the first being the baseline
     * @return the table
     */
    public static Table speed(Network... models) {
        return dev.compresso.eval.Speed.defaults().measure(models);
    }

    /**
     * Saves a chart as PNG and SVG in the output folder: the system property {@code compresso.out}
     * (set by {@code ./compresso run} and {@code demo}), else {@code out/}.
     *
     * @param chart any XChart chart
     * @param name the file name without extension, for example {@code "tradeoff"}
     * @return the two files written
     */
    public static java.util.List<Path> save(org.knowm.xchart.internal.chartpart.Chart<?, ?> chart, String name) {
        if (name == null || name.isBlank() || name.contains("/") || name.contains("\\")) {
            throw new IllegalArgumentException(
                    "chart name '" + name + "' must be a plain file name without folders or extension, for example \"tradeoff\"");
        }
        return Charts.save(chart, outputFolder().resolve(name));
    }

    /**
     * Writes a self-contained HTML report into the output folder as {@code NAME.html}: text, tables,
     * charts (embedded PNG) and DSL results, in order.
     *
     * @param name the file name without extension
     * @param title the page title
     * @param parts what to show
     * @return the file written
     */
    public static Path report(String name, String title, Object... parts) {
        if (name == null || name.isBlank() || name.contains("/") || name.contains("\\")) {
            throw new IllegalArgumentException(
                    "report name '" + name + "' must be a plain file name without folders or extension, for example \"report\"");
        }
        return dev.compresso.eval.HtmlReport.write(outputFolder().resolve(name + ".html"), title, parts);
    }

    /** The folder charts and reports are written to: {@code compresso.out}, else {@code out/}. */
    public static Path outputFolder() {
        return Path.of(System.getProperty("compresso.out", "out"));
    }

    /**
     * What this session runs with: JDK, DJL, PyTorch, the numerics mode ({@link Reproducibility}),
     * threads and the CPU. Training reproduces bit for bit with the same seed and threads; across CPU
     * models only in the reproducible mode, since otherwise the BLAS picks its kernels by processor
     * and a different rounding sends training down another path.
     */
    public static String versions() {
        return "JDK " + Runtime.version() + ", DJL " + TorchRuntime.djlVersion() + ", PyTorch "
                + TorchRuntime.pytorchVersion() + ", mode " + Reproducibility.mode() + ", threads " + TorchRuntime.threads()
                + ", CPU " + cpu();
    }

    /** The processor's model name as Linux's /proc/cpuinfo gives it, else the JVM's architecture name. */
    static String cpu() {
        return dev.compresso.runs.Run.cpuModel();
    }
}
