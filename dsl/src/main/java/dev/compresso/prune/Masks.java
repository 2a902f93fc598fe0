package dev.compresso.prune;

import java.util.Arrays;

/**
 * Magnitude masks on plain arrays: which weights to keep (1) and which to prune (0). Exact counts:
 * ties at the threshold are broken by position, so pruning {@code k} weights prunes exactly {@code
 * k}.
 */
public final class Masks {

    private Masks() {}

    /**
     * Prunes the {@code k} weights of smallest magnitude.
     *
     * @param weights the values
     * @param k how many to prune, in {@code [0, weights.length]}
     * @return the mask: 0 for pruned, 1 for kept
     */
    public static float[] smallest(float[] weights, int k) {
        return smallest(new float[][] {weights}, k)[0];
    }

    /**
     * Prunes the {@code k} weights of smallest magnitude across several arrays (global pruning: one
     * threshold for all).
     *
     * @param weights the arrays
     * @param k how many to prune in total
     * @return one mask per array
     */
    public static float[][] smallest(float[][] weights, long k) {
        long total = 0;
        for (float[] w : weights) {
            total += w.length;
        }
        if (k < 0 || k > total) {
            throw new IllegalArgumentException("cannot prune " + k + " of " + total + " weights; give a count in [0, " + total + "]");
        }
        float threshold = kthSmallestMagnitude(weights, k, total);
        // everything strictly below the threshold goes; then ties at the threshold, in order, until k
        long below = 0;
        for (float[] w : weights) {
            for (float v : w) {
                if (Math.abs(v) < threshold) {
                    below++;
                }
            }
        }
        long tiesToPrune = k - below;
        float[][] masks = new float[weights.length][];
        for (int a = 0; a < weights.length; a++) {
            float[] w = weights[a];
            float[] m = new float[w.length];
            for (int i = 0; i < w.length; i++) {
                float mag = Math.abs(w[i]);
                if (k > 0 && mag < threshold) {
                    m[i] = 0;
                } else if (k > 0 && mag == threshold && tiesToPrune > 0) {
                    m[i] = 0;
                    tiesToPrune--;
                } else {
                    m[i] = 1;
                }
            }
            masks[a] = m;
        }
        return masks;
    }

    private static float kthSmallestMagnitude(float[][] weights, long k, long total) {
        if (k == 0) {
            return Float.NEGATIVE_INFINITY;
        }
        float[] all = new float[Math.toIntExact(total)];
        int o = 0;
        for (float[] w : weights) {
            for (float v : w) {
                all[o++] = Math.abs(v);
            }
        }
        Arrays.sort(all);
        return all[(int) k - 1];
    }

    /**
     * Row norms of a weight matrix stored row-major as {@code rows × (length / rows)}: the L1 or L2
     * norm of each output unit's incoming weights (a Linear row or a Conv2d filter).
     *
     * @param weights the values, row-major
     * @param rows number of output units
     * @param l1 true for the L1 norm, false for L2
     * @return one norm per row
     */
    public static double[] rowNorms(float[] weights, int rows, boolean l1) {
        int cols = weights.length / rows;
        double[] norms = new double[rows];
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int c = 0; c < cols; c++) {
                float v = weights[r * cols + c];
                s += l1 ? Math.abs(v) : (double) v * v;
            }
            norms[r] = l1 ? s : Math.sqrt(s);
        }
        return norms;
    }

    /**
     * The indices of the {@code keep} largest values, in ascending index order (ties go to the lower
     * index).
     */
    public static int[] largest(double[] values, int keep) {
        Integer[] idx = new Integer[values.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (a, b) -> values[a] != values[b] ? Double.compare(values[b], values[a]) : Integer.compare(a, b));
        int[] kept = new int[keep];
        for (int i = 0; i < keep; i++) {
            kept[i] = idx[i];
        }
        Arrays.sort(kept);
        return kept;
    }

    /** Number of zeros in a mask or weight array. */
    public static long zeros(float[] values) {
        long n = 0;
        for (float v : values) {
            if (v == 0f) {
                n++;
            }
        }
        return n;
    }
}
