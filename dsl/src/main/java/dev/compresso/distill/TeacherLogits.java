package dev.compresso.distill;

import dev.compresso.data.Samples;
import dev.compresso.model.Network;

/**
 * A teacher's raw outputs (logits) for every sample of one training set, computed once with {@link
 * Network#outputs} and indexed by sample index, so a shuffled batch finds its rows.
 *
 * @param teacher the teacher's name, for messages
 * @param samples the samples the rows belong to (by identity)
 * @param outputs values per row
 * @param logits {@code samples.size() × outputs} values, row-major
 */
public record TeacherLogits(String teacher, Samples samples, int outputs, float[] logits) {

    /** Checks that the sizes agree. */
    public TeacherLogits {
        if (logits.length != (long) samples.size() * outputs) {
            throw new IllegalArgumentException("teacher logits have " + logits.length + " values, expected "
                    + samples.size() + " samples × " + outputs + " outputs");
        }
    }

    /**
     * Runs {@code teacher} once over {@code samples}, without gradients.
     *
     * @param teacher the trained teacher
     * @param samples the training samples
     * @return the cached logits
     */
    public static TeacherLogits of(Network teacher, Samples samples) {
        return new TeacherLogits(teacher.name(), samples, teacher.architecture().outputs(), teacher.outputs(samples));
    }

    /**
     * The teacher's log-probabilities at temperature {@code t}: {@code log softmax(logits / t)} per
     * row, in double precision then rounded.
     *
     * @param t the temperature, > 0
     * @return {@code size × outputs} values
     */
    public float[] logSoftmax(double t) {
        return logSoftmax(logits, outputs, t);
    }

    /** {@code log softmax(z / t)} of each row of {@code z}; plain arrays, for tests. */
    static float[] logSoftmax(float[] z, int classes, double t) {
        float[] out = new float[z.length];
        for (int base = 0; base < z.length; base += classes) {
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                max = Math.max(max, z[base + c] / t);
            }
            double sum = 0;
            for (int c = 0; c < classes; c++) {
                sum += Math.exp(z[base + c] / t - max);
            }
            double logSum = max + Math.log(sum);
            for (int c = 0; c < classes; c++) {
                out[base + c] = (float) (z[base + c] / t - logSum);
            }
        }
        return out;
    }
}
