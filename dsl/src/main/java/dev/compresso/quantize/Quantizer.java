package dev.compresso.quantize;

/**
 * Uniform quantization on plain arrays: values mapped to {@code 2^bits} levels and back
 * ("fake quantization"), per tensor or per output channel, symmetric or asymmetric. Zero is always
 * exactly representable, so pruned weights stay zero and equal values stay equal (clusters survive).
 */
public final class Quantizer {

    private Quantizer() {}

    /** Checks a weight bit width. */
    static int checkBits(String what, int bits) {
        if (bits < 2 || bits > 16) {
            throw new IllegalArgumentException(what + "=" + bits + " must be in 2 to 16");
        }
        return bits;
    }

    /**
     * Quantizes and dequantizes {@code values}.
     *
     * @param values row-major values of a tensor with {@code rows} output channels
     * @param rows number of output channels (the first dimension)
     * @param bits bits per value, 2 to 16
     * @param symmetric true for a scale around zero ({@code [-(2^(b-1)-1), 2^(b-1)-1]} levels), false
     *     for min/max with a zero point ({@code [0, 2^b-1]} levels)
     * @param perChannel true for one scale per output channel, false for one per tensor
     * @return the values each replaced by its nearest level
     */
    public static float[] fakeQuantize(float[] values, int rows, int bits, boolean symmetric, boolean perChannel) {
        checkBits("bits", bits);
        if (rows < 1 || values.length % rows != 0) {
            throw new IllegalArgumentException(values.length + " values do not split into " + rows + " rows");
        }
        float[] out = new float[values.length];
        int groups = perChannel ? rows : 1;
        int size = values.length / groups;
        for (int g = 0; g < groups; g++) {
            quantizeRange(values, out, g * size, (g + 1) * size, bits, symmetric);
        }
        return out;
    }

    private static void quantizeRange(float[] in, float[] out, int from, int to, int bits, boolean symmetric) {
        float lo = 0;
        float hi = 0;
        for (int i = from; i < to; i++) {
            lo = Math.min(lo, in[i]);
            hi = Math.max(hi, in[i]);
        }
        if (symmetric) {
            // a float scale and a float product, as ONNX's DequantizeLinear computes level × scale
            float qmax = (1 << (bits - 1)) - 1;
            float scale = (float) (Math.max(-lo, hi) / qmax);
            for (int i = from; i < to; i++) {
                out[i] = scale == 0 ? 0f : (float) Math.max(-qmax, Math.min(qmax, Math.rint(in[i] / scale))) * scale;
            }
        } else {
            double levels = (1 << bits) - 1;
            double scale = (hi - lo) / levels;
            double zero = scale == 0 ? 0 : Math.rint(-lo / scale);
            for (int i = from; i < to; i++) {
                if (scale == 0) {
                    out[i] = 0f;
                } else {
                    double q = Math.max(0, Math.min(levels, Math.rint(in[i] / scale) + zero));
                    out[i] = (float) ((q - zero) * scale);
                }
            }
        }
        for (int i = from; i < to; i++) {
            if (out[i] == 0f) {
                out[i] = 0f; // +0.0, never -0.0
            }
        }
    }

    /**
     * The per-row scales of values that symmetric quantization produced (each value is {@code level ×
     * scale} in float arithmetic, {@code |level| ≤ 2^(bits−1)−1}), so they can be written as integer
     * levels and scales that reproduce them exactly. A row of zeros gets scale 1.
     *
     * @param values the quantized values, row-major
     * @param rows number of rows (output channels); 1 for one scale per tensor
     * @param bits the bits they were quantized to
     * @return one scale per row
     * @throws IllegalStateException if some row's values lie on no such grid (they were changed after
     *     quantizing); the message names the row
     */
    public static float[] symmetricScales(float[] values, int rows, int bits) {
        int size = values.length / rows;
        float qmax = (1 << (bits - 1)) - 1;
        float[] scales = new float[rows];
        for (int r = 0; r < rows; r++) {
            float hi = 0;
            for (int i = r * size; i < (r + 1) * size; i++) {
                hi = Math.max(hi, Math.abs(values[i]));
            }
            if (hi == 0) {
                scales[r] = 1f;
                continue;
            }
            float s0 = hi / qmax;
            float found = Float.NaN;
            float up = s0;
            float down = s0;
            for (int k = 0; k < 600 && Float.isNaN(found); k++) {
                if (onGrid(values, r * size, (r + 1) * size, up, qmax)) {
                    found = up;
                } else if (onGrid(values, r * size, (r + 1) * size, down, qmax)) {
                    found = down;
                }
                up = Math.nextUp(up);
                down = Math.nextDown(down);
            }
            if (Float.isNaN(found)) {
                throw new IllegalStateException("row " + r + " of " + rows + " is not on a symmetric " + bits
                        + "-bit grid (largest value " + hi + "); its values were changed after quantizing. Quantize again from"
                        + " the unquantized model");
            }
            scales[r] = found;
        }
        return scales;
    }

    /**
     * The integer levels of symmetric-quantized values: {@code rint(value / scale)} per row.
     *
     * @param values the quantized values, row-major
     * @param scales one scale per row, from {@link #symmetricScales}
     * @return the levels
     */
    public static int[] levels(float[] values, float[] scales) {
        int size = values.length / scales.length;
        int[] q = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            q[i] = (int) Math.rint(values[i] / scales[i / size]);
        }
        return q;
    }

    private static boolean onGrid(float[] v, int from, int to, float s, float qmax) {
        for (int i = from; i < to; i++) {
            float q = (float) Math.rint(v[i] / s);
            if (Math.abs(q) > qmax || q * s != v[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * The value below which {@code percentile} percent of {@code values} lie (nearest rank).
     *
     * @param values the values, not changed
     * @param percentile in (0, 100]
     * @return the percentile
     */
    public static float percentile(float[] values, double percentile) {
        if (!(percentile > 0 && percentile <= 100)) {
            throw new IllegalArgumentException("percentile=" + percentile + " must be in (0, 100], for example 99.99");
        }
        if (values.length == 0) {
            throw new IllegalArgumentException("no values to take a percentile of");
        }
        float[] sorted = values.clone();
        java.util.Arrays.sort(sorted);
        int rank = (int) Math.ceil(percentile / 100 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank))];
    }
}
