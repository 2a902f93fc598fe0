package dev.compresso.prune;

import dev.compresso.model.Architecture;
import dev.compresso.model.Layer;
import dev.compresso.model.LayerSpec;
import dev.compresso.model.Network;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Structured pruning that physically shrinks the model: removes whole neurons of Linear layers and
 * whole filters of Conv2d layers, ranked by the L1 or L2 norm of their incoming weights, and trims
 * the next layer's inputs to match. The result has fewer parameters, fewer bytes and less compute,
 * and computes exactly what the masked model (same units zeroed) computes.
 *
 * <pre>{@code
 * var half = base.shrink(neurons(0.5));                  // half the hidden neurons, L1 norm
 * var l2   = base.shrink(neurons(0.3).l2().select(weights().layers("02Linear")));
 * }</pre>
 *
 * <p>Supports sequential architectures ({@link Architecture#sequential}: the zoo models and their
 * shrunk or packed descendants). The output layer is never shrunk.
 */
public final class Structured {

    private final double fraction;
    private final boolean l1;
    private final Selector selector;
    private final String name;

    private Structured(double fraction, boolean l1, Selector selector, String name) {
        this.fraction = fraction;
        this.l1 = l1;
        this.selector = selector;
        this.name = name;
    }

    /**
     * Removes this fraction of the units (neurons or filters) of every selected layer.
     *
     * @param fraction in [0, 1)
     * @return the spec, ranking by L1 norm
     */
    public static Structured neurons(double fraction) {
        Schedule.checkSparsity("fraction of neurons", fraction);
        return new Structured(fraction, true, null, null);
    }

    /** Ranks units by the L2 norm of their weights instead of L1. */
    public Structured l2() {
        return new Structured(fraction, false, selector, name);
    }

    /** Shrinks only the layers {@code s} picks (default: every Linear and Conv2d but the output layer). */
    public Structured select(Selector s) {
        return new Structured(fraction, l1, s, name);
    }

    /** Names the shrunk model (default: the input's name + {@code -shrunk}). */
    public Structured named(String newName) {
        return new Structured(fraction, l1, selector, newName);
    }

    /** The chain step this adds. */
    public String describe() {
        return String.format(Locale.ROOT, "shrink(neurons=%.3g, %s)", fraction, l1 ? "L1" : "L2");
    }

    @Override
    public String toString() {
        return describe();
    }

    /** The units each shrinkable layer keeps, by weight-parameter name, in forward order. */
    Map<String, int[]> keptUnits(Network network) {
        if (!network.architecture().isSequential()) {
            throw new IllegalArgumentException(
                    "structured pruning cannot shrink '" + network.architecture().name() + "': it wraps an opaque block ("
                            + network.architecture().description() + "); bring the model in through onnx(...) to get a graph");
        }
        List<Layer> layers = network.layers();
        List<String> chosen = selector == null ? null : selector.resolve(network);
        Map<String, int[]> kept = new LinkedHashMap<>();
        for (int i = 0; i < layers.size(); i++) {
            Layer layer = layers.get(i);
            String weight = layer.parameters().get(0).name();
            boolean selected = chosen == null ? i < layers.size() - 1 : chosen.contains(weight);
            if (!selected) {
                continue;
            }
            if (!Selector.PRUNABLE_TYPES.contains(layer.type())) {
                throw new IllegalArgumentException(
                        "structured pruning cannot shrink layer '" + layer.name() + "' of type " + layer.type()
                                + "; it can shrink " + Selector.PRUNABLE_TYPES + " layers");
            }
            if (i == layers.size() - 1) {
                throw new IllegalArgumentException(
                        "layer '" + layer.name() + "' is the output layer; shrinking it would drop classes."
                                + " Select hidden layers only");
            }
            int units = (int) layer.parameters().get(0).shape()[0];
            int keep = Math.max(1, (int) Math.round(units * (1 - fraction)));
            kept.put(weight, Masks.largest(Masks.rowNorms(network.weights(weight), units, l1), keep));
        }
        return kept;
    }

    /**
     * The masked equivalent: a same-size copy with the removed units' weights and biases zeroed.
     * Useful to check that shrinking changes nothing but the size.
     */
    public Network masked(Network network) {
        Map<String, int[]> kept = keptUnits(network);
        Network copy = network.derive(network.name() + "-masked", describe().replace("shrink", "mask units"));
        for (Map.Entry<String, int[]> e : kept.entrySet()) {
            String w = e.getKey();
            String b = w.substring(0, w.lastIndexOf('_')) + "_bias";
            long units = copy.parameterArray(w).getShape().get(0);
            float[] keepRow = new float[(int) units];
            for (int u : e.getValue()) {
                keepRow[u] = 1;
            }
            float[] wv = copy.weights(w);
            int cols = (int) (wv.length / units);
            for (int r = 0; r < units; r++) {
                for (int c = 0; c < cols; c++) {
                    wv[r * cols + c] *= keepRow[r];
                }
            }
            copy.parameterArray(w).set(wv);
            if (copy.parameterNames().contains(b)) {
                float[] bv = copy.weights(b);
                for (int r = 0; r < units; r++) {
                    bv[r] *= keepRow[r];
                }
                copy.parameterArray(b).set(bv);
            }
        }
        return copy;
    }

    /**
     * Shrinks a copy of {@code network}. Evaluates it on the data of the network's last training
     * when there is one, and records it in the log.
     *
     * @param network the model, whose block must be a SequentialBlock of supported layers
     * @return the smaller model
     */
    public Network apply(Network network) {
        if (!network.architecture().isSequential() && network.architecture().isGraph()) {
            // a graph with branches: neurons and filters are the channels of its dependency groups
            return (l1 ? Channels.channels(fraction) : Channels.channels(fraction).l2()).apply(network);
        }
        long start = System.nanoTime();
        Map<String, int[]> kept = keptUnits(network);
        List<Layer> layers = network.layers();
        Map<String, float[]> weights = new HashMap<>();
        Map<String, Integer> newUnits = new HashMap<>();
        int[] previousKept = null; // units kept by the previous parameterized layer
        long previousUnits = 0;
        for (Layer layer : layers) {
            String w = layer.parameters().get(0).name();
            long[] shape = layer.parameters().get(0).shape();
            float[] wv = network.weights(w);
            int units = (int) shape[0];
            int inputs = (int) (wv.length / units);
            // 1. trim inputs to the previous layer's kept units
            int[] cols = allColumns(inputs);
            if (previousKept != null && previousKept.length < previousUnits) {
                // a Linear after a conv sees each channel as a block of h×w columns; a conv sees kh×kw
                int per = (int) (inputs / previousUnits);
                cols = expand(previousKept, per);
            }
            // 2. keep this layer's selected units
            int[] rows = kept.getOrDefault(w, allColumns(units));
            float[] nw = new float[rows.length * cols.length];
            for (int r = 0; r < rows.length; r++) {
                for (int c = 0; c < cols.length; c++) {
                    nw[r * cols.length + c] = wv[rows[r] * inputs + cols[c]];
                }
            }
            weights.put(w, nw);
            for (Layer.ParameterInfo p : layer.parameters().subList(1, layer.parameters().size())) {
                float[] bv = network.weights(p.name());
                float[] nb = new float[rows.length];
                for (int r = 0; r < rows.length; r++) {
                    nb[r] = bv[rows[r]];
                }
                weights.put(p.name(), nb);
            }
            newUnits.put(layer.name(), rows.length);
            previousKept = rows;
            previousUnits = units;
        }
        Architecture old = network.architecture();
        List<LayerSpec> specs = new ArrayList<>(old.layers());
        for (Map.Entry<String, Integer> e : newUnits.entrySet()) {
            int index = Integer.parseInt(e.getKey().replaceFirst("^(\\d+).*", "$1")) - 1;
            LayerSpec spec = specs.get(index);
            if (spec instanceof LayerSpec.Dense d) {
                specs.set(index, new LayerSpec.Dense(e.getValue(), d.bias()));
            } else if (spec instanceof LayerSpec.Conv c) {
                specs.set(index, new LayerSpec.Conv(e.getValue(), c.kernel(), c.stride(), c.padding()));
            }
        }
        Architecture smaller = Architecture.sequential(old.name() + "-shrunk", describeWidths(layers, newUnits),
                old.inputShape(), old.outputs(), specs);
        String newName = name != null ? name : network.name() + "-shrunk";
        Network result = network.rebuilt(newName, describe(), smaller, weights);
        return result.evaluatedLike(network, start);
    }

    /** Columns per input unit: for a Linear after a conv, each channel owns {@code inputs / channels} columns. */
    private static int[] expand(int[] keptUnits, int per) {
        int[] cols = new int[keptUnits.length * per];
        for (int i = 0; i < keptUnits.length; i++) {
            for (int j = 0; j < per; j++) {
                cols[i * per + j] = keptUnits[i] * per + j;
            }
        }
        return cols;
    }

    private static int[] allColumns(int n) {
        int[] c = new int[n];
        for (int i = 0; i < n; i++) {
            c[i] = i;
        }
        return c;
    }

    private static String describeWidths(List<Layer> layers, Map<String, Integer> units) {
        List<String> parts = new ArrayList<>();
        for (Layer l : layers) {
            parts.add(l.type() + " " + units.get(l.name()));
        }
        return "shrunk: " + String.join(", ", parts);
    }
}
