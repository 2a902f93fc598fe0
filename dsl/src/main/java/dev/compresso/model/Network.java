package dev.compresso.model;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import dev.compresso.data.DataSplit;
import dev.compresso.train.Constraint;
import dev.compresso.train.Evaluation;
import dev.compresso.train.Fit;
import dev.compresso.train.TrainOptions;
import dev.compresso.train.TrainingHistory;
import dev.compresso.train.TrainingInterruptedException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * A model handle: a DJL block with its weights, the chain of techniques that made it, its training
 * history and its last evaluation.
 *
 * <p>Every operation returns a <b>new</b> network and leaves the receiver untouched, so re-running a
 * notebook cell never compounds. Weights live in native memory owned by the network; {@link
 * #close()} frees them early, otherwise they go when the JVM exits.
 */
public final class Network implements AutoCloseable {

    private final Architecture architecture;
    private final Model model;
    private final Provenance p;

    /**
     * Everything about a network except its weights: how it was made and how it scored. The data
     * and options of the last training are kept (by reference) so that techniques can fine-tune on
     * the same data without the user passing it again.
     */
    private record Provenance(
            String name,
            List<String> chain,
            List<Constraint> constraints,
            TrainingHistory history,
            Evaluation evaluation,
            double seconds,
            DataSplit data,
            TrainOptions options) {

        Provenance {
            chain = List.copyOf(chain);
            constraints = List.copyOf(constraints);
        }

        Provenance named(String newName) {
            return new Provenance(newName, chain, constraints, history, evaluation, seconds, data, options);
        }

        Provenance step(String step) {
            if (step == null) {
                return this;
            }
            List<String> c = new ArrayList<>(chain);
            c.add(step);
            return new Provenance(name, c, constraints, history, evaluation, seconds, data, options);
        }

        Provenance constrained(Constraint constraint) {
            List<Constraint> c = new ArrayList<>(constraints);
            c.removeIf(constraint::supersedes);
            c.add(constraint);
            return new Provenance(name, chain, c, history, null, 0, data, options);
        }

        Provenance trained(TrainingHistory more, Evaluation eval, double secs, DataSplit d, TrainOptions o) {
            return new Provenance(name, chain, constraints, history.then(more), eval, secs, d, o);
        }

        Provenance evaluated(Evaluation eval, double secs) {
            return new Provenance(name, chain, constraints, history, eval, secs, data, options);
        }
    }

    private Network(Architecture architecture, Model model, Provenance provenance) {
        this.architecture = architecture;
        this.model = model;
        this.p = provenance;
    }

    /**
     * A freshly initialized network of the given architecture. The same seed gives the same weights.
     *
     * @param architecture what to build
     * @param seed the initialization seed
     * @return the untrained network, named after the architecture
     */
    public static Network create(Architecture architecture, long seed) {
        Model model = newModel(architecture, seed);
        return new Network(architecture, model, new Provenance(
                architecture.name(), List.of(), List.of(), TrainingHistory.EMPTY, null, 0, null, null));
    }

    private static Model newModel(Architecture architecture, long seed) {
        TorchRuntime.noGrad();
        // PyTorch's random generator is one per process: seeding and drawing the initial weights must
        // not interleave with another thread's (two Spark tasks in local[n] create models at once)
        synchronized (Network.class) {
            TorchRuntime.engine().setRandomSeed((int) seed);
            Model model = Model.newInstance(architecture.name(), "PyTorch");
            Block block = architecture.factory().get();
            model.setBlock(block);
            block.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(batchShape(architecture, 1)));
            return model;
        }
    }

    /**
     * A model from DJL blocks. Blocks built from {@code SequentialBlock}, {@code ParallelBlock} (joined
     * by a sum or a concatenation) and DJL's standard layers (Linear, Conv2d, BatchNorm, Dropout,
     * activation, flatten and pooling blocks) become a graph model, with the block's initial weights
     * and parameter names, which every technique works on. Other blocks stay opaque: they train,
     * prune, quantize and share, and their description names the block that kept them from a graph.
     *
     * @param name a short name
     * @param factory makes a fresh, uninitialized block each call
     * @param inputShape the shape of one sample
     * @param outputs the number of outputs
     * @param seed the initialization seed
     * @return the model
     */
    public static Network wrap(String name, java.util.function.Supplier<Block> factory, long[] inputShape, int outputs, long seed) {
        Network opaque = create(new Architecture(name, "wrapped DJL block", factory, inputShape, outputs), seed);
        String reason;
        try {
            Graph g = DjlBlocks.convert(opaque.block(), inputShape, opaque.manager());
            List<Pair<String, Parameter>> params = opaque.parameterList();
            List<Map.Entry<String, Op.ParamSpec>> specs = new ArrayList<>(g.parameters().entrySet());
            if (specs.size() != params.size()) {
                throw new DjlBlocks.NotConvertible("its graph has " + specs.size() + " parameters but the block " + params.size());
            }
            Map<String, float[]> weights = new LinkedHashMap<>();
            for (int i = 0; i < specs.size(); i++) {
                NDArray a = params.get(i).getValue().getArray();
                if (!Arrays.equals(a.getShape().getShape(), specs.get(i).getValue().shape())) {
                    throw new DjlBlocks.NotConvertible("parameter " + params.get(i).getKey() + " of shape " + a.getShape()
                            + " does not line up with " + specs.get(i).getKey());
                }
                weights.put(specs.get(i).getKey(), a.toFloatArray());
            }
            Architecture arch = Architecture.of(name, "DJL blocks: " + g.opCounts(), g);
            if (arch.outputs() != outputs) {
                throw new IllegalArgumentException("wrap('" + name + "'): the block has " + arch.outputs() + " outputs, not "
                        + outputs + "; pass " + arch.outputs() + " or change the last layer");
            }
            Network net = restore(name, "wrap(" + name + ")", arch, weights);
            opaque.close();
            return net;
        } catch (DjlBlocks.NotConvertible e) {
            reason = e.getMessage();
        }
        Architecture kept = new Architecture(name, "wrapped DJL block, not a graph: " + reason, factory, inputShape, outputs);
        return new Network(kept, opaque.model, opaque.p);
    }

    static long[] batchShape(Architecture architecture, long batch) {
        long[] in = architecture.inputShape();
        long[] shape = new long[in.length + 1];
        shape[0] = batch;
        System.arraycopy(in, 0, shape, 1, in.length);
        return shape;
    }

    // ---------------------------------------------------------------- operations (new networks)

    /**
     * Trains a copy of this network and evaluates it on the test part of {@code data}. The result
     * is recorded in the session's experiment log under this network's name. Constraints the
     * network carries (pruning masks, codebooks) hold after every optimizer step.
     *
     * @param data the data to train on (train part) and evaluate on (test part)
     * @param options epochs, optimizer, learning rate, batch size, seed and progress listener
     * @return the trained network; this one is unchanged
     * @throws IllegalArgumentException if the data's samples do not fit this network's input
     * @throws dev.compresso.train.TrainingInterruptedException if the thread is interrupted; it
     *     carries the network as of the last completed step
     */
    public Network train(DataSplit data, TrainOptions options) {
        return fitCopy(data, options, "train(" + options.describe() + ")", true);
    }

    /**
     * Trains a copy further on the data and options of this network's last training, for {@code
     * epochs} epochs, keeping its constraints. Techniques use it to fine-tune after compressing.
     *
     * @param epochs number of epochs, ≥ 1
     * @return the fine-tuned network, recorded in the log under this name
     * @throws IllegalStateException if this network was never trained, so there is no data to use
     */
    public Network finetune(int epochs) {
        if (p.data() == null) {
            throw new IllegalStateException(
                    "network '" + p.name() + "' was never trained, so there is no data to fine-tune on;"
                            + " call train(data, epochs(n)) on it or on the model it came from first");
        }
        TrainOptions o = p.options().withEpochs(epochs);
        return fitCopy(p.data(), o, "finetune(epochs=" + epochs + ")", true);
    }

    /**
     * Like {@link #finetune(int)} but neither recorded in the log nor added to the chain, optionally
     * at another learning rate: for the intermediate rounds of a technique, which describes itself
     * once with {@link #withStep}.
     *
     * @param epochs number of epochs, ≥ 1
     * @param learningRate the learning rate, or NaN to keep the last training's
     * @return the fine-tuned copy
     */
    public Network finetuneQuietly(int epochs, double learningRate) {
        if (p.data() == null) {
            return finetune(epochs); // throws the explanatory error
        }
        TrainOptions o = p.options().withEpochs(epochs);
        if (!Double.isNaN(learningRate)) {
            o = o.learningRate(learningRate);
        }
        return fitCopy(p.data(), o, null, false);
    }

    /** The same network with one more chain step. Shares the weights; use the result, not the receiver. */
    public Network withStep(String step) {
        return new Network(architecture, model, p.step(step));
    }

    private Network fitCopy(DataSplit data, TrainOptions options, String step, boolean record) {
        checkFits(data);
        long start = System.nanoTime();
        Network copy = derive(p.name(), null);
        Fit.Result fit;
        try {
            fit = Fit.fit(copy, data, options);
        } catch (RuntimeException | Error e) {
            copy.close();
            throw e;
        }
        if (fit.interruptedAt() != null) {
            String stopped = step == null ? "finetune(stopped at " + fit.interruptedAt() + ")"
                    : step.substring(0, step.length() - 1) + ", stopped at " + fit.interruptedAt() + ")";
            Provenance partial = p.step(stopped)
                    .trained(fit.history(), null, (System.nanoTime() - start) / 1e9, data, options);
            throw new TrainingInterruptedException(
                    "training of '" + p.name() + "' was interrupted at " + fit.interruptedAt()
                            + "; the exception's partial() holds the weights of the last completed step",
                    new Network(architecture, copy.model, partial));
        }
        Evaluation eval = Fit.evaluate(copy, data.test(), 1000);
        double secs = (System.nanoTime() - start) / 1e9;
        // quiet fine-tuning keeps the options of the training it continues
        TrainOptions kept = step == null && p.options() != null ? p.options() : options;
        Network result = new Network(architecture, copy.model, p.step(step).trained(fit.history(), eval, secs, data, kept));
        if (record) {
            options.log().record(result);
        }
        return result;
    }

    /**
     * Evaluates this network on the test part of {@code data}.
     *
     * @param data the data; only its test part is used
     * @return top-1 accuracy, mean loss and latency per sample
     */
    public Evaluation evaluate(DataSplit data) {
        checkFits(data);
        return Fit.evaluate(this, data.test(), 1000);
    }

    /**
     * A copy of this network under another name, for example to keep two variants apart in the log.
     *
     * @param newName the name, non-blank
     * @return the renamed copy
     */
    public Network named(String newName) {
        return derive(checkName(newName), null);
    }

    private static String checkName(String newName) {
        if (newName == null || newName.isBlank()) {
            throw new IllegalArgumentException("a network name must not be blank; pass a short name such as \"base\"");
        }
        return newName;
    }

    /** A deep copy: same name, chain, history and evaluation, with independent weight arrays. */
    public Network copy() {
        return derive(p.name(), null);
    }

    /**
     * A copy with another name and one more step in its chain. For techniques in this library:
     * they take the copy, change its weights in place, and return it.
     *
     * @param newName the copy's name
     * @param step the chain step to append, or null for none
     * @return the copy
     */
    public Network derive(String newName, String step) {
        Model copyModel = newModel(architecture, 0);
        List<Pair<String, Parameter>> src = parameterList();
        List<Pair<String, Parameter>> dst = parameters(copyModel.getBlock());
        for (int i = 0; i < src.size(); i++) {
            dst.get(i).getValue().getArray().set(src.get(i).getValue().getArray().toByteBuffer());
        }
        return new Network(architecture, copyModel, p.named(checkName(newName)).step(step));
    }

    /**
     * A network rebuilt from stored weights, for example a packed file read back. Its chain is
     * {@code step}; it has no training history or data.
     *
     * @param name the network's name
     * @param step what made it, for example {@code load(model.cmpr)}
     * @param architecture a sequential architecture
     * @param weights a value array for every parameter, by name
     * @return the network, not yet evaluated
     */
    public static Network restore(String name, String step, Architecture architecture, Map<String, float[]> weights) {
        Network shell = new Network(architecture, null, new Provenance(
                checkName(name), List.of(), List.of(), TrainingHistory.EMPTY, null, 0, null, null));
        return shell.rebuilt(name, step, architecture, weights);
    }

    /**
     * A network of another architecture (for example with fewer neurons) that inherits this one's
     * provenance, with the given weights. For structural techniques.
     *
     * @param newName the new network's name
     * @param step the chain step to append
     * @param newArchitecture what to build
     * @param weights a value array for every parameter of the new architecture, by name
     * @return the new network, not yet evaluated
     * @throws IllegalArgumentException if a parameter is missing or has the wrong number of values
     */
    public Network rebuilt(String newName, String step, Architecture newArchitecture, Map<String, float[]> weights) {
        return rebuilt(newName, step, newArchitecture, weights, List.of());
    }

    /**
     * Like {@link #rebuilt(String, String, Architecture, Map)}, keeping the given constraints (for
     * changes that leave every parameter's shape as it was, such as quantizing activations).
     */
    public Network rebuilt(String newName, String step, Architecture newArchitecture, Map<String, float[]> weights,
            List<Constraint> keep) {
        Model m = newModel(newArchitecture, 0);
        for (Pair<String, Parameter> param : parameters(m.getBlock())) {
            NDArray a = param.getValue().getArray();
            float[] v = weights.get(param.getKey());
            if (v == null || v.length != a.size()) {
                m.close();
                throw new IllegalArgumentException(
                        "rebuilding '" + newName + "': parameter " + param.getKey() + " of shape " + a.getShape()
                                + (v == null ? " has no values" : " got " + v.length + " values"));
            }
            a.set(v);
        }
        Provenance q = new Provenance(checkName(newName), p.chain(), keep, p.history(), null, 0, p.data(), p.options());
        return new Network(newArchitecture, m, q.step(step));
    }

    /**
     * A copy that also enforces {@code constraint} after every optimizer step of later training. The
     * constraint is applied once right away.
     *
     * @param newName the copy's name
     * @param step the chain step to append
     * @param constraint the rule to keep, for example a pruning mask
     * @return the constrained copy, not yet evaluated
     */
    public Network withConstraint(String newName, String step, Constraint constraint) {
        Network copy = derive(newName, step);
        Network result = new Network(architecture, copy.model, copy.p.constrained(constraint));
        constraint.apply(result.parameterArrays());
        return result;
    }

    /**
     * A copy with some parameters replaced and, optionally, a constraint added (applied once right
     * away). For techniques that compute new weights on plain arrays.
     *
     * @param newName the copy's name
     * @param step the chain step to append
     * @param values new values by parameter name, each as long as the parameter
     * @param constraint a rule later training keeps, or null
     * @return the copy, not yet evaluated
     */
    public Network withWeights(String newName, String step, Map<String, float[]> values, Constraint constraint) {
        Network copy = derive(newName, step);
        for (Map.Entry<String, float[]> e : values.entrySet()) {
            NDArray a = copy.parameterArray(e.getKey());
            if (a.size() != e.getValue().length) {
                copy.close();
                throw new IllegalArgumentException("parameter " + e.getKey() + " has " + a.size() + " values, got "
                        + e.getValue().length);
            }
            a.set(e.getValue());
        }
        if (constraint == null) {
            return new Network(architecture, copy.model, copy.p.evaluated(null, 0));
        }
        Network result = new Network(architecture, copy.model, copy.p.constrained(constraint));
        constraint.apply(result.parameterArrays());
        return result;
    }

    /**
     * This network evaluated on the test part of {@code data}, which it then keeps, with {@code
     * options}, as if it had last been trained on them: techniques that fine-tune or calibrate
     * ({@code shrink}, {@code prune}, {@code share}, {@code quantize}) use both. Meant for a model
     * loaded from a file: {@code load("base.cmpr").withData(data, epochs(1).learningRate(1e-4))}.
     * Shares the weights with the receiver; use the result, not the receiver.
     *
     * @param data the data to evaluate on now and to fine-tune on later
     * @param options the options fine-tuning continues with (learning rate, batch size, seed)
     * @return the evaluated network, recorded in the log
     * @throws IllegalArgumentException if the data's samples do not fit this network's input
     */
    public Network withData(DataSplit data, TrainOptions options) {
        long start = System.nanoTime();
        Evaluation eval = evaluate(data);
        Network result = new Network(architecture, model,
                p.trained(TrainingHistory.EMPTY, eval, (System.nanoTime() - start) / 1e9, data, options));
        options.log().record(result);
        return result;
    }

    /**
     * The same network with an evaluation and wall time attached, for techniques that evaluate
     * after changing weights. Shares the weights with the receiver; use the result, not the receiver.
     */
    public Network withEvaluation(Evaluation newEvaluation, double newSeconds) {
        return new Network(architecture, model, p.evaluated(newEvaluation, newSeconds));
    }

    /**
     * The last step of every technique: this network evaluated on the data {@code source} was last
     * trained on, with the wall time since {@code startNanos}, and recorded in {@code source}'s log.
     * Returned as it is when {@code source} was never trained. Shares the weights with the receiver;
     * use the result, not the receiver.
     *
     * @param source the model the technique started from
     * @param startNanos {@link System#nanoTime()} when the technique started
     * @return the evaluated network
     */
    public Network evaluatedLike(Network source, long startNanos) {
        if (source.trainedOn() == null) {
            return this;
        }
        Network result = withEvaluation(evaluate(source.trainedOn()), (System.nanoTime() - startNanos) / 1e9);
        source.trainOptions().log().record(result);
        return result;
    }

    /**
     * The network's raw outputs (logits) for every sample, row after row.
     *
     * @param samples the inputs
     * @return {@code samples.size() × outputs} values
     */
    public float[] outputs(dev.compresso.data.Samples samples) {
        return Fit.outputs(this, samples, 1000);
    }

    /**
     * Prunes a copy by weight magnitude; see {@link dev.compresso.prune.Magnitude}.
     *
     * @param pruning for example {@code magnitude().sparsity(0.92).gradual(3).finetune(2)}
     * @return the pruned model, fine-tuned and evaluated on this model's training data when it has one
     */
    public Network prune(dev.compresso.prune.Magnitude pruning) {
        return pruning.apply(this);
    }

    /**
     * Removes whole neurons or filters from a copy; see {@link dev.compresso.prune.Structured}.
     *
     * @param shrinking for example {@code neurons(0.5)}
     * @return the smaller model
     */
    public Network shrink(dev.compresso.prune.Structured shrinking) {
        return shrinking.apply(this);
    }

    /**
     * Removes whole channels of every dependency group from a copy, so residual partners, BatchNorms
     * and consumers shrink together; see {@link dev.compresso.prune.Channels}.
     *
     * @param channels for example {@code channels(0.5).finetune(2)}
     * @return the smaller model
     */
    public Network shrink(dev.compresso.prune.Channels channels) {
        return channels.apply(this);
    }

    /**
     * Shares weights by k-means in a copy; see {@link dev.compresso.share.WeightSharing}.
     *
     * @param sharing for example {@code kmeans().bits(5).finetune(1)}
     * @return the shared model
     */
    public Network share(dev.compresso.share.WeightSharing sharing) {
        return sharing.apply(this);
    }

    /**
     * Quantizes a copy; see {@link dev.compresso.quantize.Quantization}.
     *
     * @param quantization for example {@code weightsTo(8).perChannel()}
     * @return the quantized model
     */
    public Network quantize(dev.compresso.quantize.Quantization quantization) {
        return quantization.apply(this);
    }

    /**
     * Folds every BatchNorm that directly follows a Conv2d or Linear layer (and is that layer's only
     * consumer) into the layer's weight and bias, as torch.ao's {@code fuse_modules} does: the new
     * network has no BatchNorm nodes there and computes what this one computes in evaluation mode.
     * BatchNorms that cannot be folded are left and named in the chain step, for example {@code
     * foldBatchNorm(12 folded; left 'x.bn': no Conv2d or Linear before it)}. See {@link
     * dev.compresso.deploy.BatchNormFolding}.
     *
     * @return the folded network, named {@code NAME-folded}, evaluated on this network's training data
     *     when it has one
     * @throws IllegalStateException if this network is quantized or weight-shared (fold before that)
     */
    public Network foldBatchNorm() {
        return dev.compresso.deploy.BatchNormFolding.fold(this);
    }

    /**
     * Writes this network to a packed file in the output folder ({@code compresso.out}, else {@code
     * out/}) as {@code NAME.cmpr}, reads it back and verifies it; see {@link dev.compresso.store.PackedModel}.
     *
     * @return the packed model: file, bytes, breakdown, and the model read back
     */
    public dev.compresso.store.PackedModel pack() {
        return pack(java.nio.file.Path.of(System.getProperty("compresso.out", "out"), name() + dev.compresso.store.PackedModel.EXTENSION));
    }

    /**
     * Writes this network to {@code file} (atomically), reads it back and verifies it.
     *
     * @param file where to write
     * @return the packed model
     */
    public dev.compresso.store.PackedModel pack(java.nio.file.Path file) {
        return dev.compresso.store.PackedModel.pack(this, file, dev.compresso.store.PackedFile.Options.defaults());
    }

    /**
     * Writes this network as an ONNX model that ONNX Runtime and other runtimes run, atomically (a
     * failed write leaves no file). Pruned weights are written as zeros, shared and quantized
     * weights as their values; see {@link dev.compresso.onnx.OnnxFile#write}.
     *
     * @param file where to write, for example {@code "out/resnet20.onnx"}
     * @return the file
     */
    public java.nio.file.Path exportOnnx(String file) {
        return dev.compresso.onnx.OnnxFile.write(this, java.nio.file.Path.of(file));
    }

    /**
     * Writes this quantized network as int8 QDQ ONNX that ONNX Runtime runs with int8 kernels, and
     * checks that ONNX Runtime loads it. The network must be quantized with {@code
     * quantize(weightsTo(8).perChannel().activations(8))} (optionally {@code .foldBatchNorm()}); the
     * file's int8 weight levels × scales are exactly the weights this network evaluates with. Use
     * {@link #exportOnnx(String)} for an fp32 file of any network. See {@link
     * dev.compresso.onnx.OnnxFile#writeInt8}.
     *
     * @param file where to write, for example {@code "out/resnet20-int8.onnx"}
     * @return the file
     * @throws IllegalArgumentException if weights or activations are not 8-bit as required, or the
     *     activations were never calibrated; the message says which call fixes it
     * @throws dev.compresso.onnx.OnnxException if ONNX Runtime cannot load the file (its message; the
     *     file stays for inspection)
     */
    public java.nio.file.Path exportInt8(String file) {
        return dev.compresso.onnx.OnnxFile.writeInt8(this, java.nio.file.Path.of(file));
    }

    /**
     * Trains a copy of this (student) network on a teacher's soft targets; see {@link
     * dev.compresso.distill.Distillation}.
     */
    public Network distill(dev.compresso.distill.Distillation distillation, DataSplit data, TrainOptions options) {
        return distillation.apply(this, data, options);
    }

    /** Like {@link #distill(dev.compresso.distill.Distillation, DataSplit, TrainOptions)} on the teacher's training data. */
    public Network distill(dev.compresso.distill.Distillation distillation, TrainOptions options) {
        return distillation.apply(this, options);
    }

    /** Replaces Linear layers by low-rank pairs from their SVD, then fine-tunes; see {@link dev.compresso.lowrank.LowRank}. */
    public Network lowRank(dev.compresso.lowrank.LowRank factorization) {
        return factorization.apply(this);
    }

    /** The data this network was last trained on, or null. Techniques fine-tune and evaluate on it. */
    public DataSplit trainedOn() {
        return p.data();
    }

    /** The options of this network's last training, or null. */
    public TrainOptions trainOptions() {
        return p.options();
    }

    // ---------------------------------------------------------------- views

    /** The name under which this network appears in the log. */
    public String name() {
        return p.name();
    }

    /** How this network is built. */
    public Architecture architecture() {
        return architecture;
    }

    /** The technique chain that made this network, for example {@code train(epochs=10, adam, lr=0.001)}. */
    public String chain() {
        return p.chain().isEmpty() ? "init" : String.join(" → ", p.chain());
    }

    /** Per-epoch loss and accuracy from all training this network went through. */
    public TrainingHistory history() {
        return p.history();
    }

    /** The last evaluation on test data, or null if this network was never evaluated. */
    public Evaluation evaluation() {
        return p.evaluation();
    }

    /** Wall-clock seconds of the operation that made this network (training, pruning...). */
    public double seconds() {
        return p.seconds();
    }

    /** The constraints later training re-applies after each optimizer step. */
    public List<Constraint> constraints() {
        return p.constraints();
    }

    /**
     * The first of this network's constraints of the given type, or null: whether it is pruned
     * ({@code MaskConstraint}), weight-shared ({@code CodebookConstraint}) or quantized ({@code
     * QuantConstraint}).
     *
     * @param type the constraint class
     * @return the constraint, or null if there is none of that type
     */
    public <T extends Constraint> T constraint(Class<T> type) {
        for (Constraint c : p.constraints()) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
        }
        return null;
    }

    /** The DJL block, for advanced use. Changing its weights changes this network. */
    public Block block() {
        return model.getBlock();
    }

    /** The manager that owns this network's weights. */
    public NDManager manager() {
        return model.getNDManager();
    }

    /** The layers that have parameters, in forward order. */
    public List<Layer> layers() {
        Map<String, List<Layer.ParameterInfo>> byLayer = new LinkedHashMap<>();
        Map<String, String> types = new LinkedHashMap<>();
        for (Pair<String, Parameter> p : parameterList()) {
            String full = p.getKey();
            int cut = full.lastIndexOf('_');
            String layer = cut > 0 ? full.substring(0, cut) : full;
            NDArray a = p.getValue().getArray();
            byLayer.computeIfAbsent(layer, k -> new ArrayList<>())
                    .add(new Layer.ParameterInfo(full, a.getShape().getShape(), a.size(), nonZeros(a)));
            Graph.Node node = architecture.graph() == null ? null : architecture.graph().node(layer);
            types.putIfAbsent(layer, node != null ? node.op().type()
                    : layer.substring(layer.lastIndexOf('_') + 1).replaceFirst("^\\d+", ""));
        }
        List<Layer> layers = new ArrayList<>();
        byLayer.forEach((layer, params) -> layers.add(new Layer(layer, types.get(layer), params)));
        return layers;
    }

    /** Total number of parameters. */
    public long parameterCount() {
        long n = 0;
        for (Pair<String, Parameter> p : parameterList()) {
            n += p.getValue().getArray().size();
        }
        return n;
    }

    /** Number of parameters that are not exactly zero. */
    public long nonZeroCount() {
        long n = 0;
        for (Pair<String, Parameter> p : parameterList()) {
            n += nonZeros(p.getValue().getArray());
        }
        return n;
    }

    /** Bytes the parameters take as dense fp32: 4 × {@link #parameterCount()}. */
    public long denseBytes() {
        return 4 * parameterCount();
    }

    /**
     * The values of one parameter, as a copy.
     *
     * @param parameterName the full name, for example {@code 02Linear_weight}
     * @return its values, row-major
     */
    public float[] weights(String parameterName) {
        return parameterArray(parameterName).toFloatArray();
    }

    /** The names of all parameters, in forward order. */
    public List<String> parameterNames() {
        List<String> names = new ArrayList<>();
        for (Pair<String, Parameter> p : parameterList()) {
            names.add(p.getKey());
        }
        return names;
    }

    /**
     * The live array of one parameter, for techniques that change weights in place (use on a copy).
     *
     * @param parameterName the full name
     * @return the array
     * @throws IllegalArgumentException if there is no such parameter; the message lists the names
     */
    public NDArray parameterArray(String parameterName) {
        TorchRuntime.noGrad();
        for (Pair<String, Parameter> p : parameterList()) {
            if (p.getKey().equals(parameterName)) {
                return p.getValue().getArray();
            }
        }
        throw new IllegalArgumentException(
                "network '" + name() + "' has no parameter '" + parameterName + "'; its parameters are " + parameterNames());
    }

    /** All live parameter arrays by name, in forward order. */
    public Map<String, NDArray> parameterArrays() {
        TorchRuntime.noGrad();
        Map<String, NDArray> map = new LinkedHashMap<>();
        for (Pair<String, Parameter> p : parameterList()) {
            map.put(p.getKey(), p.getValue().getArray());
        }
        return map;
    }

    /** A table with one row per parameter: layer, type, parameter, shape, count, non-zeros, sparsity, bytes. */
    public Table summary() {
        StringColumn layer = StringColumn.create("layer");
        StringColumn type = StringColumn.create("type");
        StringColumn param = StringColumn.create("parameter");
        StringColumn shape = StringColumn.create("shape");
        LongColumn count = LongColumn.create("count");
        LongColumn nz = LongColumn.create("nonzeros");
        DoubleColumn sparsity = DoubleColumn.create("sparsity");
        LongColumn bytes = LongColumn.create("dense_bytes");
        for (Layer l : layers()) {
            for (Layer.ParameterInfo p : l.parameters()) {
                layer.append(l.name());
                type.append(l.type());
                param.append(p.name().substring(p.name().lastIndexOf('_') + 1));
                shape.append(Arrays.toString(p.shape()));
                count.append(p.count());
                nz.append(p.nonZeros());
                sparsity.append(p.count() == 0 ? 0 : 1.0 - (double) p.nonZeros() / p.count());
                bytes.append(4 * p.count());
            }
        }
        sparsity.setPrintFormatter(tech.tablesaw.columns.numbers.NumberColumnFormatter.percent(1));
        for (LongColumn c : new LongColumn[] {count, nz, bytes}) {
            c.setPrintFormatter(tech.tablesaw.columns.numbers.NumberColumnFormatter.intsWithGrouping());
        }
        return Table.create(name() + " summary", layer, type, param, shape, count, nz, sparsity, bytes);
    }

    // ---------------------------------------------------------------- rendering

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        sb.append(name()).append(" — ").append(architecture.name());
        if (!architecture.description().isEmpty()) {
            sb.append(" (").append(architecture.description()).append(')');
        }
        sb.append('\n').append("  chain     ").append(chain()).append('\n');
        sb.append(String.format("  params    %,d (%,d non-zero)%n", parameterCount(), nonZeroCount()));
        sb.append(String.format("  size      %,d bytes dense fp32%n", denseBytes()));
        if (evaluation() != null) {
            sb.append("  test      ").append(evaluation()).append('\n');
        }
        for (Layer l : layers()) {
            sb.append("  ").append(String.format("%-14s %-8s", l.name(), l.type()));
            for (Layer.ParameterInfo p : l.parameters()) {
                sb.append(' ').append(p.name().substring(p.name().lastIndexOf('_') + 1)).append(Arrays.toString(p.shape()));
            }
            sb.append('\n');
        }
        return sb.toString().stripTrailing();
    }

    /** An HTML card with the same content as {@link #toString()}, for notebooks. */
    public String toHtml() {
        StringBuilder sb = new StringBuilder("<div class=\"compresso-network\">");
        sb.append("<b>").append(esc(name())).append("</b> — ").append(esc(architecture.toString()));
        sb.append("<table><tr><th style=\"text-align:left\">chain</th><td>").append(esc(chain())).append("</td></tr>");
        sb.append(String.format("<tr><th style=\"text-align:left\">params</th><td>%,d (%,d non-zero)</td></tr>", parameterCount(), nonZeroCount()));
        sb.append(String.format("<tr><th style=\"text-align:left\">dense fp32</th><td>%,d bytes</td></tr>", denseBytes()));
        if (evaluation() != null) {
            sb.append("<tr><th style=\"text-align:left\">test</th><td>").append(esc(evaluation().toString())).append("</td></tr>");
        }
        sb.append("</table><table><tr><th>layer</th><th>type</th><th>parameters</th></tr>");
        for (Layer l : layers()) {
            sb.append("<tr><td>").append(esc(l.name())).append("</td><td>").append(esc(l.type())).append("</td><td>");
            for (Layer.ParameterInfo p : l.parameters()) {
                sb.append(esc(p.name().substring(p.name().lastIndexOf('_') + 1))).append(Arrays.toString(p.shape())).append(' ');
            }
            sb.append("</td></tr>");
        }
        return sb.append("</table></div>").toString();
    }

    /** Frees this network's native memory; the network is unusable afterwards. */
    @Override
    public void close() {
        model.close();
    }

    // ---------------------------------------------------------------- internals

    private void checkFits(DataSplit data) {
        long size = 1;
        for (long d : data.sampleShape()) {
            size *= d;
        }
        if (size != architecture.inputSize()) {
            throw new IllegalArgumentException(
                    "data '" + data.name() + "' has samples of shape " + Arrays.toString(data.sampleShape())
                            + " (" + size + " values), but network '" + name() + "' takes "
                            + Arrays.toString(architecture.inputShape()) + " (" + architecture.inputSize()
                            + " values); use data of that shape or a model built for " + Arrays.toString(data.sampleShape()));
        }
        if (data.classes() > architecture.outputs()) {
            throw new IllegalArgumentException(
                    "data '" + data.name() + "' has " + data.classes() + " classes, but network '" + name() + "' has only "
                            + architecture.outputs() + " outputs; use a model with " + data.classes() + " outputs");
        }
    }

    private List<Pair<String, Parameter>> parameterList() {
        return parameters(model.getBlock());
    }

    private static List<Pair<String, Parameter>> parameters(Block block) {
        List<Pair<String, Parameter>> list = new ArrayList<>();
        for (Pair<String, Parameter> p : block.getParameters()) {
            list.add(p);
        }
        return list;
    }

    static long nonZeros(NDArray a) {
        float[] v = a.toFloatArray();
        long n = 0;
        for (float x : v) {
            if (x != 0f) {
                n++;
            }
        }
        return n;
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
