package dev.compresso.share;

import dev.compresso.model.Network;
import dev.compresso.prune.Selector;
import dev.compresso.quantize.QuantConstraint;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Weight sharing (Han et al., Deep Compression): per layer, k-means clusters the non-zero weights
 * into {@code 2^bits} centroids and every weight is replaced by its centroid, so a layer stores one
 * small code per weight and a codebook. Weights pruned earlier stay zero and are not clustered.
 * Fine-tuning keeps each weight's cluster fixed and moves the centroids.
 *
 * <pre>{@code
 * var shared = pruned.share(kmeans().bits(5).finetune(1));
 * var mixed  = pruned.share(kmeans().bits(5).bits("06Linear", 4).init("density"));
 * }</pre>
 */
public final class WeightSharing {

    private final int bits;
    private final Map<String, Integer> perLayer;
    private final KMeans.Init init;
    private final int finetuneEpochs;
    private final double finetuneRate;
    private final Selector selector;
    private final long seed;
    private final String name;

    private WeightSharing(int bits, Map<String, Integer> perLayer, KMeans.Init init, int finetuneEpochs,
            double finetuneRate, Selector selector, long seed, String name) {
        this.bits = bits;
        this.perLayer = Map.copyOf(perLayer);
        this.init = init;
        this.finetuneEpochs = finetuneEpochs;
        this.finetuneRate = finetuneRate;
        this.selector = selector;
        this.seed = seed;
        this.name = name;
    }

    /** k-means weight sharing at 5 bits (32 centroids) per layer, linear initialization, no fine-tuning. */
    public static WeightSharing kmeans() {
        return new WeightSharing(5, Map.of(), KMeans.Init.LINEAR, 0, Double.NaN, Selector.weights(), 42, null);
    }

    static int checkBits(String what, int b) {
        if (b < 1 || b > 16) {
            throw new IllegalArgumentException(what + "=" + b + " must be in 1 to 16 (2 to 65,536 centroids)");
        }
        return b;
    }

    /** {@code 2^b} centroids per layer, b in 1 to 16. */
    public WeightSharing bits(int b) {
        return new WeightSharing(checkBits("bits", b), perLayer, init, finetuneEpochs, finetuneRate, selector, seed, name);
    }

    /** Another number of bits for one layer ({@code 02Linear}) or parameter ({@code 02Linear_weight}). */
    public WeightSharing bits(String layer, int b) {
        Map<String, Integer> m = new LinkedHashMap<>(perLayer);
        m.put(layer, checkBits("bits for layer '" + layer + "'", b));
        return new WeightSharing(bits, m, init, finetuneEpochs, finetuneRate, selector, seed, name);
    }

    /** The centroid initialization: {@code linear} (default), {@code density}, {@code random} or {@code kmeans++}. */
    public WeightSharing init(String how) {
        return new WeightSharing(bits, perLayer, KMeans.Init.parse(how), finetuneEpochs, finetuneRate, selector, seed, name);
    }

    /** Fine-tunes the centroids for {@code epochs} epochs on the model's training data. */
    public WeightSharing finetune(int epochs) {
        if (epochs < 0) {
            throw new IllegalArgumentException("finetune(" + epochs + "): epochs must be ≥ 0");
        }
        return new WeightSharing(bits, perLayer, init, epochs, finetuneRate, selector, seed, name);
    }

    /** Fine-tunes at another learning rate. */
    public WeightSharing finetune(int epochs, double learningRate) {
        if (!(learningRate > 0)) {
            throw new IllegalArgumentException("learningRate=" + learningRate + " must be > 0; for example 1e-4");
        }
        return new WeightSharing(bits, perLayer, init, finetune(epochs).finetuneEpochs, learningRate, selector, seed, name);
    }

    /** Shares the parameters {@code s} picks (default: weights of Linear and Conv2d layers). */
    public WeightSharing select(Selector s) {
        return new WeightSharing(bits, perLayer, init, finetuneEpochs, finetuneRate, s, seed, name);
    }

