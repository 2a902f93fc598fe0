package dev.compresso.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.compresso.data.Synthetic;
import dev.compresso.eval.Grid;
import dev.compresso.eval.Sweep;
import dev.compresso.model.Network;
import dev.compresso.model.Zoo;
import dev.compresso.prune.Magnitude;
import dev.compresso.runs.RunStore;
import dev.compresso.train.TrainOptions;
import java.net.ServerSocket;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tech.tablesaw.api.Table;

/** Embedded local[2] Spark: real tasks, real training, the real run store. */
@Tag("engine")
class LocalSparkTest {

    /** A base trained once per worker JVM on synthetic blobs, pruned and fine-tuned per configuration (two tasks train at once). */
    static Sweep.Recipe recipe() {
        return p -> {
            if (p.get("sparsity") > 0.98) {
                throw new IllegalArgumentException("sparsity " + p.get("sparsity") + " is refused by this test recipe");
            }
            Network base = Spark.perWorker("local-test-base", () -> Network.create(Zoo.mlp(20, 32, 4), 7)
                    .train(Synthetic.blobs(512, 256, 20, 4, 5), TrainOptions.epochs(2).batchSize(32).learningRate(0.01).quiet()));
            return base.prune(Magnitude.magnitude().sparsity(p.get("sparsity")).finetune(1));
        };
    }

    @AfterAll
    static void stop() {
        Spark.stop();
    }

    @Test
    void sweepRunsAsTasksStreamsIntoTheStoreAndResumes() {
        String name = "local-" + UUID.randomUUID();
        Grid grid = Grid.of("sparsity", 0.3, 0.5, 0.7, 0.99);
        Sweep s = Sweep.run(name, grid, new long[0], recipe(), Spark.spark("local[2]"));
        assertFalse(s.interrupted());
        assertEquals(3, s.runs().rowCount(), s.toString());
        assertEquals(1, s.failures().rowCount());
        assertTrue(s.failures().stringColumn("error").get(0).contains("refused by this test recipe"), s.failures().print());
        Table stored = RunStore.session().query("SELECT config, status, threads FROM runs WHERE sweep = '" + name + "' ORDER BY config");
        assertEquals(4, stored.rowCount(), stored.print());
        assertEquals(3, stored.stringColumn("status").countOccurrences("ok"), stored.print());
        assertEquals(1L, stored.longColumn("threads").get(0), "one PyTorch thread per task");
        // the same sweep again: the three finished configurations are not run again, the failed one is retried
        Sweep again = Sweep.run(name, grid, new long[0], recipe(), Spark.spark("local[2]"));
        assertEquals(3, again.runs().rowCount());
        assertEquals(5, RunStore.session().query("SELECT * FROM runs WHERE sweep = '" + name + "'").rowCount());
    }

    @Test
    void aRecipeThatCapturesAModelIsRefusedWithTheFix() {
        Network base = Network.create(Zoo.mlp(4, 4), 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sweep.run(null, Grid.of("s", 0.5),
                new long[0], (Sweep.Recipe) p -> base.prune(Magnitude.magnitude().sparsity(p.get("s"))), Spark.spark("local[2]")));
        assertTrue(e.getMessage().contains("captures a dev.compresso.model.Network"), e.getMessage());
        assertTrue(e.getMessage().contains("perWorker("), e.getMessage());
        IllegalArgumentException plain = assertThrows(IllegalArgumentException.class, () -> Sweep.run(null, Grid.of("s", 0.5),
                new long[0], p -> base, Spark.spark("local[2]")));
        assertTrue(plain.getMessage().contains("not serializable"), plain.getMessage());
        base.close();
    }

    @Test
    void anUnreachableMasterIsNamedWithinThirtySeconds() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String master = "spark://127.0.0.1:" + port;
        long t0 = System.nanoTime();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Sweep.run(null, Grid.of("s", 0.5), new long[0], recipe(), Spark.spark(master)));
        assertTrue((System.nanoTime() - t0) / 1e9 < 30, "took " + (System.nanoTime() - t0) / 1e9 + " s");
        assertTrue(e.getMessage().contains(master) && e.getMessage().contains("start it"), e.getMessage());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> Spark.spark("yarn"));
        assertTrue(bad.getMessage().contains("'yarn'") && bad.getMessage().contains("local[n]"), bad.getMessage());
    }
}
