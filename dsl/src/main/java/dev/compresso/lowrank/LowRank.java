package dev.compresso.lowrank;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import dev.compresso.model.Architecture;
import dev.compresso.model.Layer;
import dev.compresso.model.LayerSpec;
import dev.compresso.model.Network;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Low-rank factorization: replaces a Linear layer {@code y = W·x + b} (W is m×n) by two, {@code
 * n → r} without bias and then {@code r → m} with W's bias, from the truncated SVD of W, then
 * fine-tunes. The pair has {@code r·(m + n)} weights instead of {@code m·n}, so it only saves when
 * {@code r < m·n / (m + n)} (171 for a 300×784 layer).
 *
 * <pre>{@code
 * var thin  = base.lowRank(rank(32));                          // every hidden Linear layer, rank 32
 * var keep9 = base.lowRank(energy(0.9).layers("02Linear").finetune(2));
 * }</pre>
 *
 * <p>The rank is given ({@link #rank}) or is the smallest that keeps a share of the singular-value
 * energy Σσ² ({@link #energy}). Works on sequential architectures; the layers after an inserted one
 * shift by one position, so their parameter names change ({@code 04Linear} becomes {@code 05Linear}).
 * Constraints of the input (pruning masks, codebooks) are dropped: the factors are new, dense weights.
 */
public final class LowRank {

    private final int rank; // -1 when energy is used
    private final double energy; // NaN when rank is used
    private final List<String> layers; // empty: every Linear layer but the output layer
    private final int finetuneEpochs; // -1: 1 epoch if the network has training data, else none
    private final String name;

    private LowRank(int rank, double energy, List<String> layers, int finetuneEpochs, String name) {
        this.rank = rank;
        this.energy = energy;
        this.layers = List.copyOf(layers);
        this.finetuneEpochs = finetuneEpochs;
        this.name = name;
    }

    /**
     * Factorizes at rank {@code r}.
     *
     * @param r ≥ 1, and at most min(m, n) of every selected layer (checked when applied)
     * @return the spec; by default every Linear layer but the output layer, fine-tuned for 1 epoch
     */
    public static LowRank rank(int r) {
        if (r < 1) {
            throw new IllegalArgumentException("rank=" + r + " must be ≥ 1; for example rank(32)");
        }
        return new LowRank(r, Double.NaN, List.of(), -1, null);
    }

    /**
     * Factorizes each layer at the smallest rank whose singular values keep this share of Σσ².
     *
     * @param share in (0, 1], for example 0.9
     * @return the spec
     */
    public static LowRank energy(double share) {
        if (!(share > 0 && share <= 1)) {
            throw new IllegalArgumentException("energy=" + share + " must be in (0, 1]: the share of the singular-value"
                    + " energy Σσ² to keep; for example energy(0.9)");
        }
        return new LowRank(-1, share, List.of(), -1, null);
    }

    /** Factorizes only these Linear layers, by layer name ({@code 02Linear}) or weight name ({@code 02Linear_weight}). */
    public LowRank layers(String... layerNames) {
        return new LowRank(rank, energy, Arrays.asList(layerNames), finetuneEpochs, name);
    }

    /**
     * Fine-tunes for this many epochs after factorizing, on the network's training data (default: 1 if
     * it has some, else none).
     *
     * @param epochs ≥ 0
     */
    public LowRank finetune(int epochs) {
        if (epochs < 0) {
            throw new IllegalArgumentException("finetune(" + epochs + "): epochs must be ≥ 0");
        }
        return new LowRank(rank, energy, layers, epochs, name);
    }

    /** Names the result (default: the input's name + {@code -lowrank}). */
    public LowRank named(String newName) {
        return new LowRank(rank, energy, layers, finetuneEpochs, newName);
    }

    /** The chain step this adds, before the ranks are known. */
    public String describe() {
        return describe(null);
    }

    private String describe(Map<String, Integer> ranks) {
        StringBuilder sb = new StringBuilder("lowRank(");
        sb.append(rank > 0 ? "rank=" + rank : String.format(Locale.ROOT, "energy=%.3g", energy));
        if (ranks != null && rank < 0) {
            List<String> parts = new ArrayList<>();
            ranks.forEach((l, r) -> parts.add(l + " r=" + r));
            sb.append(": ").append(String.join(", ", parts));
        } else if (!layers.isEmpty()) {
            sb.append(", layers=").append(layers);
        }
        if (finetuneEpochs > 0) {
            sb.append(", finetune=").append(finetuneEpochs);
        }
        return sb.append(')').toString();
    }

    @Override
    public String toString() {
        return describe();
    }

    /**
     * The ranks this spec picks for {@code network}, by layer name, in forward order, without changing
     * anything.
     *
     * @throws IllegalArgumentException for a layer that is missing or not Linear, or a rank larger than
     *     the layer allows
     */
    public Map<String, Integer> ranks(Network network) {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (Layer layer : selected(network)) {
            long[] shape = layer.parameters().get(0).shape();
            int m = (int) shape[0];
            int n = (int) shape[1];
            out.put(layer.name(), rankFor(layer.name(), network.weights(layer.parameters().get(0).name()), m, n, null));
        }
        return out;
    }

    private int rankFor(String layer, float[] w, int m, int n, Svd[] svdOut) {
        if (rank > Math.min(m, n)) {
            throw new IllegalArgumentException("rank=" + rank + " for layer '" + layer + "' (" + m + "×" + n + ") must be ≤ "
                    + Math.min(m, n) + "; pick a smaller rank, or energy(share) to choose one per layer");
        }
        Svd svd = Svd.of(w, m, n);
        if (svdOut != null) {
            svdOut[0] = svd;
        }
        return rank > 0 ? rank : svd.rankForEnergy(energy);
    }

    private List<Layer> selected(Network network) {
        if (!network.architecture().isGraph()) {
            throw new IllegalArgumentException("low-rank factorization needs a graph; '" + network.architecture().name()
                    + "' wraps an opaque block (TorchScript). Bring the model in through onnx(\"model.onnx\")");
        }
        List<Layer> all = network.layers();
        List<Layer> picked = new ArrayList<>();
        if (layers.isEmpty()) {
            for (int i = 0; i < all.size() - 1; i++) {
                if (all.get(i).type().equals("Linear")) {
                    picked.add(all.get(i));
                }
            }
            if (picked.isEmpty()) {
                throw new IllegalArgumentException("network '" + network.name() + "' has no hidden Linear layer to factorize;"
                        + " name one with layers(...): its layers are " + describeLayers(all));
            }
            return picked;
        }
        for (String wanted : layers) {
            Layer found = null;
            for (Layer l : all) {
                if (l.name().equals(wanted) || l.parameters().get(0).name().equals(wanted)) {
                    found = l;
                }
            }
            if (found == null) {
                throw new IllegalArgumentException("network '" + network.name() + "' has no layer '" + wanted
                        + "'; its layers are " + describeLayers(all));
            }
            if (!found.type().equals("Linear") || found.parameters().get(0).shape().length != 2) {
                throw new IllegalArgumentException("layer '" + found.name() + "' is " + found.type()
                        + "; low-rank factorization replaces Linear layers: pick one of " + describeLayers(all));
            }
            if (!picked.contains(found)) {
                picked.add(found);
            }
        }
        List<String> order = network.architecture().graph().nodes().stream().map(dev.compresso.model.Graph.Node::name).toList();
        picked.sort((a, b) -> Integer.compare(order.indexOf(a.name()), order.indexOf(b.name())));
        return picked;
    }

    private static String describeLayers(List<Layer> all) {
        List<String> s = new ArrayList<>();
        for (Layer l : all) {
            s.add(l.name() + " (" + l.type() + ")");
        }
        return s.toString();
    }

    /** The 1-based position of a layer in its sequential block, from its name ({@code 02Linear} → 2). */
    private static int position(Layer layer) {
        return Integer.parseInt(layer.name().replaceFirst("^(\\d+).*", "$1"));
    }

    /**
     * Factorizes a copy of {@code network}, fine-tunes it on the network's training data (when it has
     * some), evaluates it and records it in the log.
     *
     * @param network a model of a sequential architecture
     * @return the factorized model; {@code network} is unchanged
     */
    public Network apply(Network network) {
        long start = System.nanoTime();
        List<Layer> chosen = selected(network);
        Map<String, Integer> ranks = new LinkedHashMap<>();
        Map<String, float[][]> factors = new LinkedHashMap<>(); // by weight name
        Map<Integer, Integer> insertAt = new LinkedHashMap<>(); // spec index (0-based) → rank
        List<String> descr = new ArrayList<>();
        for (Layer layer : chosen) {
            String weight = layer.parameters().get(0).name();
            long[] shape = layer.parameters().get(0).shape();
            int m = (int) shape[0];
            int n = (int) shape[1];
            Svd[] svd = new Svd[1];
            int r = rankFor(layer.name(), network.weights(weight), m, n, svd);
            ranks.put(layer.name(), r);
            factors.put(weight, svd[0].factors(r));
            if (network.architecture().isSequential()) {
                insertAt.put(position(layer) - 1, r);
            }
            descr.add(String.format(Locale.ROOT, "%s %d×%d → r=%d", layer.name(), m, n, r));
        }
        Architecture old = network.architecture();
        if (!old.isSequential()) {
            return finish(network, graphFactorized(network, ranks, factors, descr), ranks, start);
        }
        List<LayerSpec> specs = new ArrayList<>();
        for (int i = 0; i < old.layers().size(); i++) {
            Integer r = insertAt.get(i);
            if (r != null) {
                specs.add(new LayerSpec.Dense(r, false));
            }
            specs.add(old.layers().get(i));
        }
        Architecture thin = Architecture.sequential(old.name() + "-lowrank", "low-rank: " + String.join(", ", descr),
                old.inputShape(), old.outputs(), specs);
        // the new block's parameters in order are the old ones with a first factor before each factorized weight
        List<String> newNames = new ArrayList<>();
        Block probe = thin.factory().get();
        for (Pair<String, Parameter> p : probe.getParameters()) {
            newNames.add(p.getKey());
        }
        Map<String, float[]> weights = new LinkedHashMap<>();
        int next = 0;
        for (String p : network.parameterNames()) {
            float[][] f = factors.get(p);
            if (f != null) {
                weights.put(newNames.get(next++), f[0]);
                weights.put(newNames.get(next++), f[1]);
            } else {
                weights.put(newNames.get(next++), network.weights(p));
            }
        }
        if (next != newNames.size()) {
            throw new IllegalStateException("low-rank rebuild of '" + network.name() + "' mapped " + next + " of "
                    + newNames.size() + " parameters; this is a bug, please report it");
        }
        return finish(network, network.rebuilt(name != null ? name : network.name() + "-lowrank", describe(ranks), thin, weights),
                ranks, start);
    }

    /**
     * Any graph: each chosen Linear node {@code X} becomes a bias-free projection {@code X.v} to rank r
     * followed by {@code X} itself from r, so every consumer of {@code X} reads it as before.
     */
    private Network graphFactorized(Network network, Map<String, Integer> ranks, Map<String, float[][]> factors, List<String> descr) {
        Architecture old = network.architecture();
        List<dev.compresso.model.Graph.Node> nodes = new ArrayList<>();
        Map<String, float[]> weights = new LinkedHashMap<>();
        for (dev.compresso.model.Graph.Node n : old.graph().nodes()) {
            Integer r = ranks.get(n.name());
            if (r == null || !(n.op() instanceof dev.compresso.model.Op.Linear l)) {
                nodes.add(n);
                for (String p : n.parameterNames()) {
                    weights.put(p, network.weights(p));
                }
                continue;
            }
            float[][] f = factors.get(n.name() + "_weight");
            String v = n.name() + ".v";
            nodes.add(new dev.compresso.model.Graph.Node(v, new dev.compresso.model.Op.Linear(r, l.in(), false), n.inputs()));
            nodes.add(new dev.compresso.model.Graph.Node(n.name(), new dev.compresso.model.Op.Linear(l.units(), r, l.bias()), List.of(v)));
            weights.put(v + "_weight", f[0]);
            weights.put(n.name() + "_weight", f[1]);
            if (l.bias()) {
                weights.put(n.name() + "_bias", network.weights(n.name() + "_bias"));
            }
        }
        dev.compresso.model.Graph g = new dev.compresso.model.Graph(old.inputShape(), nodes, old.graph().output());
        Architecture thin = Architecture.of(old.name() + "-lowrank", "low-rank: " + String.join(", ", descr), g);
        return network.rebuilt(name != null ? name : network.name() + "-lowrank", describe(ranks), thin, weights);
    }

    private Network finish(Network network, Network rebuilt, Map<String, Integer> ranks, long start) {
        Network result = rebuilt;
        int epochs = finetuneEpochs >= 0 ? finetuneEpochs : (network.trainedOn() != null ? 1 : 0);
        if (epochs > 0) {
            Network tuned = result.finetuneQuietly(epochs, Double.NaN);
            result.close();
            result = tuned;
        }
        return result.evaluatedLike(network, start);
    }
}
