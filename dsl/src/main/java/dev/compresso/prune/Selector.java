package dev.compresso.prune;

import dev.compresso.model.Layer;
import dev.compresso.model.Network;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which parameters a technique touches: by layer or parameter name, by layer type, or by a regular
 * expression on the parameter name, minus exclusions. Biases are left out unless asked for.
 * Immutable; the default selects the weights of every Linear and Conv2d layer.
 */
public final class Selector {

    /** The layer types pruning knows: those with a weight matrix or filter bank. */
    public static final Set<String> PRUNABLE_TYPES = Set.of("Linear", "Conv2d");

    private final List<String> names;
    private final List<String> types;
    private final List<Pattern> patterns;
    private final List<String> excluded;
    private final boolean biases;

    private Selector(List<String> names, List<String> types, List<Pattern> patterns, List<String> excluded, boolean biases) {
        this.names = List.copyOf(names);
        this.types = List.copyOf(types);
        this.patterns = List.copyOf(patterns);
        this.excluded = List.copyOf(excluded);
        this.biases = biases;
    }

    /** The weights of every Linear and Conv2d layer. */
    public static Selector weights() {
        return new Selector(List.of(), List.of(), List.of(), List.of(), false);
    }

    /** Only these layers or parameters, by name, for example {@code "02Linear"} or {@code "02Linear_weight"}. */
    public Selector layers(String... layerNames) {
        List<String> n = new ArrayList<>(names);
        n.addAll(Arrays.asList(layerNames));
        return new Selector(n, types, patterns, excluded, biases);
    }

    /** Only layers of these types, for example {@code "Linear"}. */
    public Selector types(String... layerTypes) {
        List<String> t = new ArrayList<>(types);
        t.addAll(Arrays.asList(layerTypes));
        return new Selector(names, t, patterns, excluded, biases);
    }

    /** Only parameters whose full name matches this regular expression, for example {@code "0[24]Linear.*"}. */
    public Selector matching(String regex) {
        List<Pattern> p = new ArrayList<>(patterns);
        p.add(Pattern.compile(regex));
        return new Selector(names, types, p, excluded, biases);
    }

    /** Leaves out these layers or parameters (by name) from whatever else matched. */
    public Selector except(String... layerNames) {
        List<String> e = new ArrayList<>(excluded);
        e.addAll(Arrays.asList(layerNames));
        return new Selector(names, types, patterns, e, biases);
    }

    /** Includes biases too. */
    public Selector withBiases() {
        return new Selector(names, types, patterns, excluded, true);
    }

    /**
     * The parameter names this selector picks in {@code network}, in forward order.
     *
     * @throws IllegalArgumentException if it picks nothing; the message lists the layers that exist
     */
    public List<String> resolve(Network network) {
        List<String> picked = new ArrayList<>();
        List<Layer> layers = network.layers();
        for (Layer layer : layers) {
            for (Layer.ParameterInfo p : layer.parameters()) {
                if (matches(layer, p)) {
                    picked.add(p.name());
                }
            }
        }
        if (picked.isEmpty()) {
            List<String> exist = new ArrayList<>();
            for (Layer l : layers) {
                exist.add(l.name() + " (" + l.type() + ")");
            }
            throw new IllegalArgumentException(
                    "selector " + this + " matches no parameter of network '" + network.name()
                            + "'; its layers are " + exist);
        }
        return picked;
    }

    private boolean matches(Layer layer, Layer.ParameterInfo p) {
        if (!biases && !p.isWeight()) {
            return false;
        }
        if (excluded.contains(layer.name()) || excluded.contains(p.name())) {
            return false;
        }
        boolean explicit = !names.isEmpty() || !types.isEmpty() || !patterns.isEmpty();
        if (!explicit) {
            return PRUNABLE_TYPES.contains(layer.type());
        }
        if (names.contains(layer.name()) || names.contains(p.name())) {
            return true;
        }
        if (types.contains(layer.type())) {
            return true;
        }
        for (Pattern pattern : patterns) {
            if (pattern.matcher(p.name()).matches()) {
                return true;
            }
        }
        return false;
    }

    /**
     * The value a per-layer setting gives a parameter: the entry for the parameter's full name
     * ({@code 02Linear_weight}), else for its layer ({@code 02Linear}), else {@code otherwise}.
     */
    public static <T> T perLayer(java.util.Map<String, T> values, String param, T otherwise) {
        T v = values.get(param);
        if (v == null) {
            v = values.get(param.substring(0, Math.max(0, param.lastIndexOf('_'))));
        }
        return v != null ? v : otherwise;
    }

    /**
     * Checks that every key of a per-layer setting names one of the selected parameters or its layer.
     *
     * @param values the per-layer setting
     * @param params the selected parameter names
     * @param what what the setting is, for the message, for example {@code "bits"}
     * @throws IllegalArgumentException naming the key and the selection
     */
    public static void checkCovered(java.util.Map<String, ?> values, List<String> params, String what) {
        for (String layer : values.keySet()) {
            if (params.stream().noneMatch(p -> p.equals(layer) || p.startsWith(layer + "_"))) {
                throw new IllegalArgumentException(
                        what + " for '" + layer + "', but the selection covers only " + params
                                + "; use one of those names or their layer prefix");
            }
        }
    }

    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        if (!names.isEmpty()) {
            parts.add("layers " + names);
        }
        if (!types.isEmpty()) {
            parts.add("types " + types);
        }
        if (!patterns.isEmpty()) {
            parts.add("matching " + patterns);
        }
        if (!excluded.isEmpty()) {
            parts.add("except " + excluded);
        }
        if (parts.isEmpty()) {
            parts.add("weights of " + PRUNABLE_TYPES);
        }
        if (biases) {
            parts.add("with biases");
        }
        return "[" + String.join(", ", parts) + "]";
    }
}
