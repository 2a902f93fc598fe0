package dev.compresso.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.compresso.data.Synthetic;
import dev.compresso.eval.ExperimentLog;
import dev.compresso.train.TrainOptions;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tech.tablesaw.api.Table;

@Tag("engine")
class NetworkTest {

    @Test
    void lenet300100HasHansParameterCount() {
        try (Network net = Network.create(Zoo.lenet300100(), 1)) {
            assertEquals(266_610, net.parameterCount());
            assertEquals(1_066_440, net.denseBytes());
            List<Layer> layers = net.layers();
            assertEquals(3, layers.size());
            assertEquals("Linear", layers.get(0).type());
            assertArrayEquals(new long[] {300, 784}, layers.get(0).parameters().get(0).shape());
            assertEquals(235_500, layers.get(0).count());
        }
    }

    @Test
    void lenet5IsCaffesVariant() {
        try (Network net = Network.create(Zoo.lenet5(), 1)) {
            assertEquals(431_080, net.parameterCount());
            assertEquals(List.of("Conv2d", "Conv2d", "Linear", "Linear"), net.layers().stream().map(Layer::type).toList());
        }
    }

    @Test
    void sameSeedSameWeightsOtherSeedOtherWeights() {
        try (Network a = Network.create(Zoo.mlp(8, 6, 3), 5);
                Network b = Network.create(Zoo.mlp(8, 6, 3), 5);
                Network c = Network.create(Zoo.mlp(8, 6, 3), 6)) {
            String w = a.parameterNames().get(0);
            assertArrayEquals(a.weights(w), b.weights(w));
            assertFalse(java.util.Arrays.equals(a.weights(w), c.weights(w)));
        }
    }

    @Test
    void copyIsDeepAndIndependent() {
        try (Network net = Network.create(Zoo.mlp(8, 6, 3), 5); Network copy = net.copy()) {
            String w = net.parameterNames().get(0);
            float[] before = net.weights(w);
            assertArrayEquals(before, copy.weights(w));
            copy.parameterArray(w).muli(0);
            assertArrayEquals(before, net.weights(w));
            assertEquals(0, copy.weights(w)[0]);
            assertEquals(net.nonZeroCount() - 48, copy.nonZeroCount());
            assertNotSame(net.block(), copy.block());
        }
    }

    @Test
    void trainingReturnsANewNetworkAndLeavesTheReceiver() {
        var data = Synthetic.blobs(300, 100, 8, 3, 2);
        ExperimentLog log = new ExperimentLog();
        try (Network net = Network.create(Zoo.mlp(8, 16, 3), 5)) {
            String w = net.parameterNames().get(0);
            float[] before = net.weights(w);
            Network trained = net.train(data, TrainOptions.epochs(3).batchSize(16).learningRate(0.01).quiet().log(log));
            assertArrayEquals(before, net.weights(w));
            assertFalse(java.util.Arrays.equals(before, trained.weights(w)));
            assertEquals("init", net.chain());
            assertTrue(trained.chain().startsWith("train(epochs=3, adam"), trained.chain());
            assertTrue(trained.evaluation().top1() > 0.9, trained.evaluation().toString());
            assertEquals(3, trained.history().size());
            assertEquals(1, log.size());
            // a second run with the same name replaces the row
            net.train(data, TrainOptions.epochs(1).quiet().log(log)).close();
            assertEquals(1, log.size());
            net.named("other").train(data, TrainOptions.epochs(1).quiet().log(log)).close();
            assertEquals(2, log.size());
            trained.close();
        }
    }

    @Test
    void dataOfTheWrongShapeIsRejectedWithBothShapes() {
        var data = Synthetic.blobs(10, 10, 5, 3, 2);
        try (Network net = Network.create(Zoo.lenet300100(), 1)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> net.train(data, TrainOptions.epochs(1).quiet()));
            assertTrue(e.getMessage().contains("[5]") && e.getMessage().contains("[1, 28, 28]"), e.getMessage());
        }
        var many = Synthetic.blobs(10, 10, 8, 5, 2);
        try (Network net = Network.create(Zoo.mlp(8, 3), 1)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.evaluate(many));
            assertTrue(e.getMessage().contains("5 classes") && e.getMessage().contains("3 outputs"), e.getMessage());
        }
    }

    @Test
    void summaryHasOneRowPerParameter() {
        try (Network net = Network.create(Zoo.lenet300100(), 1)) {
            Table t = net.summary();
            assertEquals(6, t.rowCount());
            assertEquals(266_610, (long) t.longColumn("count").sum());
            assertEquals("weight", t.stringColumn("parameter").get(0));
            assertTrue(net.toString().contains("266,610"));
            assertTrue(net.toHtml().startsWith("<div"));
        }
    }

    @Test
    void unknownParameterListsTheNames() {
        try (Network net = Network.create(Zoo.mlp(4, 2), 1)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.weights("fc1"));
            assertTrue(e.getMessage().contains("02Linear_weight"), e.getMessage());
        }
    }

    @Test
    void badMlpSizesAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Zoo.mlp(784));
        assertTrue(e.getMessage().contains("mlp(784, 100, 10)"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Zoo.mlp(784, 0, 10));
    }
}
