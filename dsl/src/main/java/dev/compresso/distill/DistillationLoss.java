package dev.compresso.distill;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.loss.Loss;
import dev.compresso.data.Samples;
import dev.compresso.train.BatchLoss;
import java.util.Locale;

/**
 * Hinton et al.'s loss for one batch:
 *
 * <pre>
 *   loss = α · T² · KL(softmax(t / T) ‖ softmax(s / T)) + (1 − α) · CE(s, y)
 * </pre>
 *
 * where {@code t} are the teacher's cached logits for the batch's samples, {@code s} the student's,
 * {@code y} the labels. <b>α weighs the soft (teacher) term</b>; 1 − α weighs the hard labels. The
 * T² keeps the soft term's gradients the same size as T changes. Both terms are batch means.
 */
public final class DistillationLoss implements BatchLoss {

    private final TeacherLogits teacher;
    private final double temperature;
    private final double alpha;
    private final float[] p; // teacher probabilities at T, n × outputs
    private final double[] plogp; // Σ_c p log p per sample: KL = plogp − Σ p log q
    private final Loss crossEntropy = Loss.softmaxCrossEntropyLoss();

    DistillationLoss(TeacherLogits teacher, double temperature, double alpha) {
        this.teacher = teacher;
        this.temperature = Distillation.checkTemperature(temperature);
        this.alpha = Distillation.checkAlpha(alpha);
        float[] logP = teacher.logSoftmax(temperature);
        int classes = teacher.outputs();
        this.p = new float[logP.length];
        this.plogp = new double[logP.length / classes];
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) Math.exp(logP[i]);
            plogp[i / classes] += p[i] * (double) logP[i];
        }
    }

    /** The temperature T. */
    public double temperature() {
        return temperature;
    }

    /** The weight α of the soft (teacher) term. */
    public double alpha() {
        return alpha;
    }

    /** The cached teacher logits this loss reads. */
    public TeacherLogits teacher() {
        return teacher;
    }

    @Override
    public void begin(Samples train) {
        if (train != teacher.samples()) {
            throw new IllegalArgumentException("this distillation loss holds teacher '" + teacher.teacher()
                    + "''s logits for another training set (" + teacher.samples() + "), not " + train
                    + "; make a new one for this data with Distillation.from(teacher).lossFor(data),"
                    + " or train with options.loss(null) for plain cross-entropy");
        }
    }

    @Override
    public NDArray loss(int[] indices, NDArray logits, NDArray labels) {
        int m = indices.length;
        int classes = teacher.outputs();
        NDArray total = null;
        if (alpha > 0) {
            // KL(p ‖ q) = Σ p log p − Σ p log q; the first sum is a per-sample constant cached on the Java
            // side, so a batch costs one tensor copy and five ops
            float[] batchP = new float[m * classes];
            double constant = 0;
            for (int r = 0; r < m; r++) {
                System.arraycopy(p, indices[r] * classes, batchP, r * classes, classes);
                constant += plogp[indices[r]];
            }
            constant /= m;
            NDManager scope = logits.getManager();
            NDArray pt = scope.create(batchP, new Shape(m, classes));
            NDArray crossSoft = pt.mul(logits.div((float) temperature).logSoftmax(1)).sum(new int[] {1}).mean();
            double scale = alpha * temperature * temperature;
            total = crossSoft.mul((float) -scale).add((float) (scale * constant));
        }
        if (alpha < 1) {
            NDArray ce = crossEntropy.evaluate(new NDList(labels), new NDList(logits)).mul((float) (1 - alpha));
            total = total == null ? ce : total.add(ce);
        }
        return total;
    }

    /**
     * The same loss on plain arrays, in double precision, for tests: the batch mean of
     * {@code α·T²·KL + (1−α)·CE}.
     */
    static double reference(float[] teacherLogits, float[] studentLogits, int[] labels, int classes, double t, double alpha) {
        float[] lp = TeacherLogits.logSoftmax(teacherLogits, classes, t);
        float[] lq = TeacherLogits.logSoftmax(studentLogits, classes, t);
        float[] ls = TeacherLogits.logSoftmax(studentLogits, classes, 1);
        int m = labels.length;
        double kl = 0;
        double ce = 0;
        for (int r = 0; r < m; r++) {
            for (int c = 0; c < classes; c++) {
                int i = r * classes + c;
                kl += Math.exp(lp[i]) * (lp[i] - lq[i]);
            }
            ce -= ls[r * classes + labels[r]];
        }
        return alpha * t * t * kl / m + (1 - alpha) * ce / m;
    }

    @Override
    public String describe() {
        return String.format(Locale.ROOT, "distill(teacher=%s, T=%s, α=%s)", teacher.teacher(), num(temperature), num(alpha));
    }

    static String num(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e6 ? String.valueOf((long) v) : String.format(Locale.ROOT, "%.3g", v);
    }

    @Override
    public String toString() {
        return describe();
    }
}
