package dev.compresso.distill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.compresso.data.DataSplit;
import dev.compresso.data.Synthetic;
import dev.compresso.eval.ExperimentLog;
import dev.compresso.model.Network;
import dev.compresso.model.Zoo;
import dev.compresso.train.TrainOptions;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("engine")
class DistillationTest {

    private static final DataSplit DATA = Synthetic.blobs(512, 256, 20, 4, 5);
    private static final ExperimentLog LOG = new ExperimentLog();
    private static Network teacher;

    private static TrainOptions opts(int epochs) {
        return TrainOptions.epochs(epochs).batchSize(32).learningRate(0.01).quiet().log(LOG);
    }

    @BeforeAll
    static void train() {
        try (Network init = Network.create(Zoo.mlp(20, 32, 4), 1)) {
            teacher = init.train(DATA, opts(3));
        }
    }

    @AfterAll
    static void close() {
        teacher.close();
    }

    @Test
    void engineLossMatchesTheFormula() {
        Distillation d = Distillation.from(teacher).temperature(3).alpha(0.6);
        DistillationLoss loss = d.lossFor(DATA);
        int[] idx = {5, 17, 3, 400};
        float[] all = loss.teacher().logits();
        float[] teacherRows = new float[idx.length * 4];
        for (int r = 0; r < idx.length; r++) {
            System.arraycopy(all, idx[r] * 4, teacherRows, r * 4, 4);
        }
        float[] student = new float[idx.length * 4];
        Random rnd = new Random(1);
        for (int i = 0; i < student.length; i++) {
            student[i] = (float) rnd.nextGaussian() * 2;
        }
        int[] y = {0, 3, 1, 2};
        double expected = DistillationLoss.reference(teacherRows, student, y, 4, 3, 0.6);
        try (NDManager m = teacher.manager().newSubManager()) {
            NDArray s = m.create(student, new Shape(idx.length, 4));
            NDArray labels = m.create(new long[] {0, 3, 1, 2});
            assertEquals(expected, loss.loss(idx, s, labels).getFloat(), 1e-5);
        }
    }

    @Test
    void teacherLogitsAreComputedOnceAndShared() {
        Distillation d = Distillation.from(teacher);
        TeacherLogits first = d.teacherLogits(DATA.train());
        assertSame(first, d.temperature(2).alpha(0.5).teacherLogits(DATA.train()));
        assertEquals(DATA.train().size() * 4, first.logits().length);
        float[] direct = teacher.outputs(DATA.train());
        assertEquals(direct[4 * 100 + 2], first.logits()[4 * 100 + 2]);
    }

    @Test
    void distilledStudentLearnsAndIsLogged() {
        ExperimentLog log = new ExperimentLog();
        try (Network student = Network.create(Zoo.mlp(20, 8, 4), 2);
                Network kd = Distillation.from(teacher).temperature(4).alpha(0.9).apply(student, DATA, opts(3).log(log))) {
            assertEquals("mlp-20-8-4-distilled", kd.name());
            assertEquals(1, log.size());
            assertNotNull(kd.evaluation());
            assertTrue(kd.evaluation().top1() > 0.6, kd.evaluation().toString());
            assertTrue(kd.chain().contains("loss=distill(teacher=mlp-20-32-4, T=4, α=0.900)"), kd.chain());
            // fine-tuning keeps learning from the teacher, on the same cached logits
            try (Network more = kd.finetune(1)) {
                assertTrue(more.chain().endsWith("finetune(epochs=1)"), more.chain());
            }
            // pure soft targets (α = 1) and pure labels (α = 0) both train
            try (Network soft = Distillation.from(teacher).alpha(1).named("soft").apply(student, DATA, opts(2));
                    Network hard = Distillation.from(teacher).alpha(0).named("hard").apply(student, DATA, opts(2))) {
                assertTrue(soft.evaluation().top1() > 0.5);
                assertTrue(hard.evaluation().top1() > 0.5);
            }
        }
    }

