package dev.compresso.distill;

import dev.compresso.data.DataSplit;
import dev.compresso.data.Samples;
import dev.compresso.model.Network;
import dev.compresso.train.TrainOptions;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Knowledge distillation (Hinton, Vinyals and Dean 2015): trains a student on a teacher's soft
 * targets at temperature T, mixed with the hard labels. See {@link DistillationLoss} for the loss;
 * <b>α weighs the soft (teacher) term</b>, 1 − α the labels, and the soft term is scaled by T².
 *
 * <pre>{@code
 * var teacher = lenet5().train(data, epochs(10));
 * var student = mlp(784, 100, 10).distill(from(teacher).temperature(4).alpha(0.9), data, epochs(10));
 * }</pre>
 *
 * <p>The teacher's logits are computed once per training set, with {@link Network#outputs}, and
 * cached in this object and every copy made from it, so a sweep over T or α runs the teacher once.
 * Any teacher and student with the same number of outputs work (MLP, LeNet-5, TorchScript...).
 *
 * <p>The student keeps the distillation loss in its training options, so fine-tuning it later (for
 * example while pruning) keeps learning from the teacher; {@code options.loss(null)} trains it on
 * the labels alone.
 *
 * <p>With a {@link #transfer transfer set} of unlabelled images, the student also learns the
 * teacher's soft targets on those images: the way to pass a teacher's knowledge on when labels are
 * few but images are many (Buciluă, Caruana and Niculescu-Mizil 2006, "Model compression").
 */
public final class Distillation {

    /** Default temperature. */
    public static final double DEFAULT_TEMPERATURE = 4;
    /** Default weight of the soft term. */
    public static final double DEFAULT_ALPHA = 0.9;

    private final Network teacher;
    private final double temperature;
    private final double alpha;
    private final String name;
    private final Samples transfer;
    private final Map<Samples, TeacherLogits> cache;
    private final Map<Samples, Samples> withTransfer; // labelled training set -> it plus the transfer set

    private Distillation(Network teacher, double temperature, double alpha, String name, Samples transfer,
            Map<Samples, TeacherLogits> cache, Map<Samples, Samples> withTransfer) {
        this.teacher = teacher;
        this.temperature = temperature;
        this.alpha = alpha;
        this.name = name;
        this.transfer = transfer;
        this.cache = cache;
        this.withTransfer = withTransfer;
    }

    /**
     * Distillation from {@code teacher}, at T = 4 with α = 0.9 on the soft term.
     *
     * @param teacher a trained network
     * @return the spec
     */
    public static Distillation from(Network teacher) {
        if (teacher == null) {
            throw new IllegalArgumentException("teacher must not be null; pass a trained network, for example lenet5().train(data, epochs(10))");
        }
        return new Distillation(teacher, DEFAULT_TEMPERATURE, DEFAULT_ALPHA, null, null, new IdentityHashMap<>(),
                new IdentityHashMap<>());
    }

    /**
     * The same spec at temperature {@code t}: higher softens the teacher's distribution and passes on
     * more about the wrong classes. Hinton et al. use 2 to 20.
     *
     * @param t the temperature, finite and > 0
     * @return the changed copy (sharing the teacher-logit cache)
     */
    public Distillation temperature(double t) {
        return new Distillation(teacher, checkTemperature(t), alpha, name, transfer, cache, withTransfer);
    }

    /**
     * The same spec with weight {@code a} on the soft (teacher) term and {@code 1 − a} on the labels.
     *
     * @param a in [0, 1]; 1 learns from the teacher alone, 0 from the labels alone
     * @return the changed copy (sharing the teacher-logit cache)
     */
    public Distillation alpha(double a) {
        return new Distillation(teacher, temperature, checkAlpha(a), name, transfer, cache, withTransfer);
    }

    /** Names the distilled student (default: the student's name + {@code -distilled}). */
    public Distillation named(String newName) {
        return new Distillation(teacher, temperature, alpha, newName, transfer, cache, withTransfer);
    }

    /**
     * The same spec with a transfer set: images without labels (any labels they carry are ignored) on
     * which the student learns the teacher's soft targets alone, besides the labelled training images
     * where α mixes the two. Each epoch then passes over both; the progress bar's accuracy counts the
     * teacher's top class as the label of a transfer image.
     *
     * <pre>{@code
     * var few = data.train().slice(0, 6000), rest = data.train().slice(6000, 60000);
     * var kd = distillFrom(teacher).temperature(2).alpha(0.5).transfer(rest);
     * var student = mlp(784, 100, 10).distill(kd, DataSplit.of("6000 labelled", few, data.test(), data.classNames()), epochs(6));
     * }</pre>
     *
     * @param images unlabelled images shaped like the teacher's inputs
     * @return the changed copy, with its own teacher-logit cache
     */
    public Distillation transfer(Samples images) {
        Objects.requireNonNull(images, "images: pass the unlabelled transfer images, for example data.train().slice(6000, 60000)");
        if (images.sampleSize() != teacher.architecture().inputSize()) {
            throw new IllegalArgumentException("transfer images have " + images.sampleSize() + " values each, but teacher '"
                    + teacher.name() + "' takes " + teacher.architecture().inputSize()
                    + "; pass images shaped like the teacher's training data");
        }
        return new Distillation(teacher, temperature, alpha, name, images, new IdentityHashMap<>(), new IdentityHashMap<>());
    }

    /** The transfer set, or null when the student learns on the labelled images alone. */
    public Samples transfer() {
        return transfer;
    }

    static double checkTemperature(double t) {
        if (!(t > 0) || Double.isInfinite(t)) {
            throw new IllegalArgumentException("temperature T=" + t + " must be finite and > 0; for example temperature(4)");
        }
        return t;
    }

    static double checkAlpha(double a) {
        if (!(a >= 0 && a <= 1)) {
            throw new IllegalArgumentException("alpha=" + a + " must be in [0, 1]: it weighs the teacher's soft targets,"
                    + " 1 − alpha the labels; for example alpha(0.9)");
        }
        return a;
    }

    /** The teacher. */
    public Network teacher() {
        return teacher;
    }

    /** The temperature T. */
    public double temperature() {
        return temperature;
    }

    /** The weight α of the soft term. */
    public double alpha() {
        return alpha;
    }

    /**
     * The loss for training {@code student} on {@code data}, with the teacher's logits for {@code
     * data.train()} (computed now unless cached). Use it with {@code options.loss(...)} in your own
     * training calls; {@link #apply} does this for you.
     *
     * @param student the student, to check its outputs against the teacher's
     * @param data the data the student will train on
     * @return the loss
     * @throws IllegalArgumentException if the output counts differ or the data does not fit the teacher
     */
    public DistillationLoss lossFor(Network student, DataSplit data) {
        int t = teacher.architecture().outputs();
        int s = student.architecture().outputs();
        if (t != s) {
            throw new IllegalArgumentException("teacher '" + teacher.name() + "' has " + t + " outputs, student '"
                    + student.name() + "' " + s + "; distillation matches outputs one to one: give the student "
                    + t + " outputs, for example mlp(" + student.architecture().inputSize() + ", 100, " + t + ")");
        }
        return lossFor(data);
    }

    /**
     * The loss for any student with the teacher's number of outputs, trained on {@code data}.
     *
     * @param data the data the student will train on
     * @return the loss
     */
    public DistillationLoss lossFor(DataSplit data) {
        Samples labelled = data.train();
        if (labelled.sampleSize() != teacher.architecture().inputSize()) {
            throw new IllegalArgumentException("data '" + data.name() + "' has samples of " + labelled.sampleSize()
                    + " values, but teacher '" + teacher.name() + "' takes " + teacher.architecture().inputSize()
                    + "; distill on the data the teacher was built for");
        }
        return new DistillationLoss(teacherLogits(trainingData(data).train()), temperature, alpha, labelled.size());
    }

    /**
     * The data the student trains on: {@code data} itself, or with a {@link #transfer transfer set}
     * its labelled training images followed by the transfer images (labelled with the teacher's top
     * class, which only the progress bar reads), built once per training set.
     *
     * @param data the labelled data
     * @return the training data; its test part is {@code data}'s
     */
    public DataSplit trainingData(DataSplit data) {
        if (transfer == null) {
            return data;
        }
        Samples labelled = data.train();
        Samples all;
        synchronized (cache) {
            all = withTransfer.get(labelled);
            if (all == null) {
                all = joinTransfer(labelled);
                withTransfer.put(labelled, all);
            }
        }
        return DataSplit.of(data.name() + " + " + transfer.size() + " transfer images", all, data.test(), data.classNames());
    }

    /** The labelled samples, then the transfer images with the teacher's top class; caches the logits of both. */
    private Samples joinTransfer(Samples labelled) {
        int outputs = teacher.architecture().outputs();
        if (outputs != labelled.classes()) {
            throw new IllegalArgumentException("teacher '" + teacher.name() + "' has " + outputs + " outputs but the data has "
                    + labelled.classes() + " classes; a transfer set needs a teacher with one output per class");
        }
        if (!java.util.Arrays.equals(labelled.sampleShape(), transfer.sampleShape())) {
            throw new IllegalArgumentException("transfer images are shaped " + java.util.Arrays.toString(transfer.sampleShape())
                    + ", the labelled ones " + java.util.Arrays.toString(labelled.sampleShape()) + "; use images of one shape");
        }
        int n = labelled.size();
        int m = transfer.size();
        int size = labelled.sampleSize();
        float[] features = new float[Math.multiplyExact(n + m, size)];
        labelled.copyFeatures(0, n, features, 0);
        transfer.copyFeatures(0, m, features, n * size);
        float[] logits = new float[(n + m) * outputs];
        System.arraycopy(teacherLogits(labelled).logits(), 0, logits, 0, n * outputs);
        System.arraycopy(teacher.outputs(transfer), 0, logits, n * outputs, m * outputs);
        int[] labels = new int[n + m];
        System.arraycopy(labelled.labels(), 0, labels, 0, n);
        for (int i = 0; i < m; i++) {
            int best = 0;
            for (int c = 1; c < outputs; c++) {
                if (logits[(n + i) * outputs + c] > logits[(n + i) * outputs + best]) {
                    best = c;
                }
            }
            labels[n + i] = best;
        }
        Samples all = Samples.of(features, labels, labelled.sampleShape(), labelled.classes());
        cache.put(all, new TeacherLogits(teacher.name(), all, outputs, logits));
        return all;
    }

    /**
     * The teacher's logits for {@code samples}, computed on first use and cached.
     *
     * @param samples training samples
     * @return the cached logits
     */
    public TeacherLogits teacherLogits(Samples samples) {
        synchronized (cache) {
            return cache.computeIfAbsent(samples, s -> TeacherLogits.of(teacher, s));
        }
    }

    /**
     * Trains a copy of {@code student} on {@code data} with the distillation loss and evaluates it on
     * the test part; the result is recorded in the log under the new name.
     *
     * @param student the student (usually untrained)
     * @param data the data; the teacher's logits are cached for its training part
     * @param options epochs, optimizer, learning rate...; any loss they carry is replaced
     * @return the distilled student; {@code student} is unchanged
     */
    public Network apply(Network student, DataSplit data, TrainOptions options) {
        DistillationLoss loss = lossFor(student, data);
        String newName = name != null ? name : student.name() + "-distilled";
        try (Network renamed = student.named(newName)) {
            return renamed.train(trainingData(data), options.loss(loss));
        }
    }

    /**
     * Like {@link #apply(Network, DataSplit, TrainOptions)} on the data the teacher was trained on.
     *
     * @throws IllegalStateException if the teacher was never trained
     */
    public Network apply(Network student, TrainOptions options) {
        if (teacher.trainedOn() == null) {
            throw new IllegalStateException("teacher '" + teacher.name() + "' was never trained, so there is no data to"
                    + " distill on; pass the data: distill(from(teacher), data, epochs(n))");
        }
        return apply(student, teacher.trainedOn(), options);
    }

    /** The spec as a chain step shows it. */
    public String describe() {
        return "distill(teacher=" + teacher.name() + ", T=" + DistillationLoss.num(temperature) + ", α="
                + DistillationLoss.num(alpha) + (transfer == null ? "" : ", transfer=" + transfer.size()) + ")";
    }

    @Override
    public String toString() {
        return describe();
    }
}
