package dev.compresso.prune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.compresso.data.DataSplit;
import dev.compresso.data.Synthetic;
import dev.compresso.eval.ExperimentLog;
import dev.compresso.model.Network;
import dev.compresso.model.Zoo;
import dev.compresso.train.Progress;
import dev.compresso.train.TrainOptions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tech.tablesaw.api.Table;

@Tag("engine")
class PruningTest {

    private static final DataSplit DATA = Synthetic.blobs(512, 256, 20, 4, 5);
    private static final ExperimentLog LOG = new ExperimentLog();
    private static Network trained;

    @BeforeAll
    static void train() {
        try (Network init = Network.create(Zoo.mlp(20, 32, 16, 4), 3)) {
            trained = init.train(DATA, TrainOptions.epochs(3).batchSize(32).learningRate(0.01).quiet().log(LOG));
        }
    }

    @AfterAll
    static void close() {
        trained.close();
    }

    private static long zeros(Network n, String p) {
        return Masks.zeros(n.weights(p));
    }

    @Test
    void perParameterSparsityLeavesTheInputUntouched() {
        long before = trained.nonZeroCount();
        try (Network p = trained.prune(Magnitude.magnitude().sparsity(0.5))) {
            assertEquals(before, trained.nonZeroCount(), "the receiver is untouched");
            assertEquals(320, zeros(p, "02Linear_weight"));
            assertEquals(256, zeros(p, "04Linear_weight"));
            assertEquals(32, zeros(p, "06Linear_weight"));
            assertEquals(0, zeros(p, "02Linear_bias") - zeros(trained, "02Linear_bias"), "biases are excluded");
            assertTrue(p.evaluation() != null);
            assertTrue(p.chain().endsWith("prune(magnitude, sparsity=0.500, per parameter)"), p.chain());
            assertTrue(LOG.table().stringColumn("name").contains("mlp-20-32-16-4-pruned"));
        }
    }

    @Test
    void globalCountAndSelection() {
        try (Network p = trained.prune(Magnitude.magnitude().count(100).global())) {
            long z = zeros(p, "02Linear_weight") + zeros(p, "04Linear_weight") + zeros(p, "06Linear_weight");
            assertEquals(100, z);
        }
        try (Network p = trained.prune(Magnitude.magnitude().count(10).select(Selector.weights().layers("04Linear")))) {
            assertEquals(10, zeros(p, "04Linear_weight"));
            assertEquals(0, zeros(p, "02Linear_weight"));
        }
        try (Network p = trained.prune(Magnitude.magnitude().sparsity(0.5).select(Selector.weights().matching(".*Linear_weight").except("06Linear")))) {
            assertEquals(0, zeros(p, "06Linear_weight"));
            assertEquals(320, zeros(p, "02Linear_weight"));
        }
        try (Network p = trained.prune(Magnitude.magnitude().sparsity(0.5).sparsity("02Linear", 0.9))) {
            assertEquals(576, zeros(p, "02Linear_weight"));
            assertEquals(256, zeros(p, "04Linear_weight"));
        }
    }

    @Test
    void masksHoldAfterEveryFineTuningStep() {
        List<Long> zerosAfterStep = new ArrayList<>();
        Network[] live = new Network[1];
        try (Network p = trained.prune(Magnitude.magnitude().sparsity(0.8))) {
            long pruned = zeros(p, "02Linear_weight");
            try (Network tuned = p.train(DATA, TrainOptions.epochs(1).batchSize(32).quiet().log(new ExperimentLog()))) {
                assertTrue(zeros(tuned, "02Linear_weight") >= pruned);
                float[] mask = ((MaskConstraint) p.constraints().get(0)).masks().get("02Linear_weight");
                float[] w = tuned.weights("02Linear_weight");
                for (int i = 0; i < w.length; i++) {
                    if (mask[i] == 0) {
                        assertTrue(w[i] == 0f, "pruned weight " + i + " came back: " + w[i]);
                    }
                }
            }
            // and during training, checked after every step through the progress listener
            Progress.Listener check = e -> zerosAfterStep.add(Masks.zeros(live[0].weights("02Linear_weight")));
            live[0] = p.copy();
            dev.compresso.train.Fit.fit(live[0], DATA, TrainOptions.epochs(1).batchSize(64).listener(check));
            assertEquals(9, zerosAfterStep.size());
            for (long z : zerosAfterStep) {
                assertTrue(z >= pruned, "zeros after a step: " + z + " < " + pruned);
            }
            live[0].close();
        }
    }

