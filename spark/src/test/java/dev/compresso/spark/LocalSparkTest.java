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

    @Test
    void anInterruptCancelsTheJobAndKeepsWhatFinished() throws Exception {
        String name = "interrupt-" + UUID.randomUUID();
        Grid grid = Grid.of("sparsity", 0.1, 0.2, 0.3, 0.4, 0.5, 0.6);
        Sweep.Recipe slowAfterTwo = p -> {
            if (p.get("sparsity") > 0.25) {
                try {
                    Thread.sleep(120_000);
                } catch (InterruptedException e) {
                    throw new IllegalStateException("cancelled", e);
                }
            }
            return recipe().apply(p);
        };
        java.util.concurrent.atomic.AtomicReference<Sweep> result = new java.util.concurrent.atomic.AtomicReference<>();
        Thread cell = new Thread(() -> result.set(Sweep.run(name, grid, new long[0], slowAfterTwo, Spark.spark("local[2]"))));
        long t0 = System.nanoTime();
        cell.start();
        String count = "SELECT count(*) AS n FROM runs WHERE sweep = '" + name + "' AND status = 'ok'";
        while (RunStore.session().query(count).longColumn("n").get(0) < 2) {
            assertTrue((System.nanoTime() - t0) / 1e9 < 120, "the two quick configurations did not finish");
            Thread.sleep(100);
        }
        Thread.sleep(500); // the slow tasks are running now
        assertTrue(Spark.activeJobs() >= 1);
        cell.interrupt(); // what the kernel does on an interrupt request
        cell.join(30_000);
        assertFalse(cell.isAlive(), "the sweep returned after the interrupt");
        Sweep s = result.get();
        assertTrue(s.interrupted());
        assertEquals(2, s.runs().rowCount(), s.toString());
        long end = System.nanoTime() + 30_000_000_000L;
        while (Spark.activeJobs() > 0 && System.nanoTime() < end) {
            Thread.sleep(100);
        }
        assertEquals(0, Spark.activeJobs(), "the job was cancelled");
        assertTrue((System.nanoTime() - t0) / 1e9 < 100, "cancelling interrupted the sleeping tasks instead of waiting 120 s");
        assertEquals(2L, RunStore.session().query(count).longColumn("n").get(0), "what finished is kept, nothing else was recorded");
    }
}