    @Test
    void transferImagesAddSoftTargetsWithoutLabels() {
        DataSplit few = DataSplit.of("blobs[64]", DATA.train().slice(0, 64), DATA.test(), DATA.classNames());
        var rest = DATA.train().slice(64, 512);
        Distillation d = Distillation.from(teacher).temperature(2).alpha(0.5).transfer(rest);
        DataSplit all = d.trainingData(few);
        assertEquals(512, all.train().size());
        assertSame(all.train(), d.trainingData(few).train(), "built once per training set");
        assertSame(DATA.test(), all.test());
        float[] direct = teacher.outputs(rest);
        DistillationLoss loss = d.lossFor(few);
        assertEquals(64, loss.labelled());
        assertSame(all.train(), loss.teacher().samples());
        for (int i = 0; i < rest.size(); i += 37) {
            assertEquals(direct[4 * i + 1], loss.teacher().logits()[4 * (64 + i) + 1]);
            int best = 0;
            for (int c = 1; c < 4; c++) {
                best = direct[4 * i + c] > direct[4 * i + best] ? c : best;
            }
            assertEquals(best, all.train().label(64 + i), "a transfer image is labelled with the teacher's top class");
        }
        assertEquals(few.train().label(5), all.train().label(5));
        // the engine loss weighs labelled rows by alpha and transfer rows by the soft term alone
        int[] idx = {3, 100, 63, 64, 400};
        int[] y = new int[idx.length];
        boolean[] hasLabel = new boolean[idx.length];
        float[] teacherRows = new float[idx.length * 4];
        float[] student = new float[idx.length * 4];
        Random rnd = new Random(3);
        for (int r = 0; r < idx.length; r++) {
            y[r] = all.train().label(idx[r]);
            hasLabel[r] = idx[r] < 64;
            System.arraycopy(loss.teacher().logits(), idx[r] * 4, teacherRows, r * 4, 4);
            for (int c = 0; c < 4; c++) {
                student[r * 4 + c] = (float) rnd.nextGaussian();
            }
        }
        double expected = DistillationLoss.reference(teacherRows, student, y, hasLabel, 4, 2, 0.5);
        try (NDManager m = teacher.manager().newSubManager()) {
            NDArray labels = m.create(java.util.Arrays.stream(y).asLongStream().toArray());
            assertEquals(expected, loss.loss(idx, m.create(student, new Shape(idx.length, 4)), labels).getFloat(), 1e-5);
        }
        try (Network s = Network.create(Zoo.mlp(20, 8, 4), 2); Network kd = d.apply(s, few, opts(2))) {
            assertSame(all.train(), kd.trainedOn().train());
            assertTrue(kd.chain().contains("transfer=448"), kd.chain());
            assertTrue(kd.evaluation().top1() > 0.6, kd.evaluation().toString());
        }
        var wide = Synthetic.blobs(16, 8, 30, 4, 9).train();
        assertEquals("transfer images have 30 values each, but teacher 'mlp-20-32-4' takes 20; pass images shaped like"
                + " the teacher's training data",
                assertThrows(IllegalArgumentException.class, () -> Distillation.from(teacher).transfer(wide)).getMessage());
    }

    @Test
    void teacherDataIsTheDefault() {
        try (Network student = Network.create(Zoo.mlp(20, 8, 4), 2);
                Network kd = Distillation.from(teacher).apply(student, opts(1))) {
            assertSame(teacher.trainedOn(), kd.trainedOn());
        }
    }

    @Test
    void errorsNameTheFix() {
        assertEquals("temperature T=0.0 must be finite and > 0; for example temperature(4)",
                assertThrows(IllegalArgumentException.class, () -> Distillation.from(teacher).temperature(0)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Distillation.from(teacher).temperature(-1));
        assertThrows(IllegalArgumentException.class, () -> Distillation.from(teacher).temperature(Double.NaN));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Distillation.from(teacher).alpha(1.5)).getMessage()
                .startsWith("alpha=1.5 must be in [0, 1]: it weighs the teacher's soft targets"));
        assertThrows(IllegalArgumentException.class, () -> Distillation.from(teacher).alpha(-0.1));
        try (Network five = Network.create(Zoo.mlp(20, 8, 5), 2)) {
            assertEquals("teacher 'mlp-20-32-4' has 4 outputs, student 'mlp-20-8-5' 5; distillation matches outputs one"
                    + " to one: give the student 4 outputs, for example mlp(20, 100, 4)",
                    assertThrows(IllegalArgumentException.class,
                            () -> Distillation.from(teacher).apply(five, DATA, opts(1))).getMessage());
        }
        DataSplit other = Synthetic.blobs(64, 32, 20, 4, 9);
        DistillationLoss bound = Distillation.from(teacher).lossFor(DATA);
        try (Network student = Network.create(Zoo.mlp(20, 8, 4), 2)) {
            assertTrue(assertThrows(IllegalArgumentException.class, () -> student.train(other, opts(1).loss(bound)))
                    .getMessage().startsWith("this distillation loss holds teacher 'mlp-20-32-4''s logits for another training set"));
        }
        DataSplit wide = Synthetic.blobs(64, 32, 30, 4, 9);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Distillation.from(teacher).lossFor(wide))
                .getMessage().contains("but teacher 'mlp-20-32-4' takes 20"));
    }
}
