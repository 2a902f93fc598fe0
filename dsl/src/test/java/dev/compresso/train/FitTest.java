package dev.compresso.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import dev.compresso.data.DataSplit;
import dev.compresso.data.Synthetic;
import dev.compresso.eval.ExperimentLog;
import dev.compresso.model.Network;
import dev.compresso.model.Zoo;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("engine")
class FitTest {

    private static final DataSplit BLOBS = Synthetic.blobs(512, 128, 10, 4, 3);

    private static TrainOptions opts(int epochs) {
        return TrainOptions.epochs(epochs).batchSize(32).quiet().log(new ExperimentLog());
    }

    @Test
    void sameSeedSameResult() {
        try (Network net = Network.create(Zoo.mlp(10, 16, 4), 1);
                Network a = net.train(BLOBS, opts(2));
                Network b = net.train(BLOBS, opts(2))) {
            String w = net.parameterNames().get(0);
            assertArrayEquals(a.weights(w), b.weights(w));
            assertEquals(a.evaluation().loss(), b.evaluation().loss());
            try (Network c = net.train(BLOBS, opts(2).seed(7))) {
                assertFalse(java.util.Arrays.equals(a.weights(w), c.weights(w)));
            }
        }
    }

    @Test
    void progressReportsEveryBatchThenDone() {
        List<Progress> events = new ArrayList<>();
        try (Network net = Network.create(Zoo.mlp(10, 4), 1);
                Network t = net.train(BLOBS, opts(2).listener(events::add))) {
            assertEquals(2 * 16 + 1, events.size());
            Progress first = events.get(0);
            assertEquals(1, first.epoch());
            assertEquals(1, first.batch());
            assertEquals(16, first.batches());
            assertTrue(first.etaSeconds() >= 0);
            Progress last = events.get(events.size() - 1);
            assertTrue(last.done());
            assertEquals(1.0, last.fraction(), 1e-9);
            assertTrue(last.line().contains("epoch 2/2"), last.line());
            assertEquals(t.history().epochs().get(1).trainLoss(), last.loss(), 1e-9);
        }
    }

    @Test
    void interruptStopsWithinOneBatchAndKeepsAUsableModel() {
        List<Progress> events = new ArrayList<>();
        Progress.Listener interruptAtThirdBatch = p -> {
            events.add(p);
            if (p.batch() == 3) {
                Thread.currentThread().interrupt();
            }
        };
        try (Network net = Network.create(Zoo.mlp(10, 4), 1)) {
            TrainingInterruptedException e = assertThrows(TrainingInterruptedException.class,
                    () -> net.train(BLOBS, opts(5).listener(interruptAtThirdBatch)));
            assertEquals(3, events.size(), "no batch may run after the interrupt");
            assertFalse(Thread.currentThread().isInterrupted(), "the flag is consumed by the exception");
            assertTrue(e.getMessage().contains("epoch 1, batch 3"), e.getMessage());
            try (Network partial = e.partial()) {
                String w = net.parameterNames().get(0);
                assertFalse(java.util.Arrays.equals(net.weights(w), partial.weights(w)), "three steps were taken");
                assertTrue(partial.chain().contains("stopped at epoch 1, batch 3"), partial.chain());
                assertTrue(partial.evaluate(BLOBS).top1() >= 0);
            }
        }
    }

    @Test
    void constraintsHoldAfterEveryStep() {
        // Zero the first row of the first weight and keep it zero: a pruning mask in miniature.
        Constraint zeroFirstRow = params -> {
            NDArray w = params.values().iterator().next();
            w.set(new ai.djl.ndarray.index.NDIndex("0"), 0f);
        };
        List<Float> rowSums = new ArrayList<>();
        try (Network net = Network.create(Zoo.mlp(10, 8, 4), 1)) {
            Network constrained = net.withConstraint(net.name(), "zero row 0", zeroFirstRow);
            String w = net.parameterNames().get(0);
            Progress.Listener check = p -> {
                float[] v = constrained.weights(w);
                float s = 0;
                for (int i = 0; i < 10; i++) {
                    s += Math.abs(v[i]);
                }
                rowSums.add(s);
            };
            // train in place through Fit so the listener sees the live weights after each step
            Fit.fit(constrained, BLOBS, opts(1).listener(check));
            assertEquals(17, rowSums.size());
            for (float s : rowSums) {
                assertEquals(0f, s);
            }
            try (Network trained = constrained.train(BLOBS, opts(1))) {
                assertEquals(0f, trained.weights(w)[3]);
                assertEquals(1, trained.constraints().size());
            }
            constrained.close();
        }
    }

    @Test
    void learnsImageDataWithAConvNet() {
        DataSplit squares = Synthetic.squares(256, 64, 28, 4, 1);
        try (Network net = Network.create(Zoo.lenet5(), 1); Network t = net.train(squares, opts(2))) {
            assertTrue(t.evaluation().top1() > 0.9, t.evaluation().toString());
            assertTrue(t.evaluation().microsPerSample() > 0);
        }
    }

    @Test
    void optionsRejectBadValuesWithTheFix() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainOptions.epochs(0));
        assertTrue(e.getMessage().contains("epochs=0 must be ≥ 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TrainOptions.epochs(1).batchSize(-4));
        assertTrue(e.getMessage().contains("batchSize=-4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TrainOptions.epochs(1).optimizer("adamw2"));
        assertTrue(e.getMessage().contains("'adamw2'") && e.getMessage().contains("[adam, sgd, momentum]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TrainOptions.epochs(1).learningRate(0));
        assertTrue(e.getMessage().contains("learningRate=0.0"), e.getMessage());
        assertEquals("sgd", TrainOptions.epochs(1).optimizer(" SGD ").optimizer());
    }

    @Test
    void sgdAndMomentumTrainToo() {
        try (Network net = Network.create(Zoo.mlp(10, 4), 1);
                Network s = net.train(BLOBS, opts(2).optimizer("sgd").learningRate(0.05));
                Network m = net.train(BLOBS, opts(2).optimizer("momentum").learningRate(0.01))) {
            assertTrue(s.evaluation().top1() > 0.8, s.evaluation().toString());
            assertTrue(m.evaluation().top1() > 0.8, m.evaluation().toString());
        }
    }
}
