package dev.compresso.share;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.compresso.data.DataSplit;
import dev.compresso.data.Synthetic;
import dev.compresso.eval.ExperimentLog;
import dev.compresso.model.Network;
import dev.compresso.model.Zoo;
import dev.compresso.prune.Magnitude;
import dev.compresso.train.TrainOptions;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("engine")
class SharingTest {

    private static final DataSplit DATA = Synthetic.blobs(512, 256, 20, 4, 5);
    private static Network pruned;

    @BeforeAll
    static void trainAndPrune() {
        try (Network init = Network.create(Zoo.mlp(20, 32, 16, 4), 3);
                Network t = init.train(DATA, TrainOptions.epochs(3).batchSize(32).learningRate(0.01).quiet().log(new ExperimentLog()))) {
            pruned = t.prune(Magnitude.magnitude().sparsity(0.5));
        }
    }

    @AfterAll
    static void close() {
        pruned.close();
    }

    private static Set<Float> distinctNonZero(float[] w) {
        Set<Float> s = new HashSet<>();
        for (float v : w) {
            if (v != 0f) {
                s.add(v);
            }
        }
        return s;
    }

    private static long zeros(float[] w) {
        long n = 0;
        for (float v : w) {
            if (v == 0f) {
                n++;
            }
        }
        return n;
    }

    @Test
    void sharingKeepsZerosAndUsesAtMostTwoToTheBitsValues() {
        try (Network s = pruned.share(WeightSharing.kmeans().bits(3))) {
            for (String p : new String[] {"02Linear_weight", "04Linear_weight", "06Linear_weight"}) {
                float[] before = pruned.weights(p);
                float[] after = s.weights(p);
                assertTrue(distinctNonZero(after).size() <= 8, p);
                for (int i = 0; i < before.length; i++) {
                    assertEquals(before[i] == 0f, after[i] == 0f, p + "[" + i + "]: zeros stay zeros, others stay non-zero");
                }
            }
            assertTrue(s.evaluation().top1() > 0.8, s.evaluation().toString());
            assertTrue(s.chain().endsWith("share(kmeans, bits=3, init=linear)"), s.chain());
            assertEquals(1, s.constraints().size(), "the codebook supersedes the mask");
        }
    }

    @Test
    void fineTuningMovesCentroidsButKeepsAssignments() {
        try (Network s = pruned.share(WeightSharing.kmeans().bits(2)); Network t = s.finetune(2)) {
            float[] a = s.weights("02Linear_weight");
            float[] b = t.weights("02Linear_weight");
            assertTrue(distinctNonZero(b).size() <= 4);
            assertEquals(zeros(a), zeros(b));
            // weights that shared a centroid before share one after: the assignment is fixed
            java.util.Map<Float, Float> mapping = new java.util.HashMap<>();
            for (int i = 0; i < a.length; i++) {
                Float previous = mapping.putIfAbsent(a[i], b[i]);
                if (previous != null) {
                    assertEquals(previous, b[i], 0f);
                }
            }
            assertTrue(!distinctNonZero(a).equals(distinctNonZero(b)), "the centroids moved");
        }
    }

    @Test
    void mixedPrecisionPerLayer() {
        try (Network s = pruned.share(WeightSharing.kmeans().bits(4).bits("06Linear", 1).init("kmeans++"))) {
            assertTrue(distinctNonZero(s.weights("06Linear_weight")).size() <= 2);
            assertTrue(distinctNonZero(s.weights("02Linear_weight")).size() > 2);
        }
    }

    @Test
    void badInputGetsTheRuleAndTheFix() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WeightSharing.kmeans().bits(17));
        assertTrue(e.getMessage().contains("bits=17 must be in 1 to 16"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> WeightSharing.kmeans().bits(0));
        assertTrue(e.getMessage().contains("bits=0"), e.getMessage());
        // 06Linear has 64 weights, 32 left after pruning: fewer than 2^6 centroids, so each keeps its own value
        try (Network six = pruned.share(WeightSharing.kmeans().bits(6))) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(pruned.weights("06Linear_weight"), six.weights("06Linear_weight"));
        }
        try (Network s = pruned.share(WeightSharing.kmeans().bits(2))) {
            IllegalStateException order = assertThrows(IllegalStateException.class,
                    () -> s.prune(Magnitude.magnitude().sparsity(0.8)));
            assertTrue(order.getMessage().contains("prune before sharing"), order.getMessage());
            IllegalStateException twice = assertThrows(IllegalStateException.class,
                    () -> s.share(WeightSharing.kmeans().bits(2)));
            assertTrue(twice.getMessage().contains("already shared"), twice.getMessage());
        }
    }
}
