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
            double qmax = (1 << (bits - 1)) - 1;
            double scale = Math.max(-lo, hi) / qmax;
            for (int i = from; i < to; i++) {
                out[i] = scale == 0 ? 0f : (float) (Math.max(-qmax, Math.min(qmax, Math.rint(in[i] / scale))) * scale);
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