    @Test
    void gradualRoundsReachTheTargetAndFineTune() {
        try (Network p = trained.prune(Magnitude.magnitude().sparsity(0.75).gradual(3).finetune(1))) {
            assertEquals(480, zeros(p, "02Linear_weight"));
            assertEquals(1, p.constraints().size(), "the last mask supersedes the earlier ones");
            assertTrue(p.chain().endsWith("rounds=3, finetune=1)"), p.chain());
            assertTrue(p.evaluation().top1() > 0.8, p.evaluation().toString());
        }
    }

    @Test
    void scheduleRunsDuringFineTuning() {
        // 512 / 32 = 16 steps per epoch; ramp to 0.6 by step 24
        try (Network p = trained.prune(Magnitude.magnitude().schedule(Schedule.polynomial(0.1, 0.6, 0, 24, 4)).finetune(2))) {
            assertEquals(Math.round(0.6 * 640), zeros(p, "02Linear_weight"));
            assertEquals(1, p.constraints().size());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> trained.prune(Magnitude.magnitude().schedule(Schedule.polynomial(0, 0.6, 0, 500, 4)).finetune(1)));
        assertTrue(e.getMessage().contains("16 steps"), e.getMessage());
    }

    @Test
    void badInputLeavesTheModelUntouched() {
        long before = trained.nonZeroCount();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Magnitude.magnitude().sparsity(1.2));
        assertTrue(e.getMessage().contains("sparsity=1.2 must be in [0, 1)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> trained.prune(Magnitude.magnitude().count(700)));
        assertTrue(e.getMessage().contains("count=700 is larger than parameter '02Linear_weight' (640 weights)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> trained.prune(Magnitude.magnitude().sparsity(0.5).select(Selector.weights().layers("fc1"))));
        assertTrue(e.getMessage().contains("02Linear (Linear)") && e.getMessage().contains("06Linear (Linear)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> trained.prune(Magnitude.magnitude()));
        assertTrue(e.getMessage().contains(".sparsity(0.9)"), e.getMessage());
        assertEquals(before, trained.nonZeroCount());
    }

    @Test
    void structuredShrinkComputesWhatTheMaskedModelComputes() {
        Structured half = Structured.neurons(0.5);
        try (Network masked = half.masked(trained); Network shrunk = trained.shrink(half)) {
            assertEquals(20 * 16 + 16 + 16 * 8 + 8 + 8 * 4 + 4, shrunk.parameterCount());
            assertTrue(shrunk.denseBytes() < trained.denseBytes());
            float[] a = masked.outputs(DATA.test());
            float[] b = shrunk.outputs(DATA.test());
            float maxDiff = 0;
            for (int i = 0; i < a.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
            }
            assertTrue(maxDiff <= 1e-5, "max abs difference " + maxDiff);
            assertEquals(masked.evaluate(DATA).top1(), shrunk.evaluation().top1(), 1e-9);
            assertTrue(shrunk.architecture().name().endsWith("-shrunk"));
            // a shrunk model trains like any other
            try (Network tuned = shrunk.finetune(1)) {
                assertEquals(shrunk.parameterCount(), tuned.parameterCount());
            }
        }
    }

    @Test
    void structuredShrinksConvFiltersToo() {
        DataSplit squares = Synthetic.squares(128, 64, 28, 4, 2);
        try (Network init = Network.create(Zoo.lenet5(), 1);
                Network t = init.train(squares, TrainOptions.epochs(1).batchSize(32).quiet().log(new ExperimentLog()));
                Network masked = Structured.neurons(0.5).masked(t);
                Network shrunk = t.shrink(Structured.neurons(0.5))) {
            // conv 20→10, conv 50→25 (inputs 10), fc 400→250 (inputs 25·4·4), fc 10 (inputs 250)
            assertEquals(10 * 25 + 10 + 25 * 10 * 25 + 25 + 250 * 400 + 250 + 10 * 250 + 10, shrunk.parameterCount());
            float[] a = masked.outputs(squares.test());
            float[] b = shrunk.outputs(squares.test());
            for (int i = 0; i < a.length; i++) {
                assertEquals(a[i], b[i], 1e-4, "output " + i);
            }
        }
    }

    @Test
    void structuredRejectsTheOutputLayer() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> trained.shrink(Structured.neurons(0.5).select(Selector.weights().layers("06Linear"))));
        assertTrue(e.getMessage().contains("output layer"), e.getMessage());
    }

    @Test
    void structuredShrinksWrappedBlocksThroughTheirGraphAndNamesOpaqueOnes() {
        java.util.function.Supplier<ai.djl.nn.Block> block = () ->
                new ai.djl.nn.SequentialBlock().add(ai.djl.nn.core.Linear.builder().setUnits(8).build())
                        .add(ai.djl.nn.norm.BatchNorm.builder().build())
                        .add(ai.djl.nn.core.Linear.builder().setUnits(4).build());
        try (Network n = Network.wrap("with-batchnorm", block, new long[] {20}, 4, 1);
                Network slim = n.shrink(Structured.neurons(0.5))) {
            assertEquals(20 * 4 + 4 + 4 * 4 + 4 * 4 + 4, slim.parameterCount(), slim.toString());
        }
        dev.compresso.model.Architecture opaque = new dev.compresso.model.Architecture("opaque", "a TorchScript stand-in", block,
                new long[] {20}, 4);
        long before;
        try (Network n = Network.create(opaque, 1)) {
            before = n.nonZeroCount();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> n.shrink(Structured.neurons(0.5)));
            assertTrue(e.getMessage().contains("wraps an opaque block (a TorchScript stand-in)") && e.getMessage().contains("onnx("),
                    e.getMessage());
            assertEquals(before, n.nonZeroCount(), "the input model is untouched");
        }
    }

    @Test
    void sensitivityHasARowPerLayerAndSparsity() {
        Table t = Sensitivity.analyze(trained, DATA, Selector.weights(), 0.0, 0.5, 0.99);
        assertEquals(9, t.rowCount());
        assertEquals(trained.evaluation().top1(), t.doubleColumn("top1").get(0), 1e-9);
        assertTrue(t.doubleColumn("top1").get(2) < t.doubleColumn("top1").get(0));
        assertEquals(3, Sensitivity.chart(t).getSeriesMap().size());
        assertEquals(trained.evaluation().top1(), trained.evaluate(DATA).top1(), 1e-9, "the network is untouched");
    }

    @Test
    void lotteryTicketRewindsTheSurvivorsToTheirInitialValues() {
        try (Network init = Network.create(Zoo.mlp(20, 32, 16, 4), 9)) {
            LotteryTicket lt = LotteryTicket.rounds(2, 0.5);
            ExperimentLog log = new ExperimentLog();
            try (Network ticket = lt.run(init, DATA, TrainOptions.epochs(1).batchSize(32).learningRate(0.01).quiet().log(log))) {
                assertEquals(0.75, lt.finalSparsity(), 1e-12);
                assertEquals(480, zeros(ticket, "02Linear_weight"));
                assertEquals(3, log.size(), "dense, round 1, round 2");
                assertTrue(ticket.chain().contains("lottery(round 2/2"), ticket.chain());
                assertTrue(ticket.evaluation().top1() > 0.5);
            }
            // rewinding: with a learning rate of ~0 training changes nothing, so the final ticket
            // must be exactly the initial weights on the survivors and zero elsewhere
            try (Network still = LotteryTicket.rounds(1, 0.5).run(init, DATA,
                    TrainOptions.epochs(1).batchSize(512).learningRate(1e-12).quiet().log(log))) {
                float[] w0 = init.weights("02Linear_weight");
                float[] w = still.weights("02Linear_weight");
                int survivors = 0;
                for (int i = 0; i < w.length; i++) {
                    if (w[i] != 0f) {
                        assertEquals(w0[i], w[i], 1e-6);
                        survivors++;
                    }
                }
                assertEquals(320, survivors);
            }
        }
    }

    @Test
    void worksFromAFreshThreadAsInANotebookCell() throws Exception {
        // PyTorch's grad mode is per thread and on by default outside the engine's loading thread;
        // in-place mask updates must still work there (each notebook cell runs in a new thread).
        Throwable[] failure = new Throwable[1];
        Thread cell = new Thread(() -> {
            try (Network p = trained.prune(Magnitude.magnitude().sparsity(0.5)); Network t = p.finetune(1)) {
                assertEquals(320, zeros(t, "02Linear_weight"));
            } catch (Throwable e) {
                failure[0] = e;
            }
        });
        cell.start();
        cell.join();
        if (failure[0] != null) {
            throw new AssertionError("pruning in a new thread failed: " + failure[0], failure[0]);
        }
    }

    @Test
    void reportShowsSparsityAndSparseBytes() {
        try (Network p = trained.prune(Magnitude.magnitude().sparsity(0.5))) {
            Table r = SparsityReport.of(p);
            assertEquals(4, r.rowCount());
            assertEquals(0.5, r.doubleColumn("sparsity").get(0), 1e-9);
            assertEquals(8 * 320 + 4 * 33 + 4 * 32, r.longColumn("sparse_bytes").get(0));
            assertEquals("total", r.stringColumn("layer").get(3));
        }
    }
}
