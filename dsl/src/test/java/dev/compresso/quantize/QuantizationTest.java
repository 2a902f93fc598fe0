package dev.compresso.quantize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.compresso.data.DataSplit;
import dev.compresso.data.Synthetic;
import dev.compresso.eval.ExperimentLog;
import dev.compresso.model.LayerSpec;
import dev.compresso.model.Network;
import dev.compresso.model.Zoo;
import dev.compresso.prune.Magnitude;
import dev.compresso.share.CodebookConstraint;
import dev.compresso.share.WeightSharing;
import dev.compresso.train.TrainOptions;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("engine")
class QuantizationTest {

    private static final DataSplit DATA = Synthetic.blobs(512, 256, 20, 4, 5);
    private static Network trained;

    @BeforeAll
    static void train() {
        try (Network init = Network.create(Zoo.mlp(20, 32, 16, 4), 3)) {
            trained = init.train(DATA, TrainOptions.epochs(3).batchSize(32).learningRate(0.01).quiet().log(new ExperimentLog()));
        }
    }

    @AfterAll
    static void close() {
        trained.close();
    }

    private static int distinct(float[] w) {
        Set<Float> s = new HashSet<>();
        for (float v : w) {
            s.add(v);
        }
        return s.size();
    }

    @Test
    void postTrainingQuantizationAtEightBitsKeepsAccuracy() {
        try (Network q = trained.quantize(Quantization.weightsTo(8))) {
            assertTrue(distinct(q.weights("02Linear_weight")) <= 255);
            assertEquals(trained.evaluation().top1(), q.evaluation().top1(), 0.02);
            assertTrue(q.chain().endsWith("quantize(weights=8 bit, per tensor, symmetric)"), q.chain());
        }
    }

    @Test
    void mixedPrecisionAndPerChannelAsymmetric() {
        try (Network q = trained.quantize(Quantization.weightsTo(6).bits("06Linear", 2).perChannel().asymmetric())) {
            assertTrue(distinct(q.weights("06Linear_weight")) <= 4 * 4, "≤ 4 levels in each of 4 rows");
            assertTrue(distinct(q.weights("02Linear_weight")) > 16);
        }
    }

    @Test
    void quantizationAwareTrainingKeepsWeightsOnTheGridAndLearns() {
        try (Network q = trained.quantize(Quantization.weightsTo(3).finetune(2))) {
            float[] w = q.weights("02Linear_weight");
            assertTrue(distinct(w) <= 7, "3-bit symmetric grid: " + distinct(w));
            assertTrue(q.evaluation().top1() > 0.7, q.evaluation().toString());
            // training again keeps it on the grid
            try (Network more = q.finetune(1)) {
                assertTrue(distinct(more.weights("02Linear_weight")) <= 7);
            }
        }
    }

    @Test
    void activationsAreCalibratedAndSimulated() {
        try (Network q = trained.quantize(Quantization.weightsTo(8).activations(8).calibrate("percentile", 99.9))) {
            long quantRelus = q.architecture().layers().stream().filter(l -> l instanceof LayerSpec.QuantRelu).count();
            assertEquals(2, quantRelus);
            assertEquals(trained.evaluation().top1(), q.evaluation().top1(), 0.03);
            assertTrue(q.chain().contains("activations=8 bit p99.9"), q.chain());
        }
    }

    @Test
    void quantizingASharedModelKeepsClustersAndZeros() {
        try (Network pruned = trained.prune(Magnitude.magnitude().sparsity(0.5));
                Network shared = pruned.share(WeightSharing.kmeans().bits(3));
                Network q = shared.quantize(Quantization.weightsTo(4))) {
            float[] a = shared.weights("02Linear_weight");
            float[] b = q.weights("02Linear_weight");
            for (int i = 0; i < a.length; i++) {
                assertEquals(a[i] == 0f, b[i] == 0f);
            }
            assertTrue(distinct(b) <= distinct(a));
            try (Network tuned = q.finetune(1)) {
                assertTrue(distinct(tuned.weights("02Linear_weight")) <= 9, "≤ 8 centroids and zero");
            }
            assertNull(shared.constraint(QuantConstraint.class));
            assertNotNull(shared.constraint(CodebookConstraint.class));
            assertNotNull(q.constraint(QuantConstraint.class), "quantizing adds its constraint");
            assertNull(q.constraint(CodebookConstraint.class), "its own constraint keeps the codebook, in place of the old one");
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> q.share(WeightSharing.kmeans().bits(2)));
            assertTrue(e.getMessage().contains("share before quantizing"), e.getMessage());
            e = assertThrows(IllegalStateException.class, () -> q.prune(Magnitude.magnitude().sparsity(0.6)));
            assertTrue(e.getMessage().contains("prune before quantizing"), e.getMessage());
            e = assertThrows(IllegalStateException.class, () -> q.quantize(Quantization.weightsTo(8)));
            assertTrue(e.getMessage().contains("already quantized"), e.getMessage());
        }
    }

    @Test
    void badBitsAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Quantization.weightsTo(1));
        assertTrue(e.getMessage().contains("bits=1 must be in 2 to 16"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Quantization.weightsTo(8).activations(17));
        assertThrows(IllegalArgumentException.class, () -> Quantization.weightsTo(8).calibrate("entropy"));
    }
}
