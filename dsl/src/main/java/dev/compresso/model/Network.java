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

    private final String name;
    private final Architecture architecture;
    private final Model model;
    private final List<String> chain;
    private final List<Constraint> constraints;
    private final TrainingHistory history;
    private final Evaluation evaluation;
    private final double seconds;

    private Network(
            String name,
            Architecture architecture,
            Model model,
            List<String> chain,
            List<Constraint> constraints,
            TrainingHistory history,
            Evaluation evaluation,
            double seconds) {
        this.name = name;
        this.architecture = architecture;
        this.model = model;
        this.chain = List.copyOf(chain);
        this.constraints = List.copyOf(constraints);
        this.history = history;
        this.evaluation = evaluation;
        this.seconds = seconds;
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
        return new Network(architecture.name(), architecture, model, List.of(), List.of(), TrainingHistory.EMPTY, null, 0);
    }

    private static Model newModel(Architecture architecture, long seed) {
        TorchRuntime.engine().setRandomSeed((int) seed);
        Model model = Model.newInstance(architecture.name(), "PyTorch");
        Block block = architecture.factory().get();
        model.setBlock(block);
        block.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(batchShape(architecture, 1)));
        return model;
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
     * is recorded in the session's experiment log under this network's name.
     *
     * @param data the data to train on (train part) and evaluate on (test part)
     * @param options epochs, optimizer, learning rate, batch size, seed and progress listener
     * @return the trained network; this one is unchanged
     * @throws IllegalArgumentException if the data's samples do not fit this network's input
     * @throws dev.compresso.train.TrainingInterruptedException if the thread is interrupted; it
     *     carries the network as of the last completed step
     */
    public Network train(DataSplit data, TrainOptions options) {
        checkFits(data);
        long start = System.nanoTime();
        String step = "train(" + options.describe() + ")";
        Network copy = derive(name, null);
        Fit.Result fit;
        try {
            fit = Fit.fit(copy, data, options);
        } catch (RuntimeException | Error e) {
            copy.close();
            throw e;
        }
        List<String> newChain = new ArrayList<>(chain);
        if (fit.interruptedAt() != null) {
            newChain.add(step.replace(")", ", stopped at " + fit.interruptedAt() + ")"));
            Network partial = new Network(name, architecture, copy.model, newChain, constraints,
                    history.then(fit.history()), null, (System.nanoTime() - start) / 1e9);
            throw new TrainingInterruptedException(
                    "training of '" + name + "' was interrupted at " + fit.interruptedAt()
                            + "; the exception's partial() holds the weights of the last completed step",
                    partial);
        }
        newChain.add(step);
        Evaluation eval = Fit.evaluate(copy, data.test(), 1000);
        double secs = (System.nanoTime() - start) / 1e9;
        Network result = new Network(name, architecture, copy.model, newChain, constraints, history.then(fit.history()), eval, secs);
        options.log().record(result);
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
        if (newName == null || newName.isBlank()) {
            throw new IllegalArgumentException("a network name must not be blank; pass a short name such as \"base\"");
        }
        Network copy = copy();
        return new Network(newName, architecture, copy.model, chain, constraints, history, evaluation, seconds);
    }

    /** A deep copy: same name, chain, history and evaluation, with independent weight arrays. */
    public Network copy() {
        return derive(name, null);
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
            NDArray from = src.get(i).getValue().getArray();
            NDArray to = dst.get(i).getValue().getArray();
            to.set(from.toByteBuffer());
        }
        List<String> newChain = new ArrayList<>(chain);
        if (step != null) {
            newChain.add(step);
        }
        return new Network(newName, architecture, copyModel, newChain, constraints, history, evaluation, seconds);
    }

    /**
     * A copy that also enforces {@code constraint} after every optimizer step of later training. The
     * constraint is applied once right away.
     *
     * @param newName the copy's name
     * @param step the chain step to append
     * @param constraint the rule to keep, for example a pruning mask
     * @return the constrained copy
     */
    public Network withConstraint(String newName, String step, Constraint constraint) {
        Network copy = derive(newName, step);
        List<Constraint> all = new ArrayList<>(constraints);
        all.add(constraint);
        Network result = new Network(newName, architecture, copy.model, copy.chain, all, history, null, 0);
        constraint.apply(result.parameterArrays());
        return result;
    }

    /**
     * The same network with a new evaluation and wall time attached, for techniques that evaluate
     * after changing weights. Shares the weights with the receiver; the receiver should not be used
     * afterwards.
     */
    public Network withEvaluation(Evaluation newEvaluation, double newSeconds) {
        return new Network(name, architecture, model, chain, constraints, history, newEvaluation, newSeconds);
    }

    // ---------------------------------------------------------------- views

    /** The name under which this network appears in the log. */
    public String name() {
        return name;
    }

    /** How this network is built. */
    public Architecture architecture() {
        return architecture;
    }

    /** The technique chain that made this network, for example {@code train(epochs=10, adam, lr=0.001)}. */
    public String chain() {
        return chain.isEmpty() ? "init" : String.join(" → ", chain);
    }

    /** Per-epoch loss and accuracy from all training this network went through. */
    public TrainingHistory history() {
        return history;
    }

    /** The last evaluation on test data, or null if this network was never evaluated. */
    public Evaluation evaluation() {
        return evaluation;
    }

    /** Wall-clock seconds of the operation that made this network (training, pruning...). */
    public double seconds() {
        return seconds;
    }

    /** The constraints later training re-applies after each optimizer step. */
    public List<Constraint> constraints() {
        return constraints;
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
            types.putIfAbsent(layer, layer.substring(layer.lastIndexOf('_') + 1).replaceFirst("^\\d+", ""));
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
        for (Pair<String, Parameter> p : parameterList()) {
            if (p.getKey().equals(parameterName)) {
                return p.getValue().getArray();
            }
        }
        throw new IllegalArgumentException(
                "network '" + name + "' has no parameter '" + parameterName + "'; its parameters are " + parameterNames());
    }

    /** All live parameter arrays by name, in forward order. */
    public Map<String, NDArray> parameterArrays() {
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
        return Table.create(name + " summary", layer, type, param, shape, count, nz, sparsity, bytes);
    }

    // ---------------------------------------------------------------- rendering

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        sb.append(name).append(" — ").append(architecture.name());
        if (!architecture.description().isEmpty()) {
            sb.append(" (").append(architecture.description()).append(')');
        }
        sb.append('\n').append("  chain     ").append(chain()).append('\n');
        sb.append(String.format("  params    %,d (%,d non-zero)%n", parameterCount(), nonZeroCount()));
        sb.append(String.format("  size      %,d bytes dense fp32%n", denseBytes()));
        if (evaluation != null) {
            sb.append("  test      ").append(evaluation).append('\n');
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
        sb.append("<b>").append(esc(name)).append("</b> — ").append(esc(architecture.toString()));
        sb.append("<table><tr><th style=\"text-align:left\">chain</th><td>").append(esc(chain())).append("</td></tr>");
        sb.append(String.format("<tr><th style=\"text-align:left\">params</th><td>%,d (%,d non-zero)</td></tr>", parameterCount(), nonZeroCount()));
        sb.append(String.format("<tr><th style=\"text-align:left\">dense fp32</th><td>%,d bytes</td></tr>", denseBytes()));
        if (evaluation != null) {
            sb.append("<tr><th style=\"text-align:left\">test</th><td>").append(esc(evaluation.toString())).append("</td></tr>");
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
                            + " (" + size + " values), but network '" + name + "' takes "
                            + Arrays.toString(architecture.inputShape()) + " (" + architecture.inputSize()
                            + " values); use data of that shape or a model built for " + Arrays.toString(data.sampleShape()));
        }
        if (data.classes() > architecture.outputs()) {
            throw new IllegalArgumentException(
                    "data '" + data.name() + "' has " + data.classes() + " classes, but network '" + name + "' has only "
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
