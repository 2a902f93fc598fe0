package dev.compresso.distill;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
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
 *
 * <p>Rows from a transfer set (see {@link Distillation#transfer}) have no labels: for them the loss
 * is the soft term alone, {@code T² · KL}, as if α were 1.
 */
public final class DistillationLoss implements BatchLoss {

    private final TeacherLogits teacher;
    private final double temperature;
    private final double alpha;
    private final float[] p; // teacher probabilities at T, n × outputs
    private final double[] plogp; // Σ_c p log p per sample: KL = plogp − Σ p log q
    private final int labelled; // rows [0, labelled) have labels; the rest are transfer rows

    DistillationLoss(TeacherLogits teacher, double temperature, double alpha, int labelled) {
        this.teacher = teacher;
        this.temperature = Distillation.checkTemperature(temperature);
        this.alpha = Distillation.checkAlpha(alpha);
        this.labelled = labelled;
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

    /** How many rows of the training set have labels; the rows after them come from the transfer set. */
    public int labelled() {
        return labelled;
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
                    + "; make a new one for this data with Distillation.from(teacher).lossFor(data) (with a transfer set,"
                    + " train on distillation.trainingData(data)), or train with options.loss(null) for plain cross-entropy");
        }
    }

    @Override
    public NDArray loss(int[] indices, NDArray logits, NDArray labels) {
        int m = indices.length;
        int classes = teacher.outputs();
        double t2 = temperature * temperature;
        // Per row: soft weight ws = α·T² (1·T² on transfer rows) and hard weight wh = 1 − α (0 there).
        // KL(p ‖ q) = Σ p log p − Σ p log q; the first sum is a per-row constant cached on the Java side,
        // so the soft term is one weighted tensor of teacher probabilities times log q, and the hard term
        // the labels' one-hot rows, weighted, times log softmax(s).
        float[] softW = new float[m * classes];
        float[] hardW = new float[m];
        double constant = 0;
        boolean anySoft = false;
        boolean anyHard = false;
        for (int r = 0; r < m; r++) {
            int row = indices[r];
            boolean hasLabel = row < labelled;
            double ws = (hasLabel ? alpha : 1) * t2;
            double wh = hasLabel ? 1 - alpha : 0;
            if (ws > 0) {
                anySoft = true;
                for (int c = 0; c < classes; c++) {
                    softW[r * classes + c] = (float) (ws * p[row * classes + c]);
                }
                constant += ws * plogp[row];
            }
            if (wh > 0) {
                anyHard = true;
                hardW[r] = (float) wh;
            }
        }
        NDManager scope = logits.getManager();
        Shape shape = new Shape(m, classes);
        NDArray total = null;
        if (anySoft) {
            NDArray crossSoft = scope.create(softW, shape).mul(logits.div((float) temperature).logSoftmax(1)).sum();
            total = crossSoft.div((float) -m).add((float) (constant / m));
        }
        if (anyHard) {
            NDArray weightedY = labels.oneHot(classes).mul(scope.create(hardW, new Shape(m, 1)));
            NDArray ce = weightedY.mul(logits.logSoftmax(1)).sum().div((float) -m);
            total = total == null ? ce : total.add(ce);
        }
        return total; // every row has a soft or a hard weight, so one of the two terms exists
    }

    /**
     * The same loss on plain arrays, in double precision, for tests: the batch mean of
     * {@code α·T²·KL + (1−α)·CE}.
     */
    static double reference(float[] teacherLogits, float[] studentLogits, int[] labels, int classes, double t, double alpha) {
        boolean[] hasLabel = new boolean[labels.length];
        java.util.Arrays.fill(hasLabel, true);
        return reference(teacherLogits, studentLogits, labels, hasLabel, classes, t, alpha);
    }

    /** Like the above, with rows whose {@code hasLabel} is false weighted as transfer rows: {@code T²·KL}. */
    static double reference(float[] teacherLogits, float[] studentLogits, int[] labels, boolean[] hasLabel, int classes,
            double t, double alpha) {
        float[] lp = TeacherLogits.logSoftmax(teacherLogits, classes, t);
        float[] lq = TeacherLogits.logSoftmax(studentLogits, classes, t);
        float[] ls = TeacherLogits.logSoftmax(studentLogits, classes, 1);
        int m = labels.length;
        double sum = 0;
        for (int r = 0; r < m; r++) {
            double kl = 0;
            for (int c = 0; c < classes; c++) {
                int i = r * classes + c;
                kl += Math.exp(lp[i]) * (lp[i] - lq[i]);
            }
            double ce = -ls[r * classes + labels[r]];
            sum += hasLabel[r] ? alpha * t * t * kl + (1 - alpha) * ce : t * t * kl;
        }
        return sum / m;
    }

    @Override
    public String describe() {
        int transfer = teacher.samples().size() - labelled;
        return String.format(Locale.ROOT, "distill(teacher=%s, T=%s, α=%s%s)", teacher.teacher(), num(temperature), num(alpha),
                transfer > 0 ? ", transfer=" + transfer : "");
    }

    static String num(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e6 ? String.valueOf((long) v) : String.format(Locale.ROOT, "%.3g", v);
    }

    @Override
    public String toString() {
        return describe();
    }
}
