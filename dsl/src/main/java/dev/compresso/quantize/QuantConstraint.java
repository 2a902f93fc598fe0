package dev.compresso.quantize;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.compresso.share.CodebookConstraint;
import dev.compresso.train.Constraint;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Quantization-aware training as a constraint, with a straight-through estimator: each network
 * keeps latent full-precision weights; the forward pass and the gradient use the quantized weights;
 * after each optimizer step the step is added to the latent weights and the parameters are set to
 * the quantized latent weights. Small updates therefore accumulate instead of being rounded away.
 *
 * <p>On a weight-shared network the codebook constraint runs first (cluster means), then the
 * centroids are quantized, so clusters and zeros survive.
 */
public final class QuantConstraint implements Constraint {

    /** How one parameter is quantized. */
    record Scheme(int rows, int bits, boolean symmetric, boolean perChannel) {
        float[] apply(float[] v) {
            return Quantizer.fakeQuantize(v, rows, bits, symmetric, perChannel);
        }
    }

    private final Map<String, Scheme> schemes;
    private final Map<String, float[]> initialLatent;
    private final Constraint before;
    private final Map<NDManager, Map<String, float[][]>> state = new HashMap<>();

    /**
     * @param schemes per parameter, how to quantize it
     * @param initialLatent the full-precision weights the first network starts from (others start
     *     from their current weights)
     * @param before a constraint applied first (a codebook or mask), or null
     */
    QuantConstraint(Map<String, Scheme> schemes, Map<String, float[]> initialLatent, Constraint before) {
        this.schemes = Map.copyOf(schemes);
        this.initialLatent = new LinkedHashMap<>(initialLatent);
        this.before = before;
    }

    /** The quantized parameter names and their bits. */
    public Map<String, Integer> bits() {
        Map<String, Integer> b = new LinkedHashMap<>();
        schemes.forEach((k, v) -> b.put(k, v.bits()));
        return b;
    }

    /**
     * Whether parameter {@code name} is quantized symmetrically with one scale per output channel,
     * the scheme int8 runtimes take ({@code weightsTo(8).perChannel()}).
     *
     * @param name a full parameter name
     * @return true if it is quantized that way; false if it is quantized otherwise or not at all
     */
    public boolean symmetricPerChannel(String name) {
        Scheme s = schemes.get(name);
        return s != null && s.symmetric() && s.perChannel();
    }

    @Override
    public synchronized void apply(Map<String, NDArray> parameters) {
        if (before != null) {
            before.apply(parameters);
            // after a codebook the weights are exactly the centroids: quantize them directly
            if (before instanceof CodebookConstraint) {
                for (Map.Entry<String, Scheme> e : schemes.entrySet()) {
                    NDArray w = parameters.get(e.getKey());
                    w.set(e.getValue().apply(w.toFloatArray()));
                }
                return;
            }
        }
        for (Map.Entry<String, Scheme> e : schemes.entrySet()) {
            NDArray w = parameters.get(e.getKey());
            float[] current = w.toFloatArray();
            Map<String, float[][]> perNetwork = state(w.getManager());
            float[][] s = perNetwork.get(e.getKey());
            if (s == null) {
                float[] latent = initialLatent.remove(e.getKey());
                s = new float[][] {latent != null ? latent : current.clone(), null};
                perNetwork.put(e.getKey(), s);
            } else {
                // straight-through: the optimizer stepped from the quantized values s[1]
                float[] latent = s[0];
                for (int i = 0; i < latent.length; i++) {
                    latent[i] += current[i] - s[1][i];
                }
            }
            s[1] = e.getValue().apply(s[0]);
            w.set(s[1]);
        }
    }

    private Map<String, float[][]> state(NDManager manager) {
        Map<String, float[][]> m = state.get(manager);
        if (m == null) {
            state.keySet().removeIf(k -> !k.isOpen());
            m = new HashMap<>();
            state.put(manager, m);
        }
        return m;
    }

    @Override
    public boolean supersedes(Constraint other) {
        return before != null && other == before;
    }
}
