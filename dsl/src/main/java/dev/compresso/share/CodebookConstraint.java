package dev.compresso.share;

import ai.djl.ndarray.NDArray;
import dev.compresso.prune.MaskConstraint;
import dev.compresso.train.Constraint;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Weight sharing as a constraint: every weight belongs to a fixed cluster (or is pruned, cluster
 * -1). After each optimizer step each cluster's members are set to their mean, so the step moves
 * the shared centroid by the average of its members' updates, and pruned weights stay exactly zero.
 * Stateless: the centroids are read from the weights themselves.
 */
public final class CodebookConstraint implements Constraint {

    private final Map<String, int[]> assignments;
    private final Map<String, Integer> clusters;

    /**
     * @param assignments per parameter, the cluster of each weight in row-major order, -1 for pruned
     * @param clusters per parameter, the number of clusters
     */
    public CodebookConstraint(Map<String, int[]> assignments, Map<String, Integer> clusters) {
        this.assignments = Collections.unmodifiableMap(new LinkedHashMap<>(assignments));
        this.clusters = Map.copyOf(clusters);
    }

    /** The cluster of each weight, by parameter name (-1 for pruned weights). */
    public Map<String, int[]> assignments() {
        return assignments;
    }

    /** The number of clusters, by parameter name. */
    public Map<String, Integer> clusters() {
        return clusters;
    }

    @Override
    public void apply(Map<String, NDArray> parameters) {
        for (Map.Entry<String, int[]> e : assignments.entrySet()) {
            NDArray w = parameters.get(e.getKey());
            float[] v = w.toFloatArray();
            float[] shared = share(v, e.getValue(), clusters.get(e.getKey()));
            w.set(shared);
        }
    }

    /** Each cluster's members set to their mean; cluster -1 set to +0. Plain-array core of {@link #apply}. */
    static float[] share(float[] values, int[] assign, int k) {
        double[] sum = new double[k];
        int[] count = new int[k];
        for (int i = 0; i < values.length; i++) {
            if (assign[i] >= 0) {
                sum[assign[i]] += values[i];
                count[assign[i]]++;
            }
        }
        float[] centroid = new float[k];
        for (int j = 0; j < k; j++) {
            centroid[j] = count[j] == 0 ? 0f : (float) (sum[j] / count[j]);
        }
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = assign[i] >= 0 ? centroid[assign[i]] : 0f;
        }
        return out;
    }

    /** Supersedes a pruning mask on the same parameters (it keeps the zeros too) and an older codebook. */
    @Override
    public boolean supersedes(Constraint other) {
        if (other instanceof MaskConstraint m) {
            return assignments.keySet().containsAll(m.masks().keySet());
        }
        return other instanceof CodebookConstraint c && assignments.keySet().containsAll(c.assignments.keySet());
    }
}
