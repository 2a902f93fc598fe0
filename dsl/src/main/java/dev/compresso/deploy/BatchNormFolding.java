package dev.compresso.deploy;

import dev.compresso.model.Architecture;
import dev.compresso.model.Graph;
import dev.compresso.model.Network;
import dev.compresso.model.Op;
import dev.compresso.quantize.QuantConstraint;
import dev.compresso.share.CodebookConstraint;
import dev.compresso.train.Constraint;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Folds each BatchNorm into the Conv2d or Linear layer before it, as torch.ao's {@code fuse_modules}
 * does for inference: per output channel {@code w' = w·γ/√(var+ε)} and {@code b' = (b−mean)·γ/√(var+ε)+β}.
 * The folded network computes what the original computes in evaluation mode and has no BatchNorm
 * left to run (nor to train: it trains as a network without BatchNorm).
 *
 * <p>A BatchNorm is folded when its input is a Conv2d or a Linear over {@code [batch, features]}
 * with as many channels, and the BatchNorm is that layer's only consumer. Every other BatchNorm is
 * left in place and named in the chain step, with the reason.
 */
public final class BatchNormFolding {

    private BatchNormFolding() {}

    /**
     * Folds the BatchNorms of a copy of {@code network}; see the class comment.
     *
     * @param network a graph network, not quantized or weight-shared
     * @return the new network, named NAME-folded, chain step {@code foldBatchNorm(N folded; left 'x': reason)}; evaluated on
     *     the network's training data when it has one
     * @throws IllegalArgumentException if the network has no graph
     * @throws IllegalStateException if the network is quantized or weight-shared, whose grids folding
     *     would break
     */
    public static Network fold(Network network) {
        return fold(network, network.name() + "-folded", true);
    }

    /**
     * Like {@link #fold(Network)}, under another name and optionally without evaluating (for
     * techniques that fold first and evaluate their own result).
     *
     * @param network a graph network, not quantized or weight-shared
     * @param newName the folded network's name
     * @param evaluate whether to evaluate it on the network's training data and record it in the log
     * @return the folded network
     */
    public static Network fold(Network network, String newName, boolean evaluate) {
        long start = System.nanoTime();
        Architecture arch = network.architecture();
        if (!arch.isGraph()) {
            throw new IllegalArgumentException("foldBatchNorm(): network '" + network.name() + "' wraps an opaque block ("
                    + arch.description() + ") with no graph to change; bring it in through onnx(\"model.onnx\") or wrap(...)");
        }
        if (network.constraint(QuantConstraint.class) != null || network.constraint(CodebookConstraint.class) != null) {
            throw new IllegalStateException("foldBatchNorm(): network '" + network.name() + "' is "
                    + (network.constraint(QuantConstraint.class) != null ? "quantized" : "weight-shared")
                    + ", and folding would scale its weights off their grid; fold first: base.foldBatchNorm().quantize(...),"
                    + " or quantize(weightsTo(8).perChannel().activations(8).foldBatchNorm())");
        }
        Graph g = arch.graph();
        Map<String, long[]> shapes = g.shapes(1);
        Map<String, float[]> weights = new LinkedHashMap<>();
        for (String p : network.parameterNames()) {
            weights.put(p, network.weights(p));
        }
        Map<String, String> renamed = new HashMap<>();
        Map<String, Op> replaced = new HashMap<>();
        List<String> left = new ArrayList<>();
        int folded = 0;
        for (Graph.Node n : g.nodes()) {
            if (!(n.op() instanceof Op.BatchNorm bn)) {
                continue;
            }
            String reason = reasonNotFoldable(g, shapes, n, bn);
            if (reason != null) {
                left.add("'" + n.name() + "': " + reason);
                continue;
            }
            Graph.Node producer = g.node(n.inputs().get(0));
            fold(weights, producer, n, bn);
            replaced.put(producer.name(), withBias(producer.op()));
            renamed.put(n.name(), producer.name());
            folded++;
        }
        List<Graph.Node> nodes = new ArrayList<>();
        for (Graph.Node n : g.nodes()) {
            if (renamed.containsKey(n.name())) {
                continue;
            }
            List<String> ins = new ArrayList<>();
            for (String i : n.inputs()) {
                ins.add(renamed.getOrDefault(i, i));
            }
            nodes.add(new Graph.Node(n.name(), replaced.getOrDefault(n.name(), n.op()), ins));
        }
        Graph folded2 = new Graph(g.inputShape(), nodes, renamed.getOrDefault(g.output(), g.output()));
        Map<String, float[]> kept = new LinkedHashMap<>();
        for (String p : folded2.parameters().keySet()) {
            kept.put(p, weights.get(p));
        }
        StringBuilder step = new StringBuilder("foldBatchNorm(").append(folded).append(" folded");
        if (!left.isEmpty()) {
            step.append("; left ").append(String.join(", ", left));
        }
        step.append(')');
        Architecture newArch = Architecture.of(arch.name(), arch.description() + (folded > 0 ? ", BatchNorm folded" : ""), folded2);
        List<Constraint> keep = new ArrayList<>();
        for (Constraint c : network.constraints()) {
            keep.add(c); // masks: folding scales rows, so zeros stay zero
        }
        Network result = network.rebuilt(newName, step.toString(), newArch, kept, keep);
        return evaluate ? result.evaluatedLike(network, start) : result;
    }

