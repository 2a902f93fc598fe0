package dev.compresso.lowrank;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.compresso.data.DataSplit;
import dev.compresso.data.Synthetic;
import dev.compresso.eval.ExperimentLog;
import dev.compresso.model.Architecture;
import dev.compresso.model.LayerSpec;
import dev.compresso.model.Network;
import dev.compresso.model.Zoo;
import dev.compresso.train.TrainOptions;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("engine")
class LowRankTest {

    private static final DataSplit DATA = Synthetic.blobs(512, 256, 20, 4, 5);
    private static final ExperimentLog LOG = new ExperimentLog();
    private static Network trained;

    @BeforeAll
    static void train() {
        try (Network init = Network.create(Zoo.mlp(20, 16, 12, 4), 1)) {
            trained = init.train(DATA, TrainOptions.epochs(3).batchSize(32).learningRate(0.01).quiet().log(LOG));
        }
    }

    @AfterAll
    static void close() {
        trained.close();
    }

    @Test
    void fullRankComputesTheSameFunction() {
        // rank 12 = min(12, 16) reproduces 04Linear exactly; no fine-tuning so outputs can be compared
        try (Network full = LowRank.rank(12).layers("04Linear").finetune(0).apply(trained)) {
            List<LayerSpec> specs = full.architecture().layers();
            assertEquals(new LayerSpec.Dense(12, false), specs.get(3));
            assertEquals(new LayerSpec.Dense(12), specs.get(4));
            assertEquals(List.of("02Linear_weight", "02Linear_bias", "04Linear_weight", "05Linear_weight", "05Linear_bias",
                    "07Linear_weight", "07Linear_bias"), full.parameterNames());
            float[] a = trained.outputs(DATA.test());
            float[] b = full.outputs(DATA.test());
            for (int i = 0; i < a.length; i++) {
                assertEquals(a[i], b[i], 1e-4, "output " + i);
            }
            assertArrayEquals(trained.weights("04Linear_bias"), full.weights("05Linear_bias"));
            assertEquals(trained.evaluation().top1(), full.evaluation().top1(), 1e-9);
            assertTrue(full.chain().endsWith("lowRank(rank=12, layers=[04Linear])"), full.chain());
        }
    }

    @Test
    void lowRankShrinksFineTunesAndLogs() {
        int before = LOG.size();
        try (Network thin = LowRank.rank(2).named("thin").apply(trained)) {
            // 02Linear 16×20 → 20·2 + 2·16 + 16 = 88 instead of 336; 04Linear 12×16 → 32 + 24 + 12 = 68 instead of 204
            assertEquals(trained.parameterCount() - 336 - 204 + 88 + 68, thin.parameterCount());
            assertEquals("thin", thin.name());
            assertEquals(before + 1, LOG.size());
            assertTrue(thin.evaluation().top1() > 0.5, thin.evaluation().toString());
            assertEquals(trained.history().epochs().size() + 1, thin.history().epochs().size());
            // the architecture survives an encode/decode (packing) round trip
            assertEquals(thin.architecture().layers(), Architecture.decode(thin.architecture().encode()).layers());
        }
    }

    @Test
    void energyPicksRanksPerLayer() {
        var ranks = LowRank.energy(1.0).ranks(trained);
        assertEquals(List.of("02Linear", "04Linear"), List.copyOf(ranks.keySet()));
        assertEquals(16, ranks.get("02Linear"));
        assertEquals(12, ranks.get("04Linear"));
        var small = LowRank.energy(0.5).ranks(trained);
        assertTrue(small.get("02Linear") < 16 && small.get("02Linear") >= 1, small.toString());
        try (Network e = LowRank.energy(0.9).finetune(0).apply(trained)) {
            assertTrue(e.chain().contains("lowRank(energy=0.900: 02Linear r="), e.chain());
            assertFalse(e.architecture().isSequential() == false);
        }
    }

    @Test
    void errorsNameTheFix() {
        assertEquals("rank=17 for layer '02Linear' (16×20) must be ≤ 16; pick a smaller rank, or energy(share) to choose one per layer",
                assertThrows(IllegalArgumentException.class, () -> LowRank.rank(17).apply(trained)).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LowRank.energy(0)).getMessage()
                .startsWith("energy=0.0 must be in (0, 1]"));
        assertThrows(IllegalArgumentException.class, () -> LowRank.energy(1.01));
        assertThrows(IllegalArgumentException.class, () -> LowRank.rank(0));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LowRank.rank(2).layers("03Relu").apply(trained))
                .getMessage().startsWith("network 'mlp-20-16-12-4' has no layer '03Relu'; its layers are [02Linear (Linear)"));
        try (Network conv = Network.create(Zoo.lenet5(), 1)) {
            assertTrue(assertThrows(IllegalArgumentException.class, () -> LowRank.rank(2).layers("01Conv2d").apply(conv))
                    .getMessage().startsWith("layer '01Conv2d' is Conv2d; low-rank factorization replaces Linear layers"));
        }
        try (Network untrained = Network.create(Zoo.mlp(20, 8, 4), 1);
                Network f = LowRank.rank(2).apply(untrained)) {
            assertNull(f.evaluation()); // nothing to fine-tune or evaluate on, and no error
        }
    }
}
