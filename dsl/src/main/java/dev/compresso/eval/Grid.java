package dev.compresso.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A grid of parameter values for a sweep: every combination of the values given for each name, in
 * order, the first name varying slowest.
 *
 * <pre>{@code
 * var g = grid("sparsity", 0.8, 0.9, 0.95).and("bits", 4, 5);   // 6 configurations
 * }</pre>
 */
public final class Grid {

    private final Map<String, double[]> axes;

    private Grid(Map<String, double[]> axes) {
        this.axes = axes;
    }

    /**
     * A grid over one parameter.
     *
     * @param name the parameter's name, for example {@code sparsity}
     * @param values its values, at least one
     * @return the grid
     */
    public static Grid of(String name, double... values) {
        return new Grid(new LinkedHashMap<>()).and(name, values);
    }

    /** The grid crossed with another parameter's values. */
    public Grid and(String name, double... values) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a grid parameter needs a name, for example grid(\"sparsity\", 0.9)");
        }
        if (values.length == 0) {
            throw new IllegalArgumentException(
                    "an empty sweep grid: parameter '" + name + "' has no values; give at least one, for example grid(\""
                            + name + "\", 0.5, 0.9)");
        }
        if (axes.containsKey(name)) {
            throw new IllegalArgumentException("parameter '" + name + "' is already in the grid " + axes.keySet());
        }
        Map<String, double[]> a = new LinkedHashMap<>(axes);
        a.put(name, values.clone());
        return new Grid(a);
    }

    /** The parameter names, in order. */
    public List<String> names() {
        return List.copyOf(axes.keySet());
    }

    /** Number of configurations. */
    public int size() {
        int n = 1;
        for (double[] v : axes.values()) {
            n *= v.length;
        }
        return n;
    }

    /** Every configuration, first parameter varying slowest. */
    public List<Params> configurations() {
        List<Params> out = new ArrayList<>();
        out.add(new Params(new LinkedHashMap<>()));
        for (Map.Entry<String, double[]> axis : axes.entrySet()) {
            List<Params> next = new ArrayList<>();
            for (Params p : out) {
                for (double v : axis.getValue()) {
                    Map<String, Double> m = new LinkedHashMap<>(p.values());
                    m.put(axis.getKey(), v);
                    next.add(new Params(m));
                }
            }
            out = next;
        }
        return out;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("grid(");
        axes.forEach((k, v) -> sb.append(sb.length() > 5 ? " × " : "").append(k).append('=').append(Arrays.toString(v)));
        return sb.append(") = ").append(size()).append(" configurations").toString();
    }

    /**
     * One configuration of a grid: values by parameter name.
     *
     * @param values the values, in grid order
     */
    public record Params(Map<String, Double> values) {

        /** The value of a parameter; the message lists the names when it is missing. */
        public double get(String name) {
            Double v = values.get(name);
            if (v == null) {
                throw new IllegalArgumentException("no parameter '" + name + "' in this configuration; it has " + values.keySet());
            }
            return v;
        }

        /** The value of a parameter as an int (bits, clusters, epochs, seeds). */
        public int getInt(String name) {
            double v = get(name);
            if (v != Math.rint(v)) {
                throw new IllegalArgumentException("parameter '" + name + "' = " + v + " is not a whole number");
            }
            return (int) v;
        }

        /** A short label, for example {@code sparsity=0.9 bits=5}. */
        public String label() {
            StringBuilder sb = new StringBuilder();
            values.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : " ").append(k).append('=')
                    .append(v == Math.rint(v) && Math.abs(v) < 1e9 ? Long.toString(v.longValue()) : v.toString()));
            return sb.toString();
        }
    }
}