    /** Why {@code n} cannot be folded, or null if it can. */
    static String reasonNotFoldable(Graph g, Map<String, long[]> shapes, Graph.Node n, Op.BatchNorm bn) {
        String in = n.inputs().get(0);
        Graph.Node producer = g.node(in);
        if (producer == null || !(producer.op() instanceof Op.Conv || producer.op() instanceof Op.Linear)) {
            return "no Conv2d or Linear before it" + (producer == null ? " (it reads the input)" : " (it reads " + producer.op().type() + " '" + in + "')");
        }
        if (g.consumers(in).size() != 1 || g.output().equals(in)) {
            return producer.op().type() + " '" + in + "' has other consumers, which need its unnormalized output";
        }
        int channels = producer.op() instanceof Op.Conv c ? c.out() : ((Op.Linear) producer.op()).units();
        if (producer.op() instanceof Op.Linear && shapes.get(in).length != 2) {
            return "Linear '" + in + "' has output " + java.util.Arrays.toString(shapes.get(in))
                    + ", so the BatchNorm's axis 1 is not its features";
        }
        if (channels != bn.channels()) {
            return "it normalizes " + bn.channels() + " channels but '" + in + "' has " + channels;
        }
        return null;
    }

    private static Op withBias(Op op) {
        if (op instanceof Op.Conv c) {
            return new Op.Conv(c.out(), c.in(), c.kernel(), c.stride(), c.pads(), c.dilation(), c.groups(), true);
        }
        Op.Linear l = (Op.Linear) op;
        return new Op.Linear(l.units(), l.in(), true);
    }

    /** Scales the producer's weight rows and sets its bias, in {@code weights}; removes the BatchNorm's. */
    private static void fold(Map<String, float[]> weights, Graph.Node producer, Graph.Node bnNode, Op.BatchNorm bn) {
        String bnName = bnNode.name();
        float[] gamma = weights.remove(bnName + "_gamma");
        float[] beta = weights.remove(bnName + "_beta");
        float[] mean = weights.remove(bnName + "_runningMean");
        float[] var = weights.remove(bnName + "_runningVar");
        float[] w = weights.get(producer.name() + "_weight").clone();
        float[] b = weights.get(producer.name() + "_bias");
        int rows = bn.channels();
        int per = w.length / rows;
        float[] nb = new float[rows];
        for (int o = 0; o < rows; o++) {
            double s = gamma[o] / Math.sqrt((double) var[o] + bn.epsilon());
            for (int i = o * per; i < (o + 1) * per; i++) {
                w[i] = (float) (w[i] * s);
            }
            nb[o] = (float) (((b == null ? 0.0 : b[o]) - mean[o]) * s + beta[o]);
        }
        weights.put(producer.name() + "_weight", w);
        weights.put(producer.name() + "_bias", nb);
    }
}