    /** The seed of the random initializations. */
    public WeightSharing seed(long s) {
        return new WeightSharing(bits, perLayer, init, finetuneEpochs, finetuneRate, selector, s, name);
    }

    /** Names the shared model (default: the input's name + {@code -shared}). */
    public WeightSharing named(String newName) {
        return new WeightSharing(bits, perLayer, init, finetuneEpochs, finetuneRate, selector, seed, newName);
    }

    /** The chain step this adds. */
    public String describe() {
        StringBuilder sb = new StringBuilder("share(kmeans, bits=").append(bits);
        if (!perLayer.isEmpty()) {
            sb.append(", per layer ").append(perLayer);
        }
        sb.append(", init=").append(init.name().toLowerCase(Locale.ROOT));
        if (finetuneEpochs > 0) {
            sb.append(", finetune=").append(finetuneEpochs);
            if (!Double.isNaN(finetuneRate)) {
                sb.append(" at lr=").append(finetuneRate);
            }
        }
        return sb.append(')').toString();
    }

    @Override
    public String toString() {
        return describe();
    }

    /**
     * Shares the weights of a copy of {@code network}; the input is untouched.
     *
     * @param network the model, usually pruned
     * @return the shared model, fine-tuned and evaluated on the model's training data when it has one
     */
    public Network apply(Network network) {
        if (network.constraint(QuantConstraint.class) != null) {
            throw new IllegalStateException(
                    "network '" + network.name() + "' is quantized; share before quantizing: quantizing a shared model"
                            + " quantizes its codebook and keeps the clusters, while clustering quantized weights"
                            + " merges levels at random");
        }
        if (network.constraint(CodebookConstraint.class) != null) {
            throw new IllegalStateException(
                    "network '" + network.name() + "' is already shared; share the model it came from instead"
                            + " (sharing twice would cluster centroids, not weights)");
        }
        List<String> params = selector.resolve(network);
        Selector.checkCovered(perLayer, params, "bits");
        long start = System.nanoTime();
        Map<String, float[]> shared = new LinkedHashMap<>();
        Map<String, int[]> assignments = new LinkedHashMap<>();
        Map<String, Integer> clusters = new LinkedHashMap<>();
        for (String p : params) {
            float[] w = network.weights(p);
            int b = bitsFor(p);
            int k = 1 << b;
            int nonZeros = 0;
            for (float v : w) {
                if (v != 0f) {
                    nonZeros++;
                }
            }
            if (nonZeros == 0) {
                continue; // pruned away entirely: nothing to share, the zeros stay
            }
            // fewer non-zero weights than centroids (global pruning can leave a layer almost empty):
            // each keeps its own value, which a codebook of that many entries holds exactly
            k = Math.min(k, nonZeros);
            float[] values = new float[nonZeros];
            int[] where = new int[nonZeros];
            for (int i = 0, j = 0; i < w.length; i++) {
                if (w[i] != 0f) {
                    values[j] = w[i];
                    where[j++] = i;
                }
            }
            KMeans.Result r = KMeans.cluster(values, k, init, seed, 100);
            int[] assign = new int[w.length];
            java.util.Arrays.fill(assign, -1);
            float[] out = new float[w.length];
            for (int j = 0; j < nonZeros; j++) {
                assign[where[j]] = r.assignments()[j];
                out[where[j]] = r.centroids()[r.assignments()[j]];
            }
            shared.put(p, out);
            assignments.put(p, assign);
            clusters.put(p, r.centroids().length);
        }
        String newName = name != null ? name : network.name() + "-shared";
        CodebookConstraint codebook = new CodebookConstraint(assignments, clusters);
        Network result = network.withWeights(newName, describe(), shared, codebook);
        if (finetuneEpochs > 0) {
            Network tuned = result.finetuneQuietly(finetuneEpochs, finetuneRate);
            result.close();
            result = tuned;
        }
        return result.evaluatedLike(network, start);
    }

    private int bitsFor(String param) {
        return Selector.perLayer(perLayer, param, bits);
    }
}
