package dev.compresso.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.compresso.data.FashionMnist;
import dev.compresso.eval.Grid;
import dev.compresso.eval.Sweep;
import dev.compresso.model.Network;
import dev.compresso.model.Zoo;
import dev.compresso.prune.Magnitude;
import dev.compresso.runs.RunStore;
import dev.compresso.train.TrainOptions;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tech.tablesaw.api.Table;

/**
 * A standalone Spark cluster on 127.0.0.1 ({@link LocalCluster}): a master and two workers, separate
 * JVMs started from Spark's own jars (laid out as $SPARK_HOME/jars from the Maven jars, without the
 * DSL, DJL or PyTorch: those reach the executors as the application's jars). One worker is killed mid-sweep; all eight
 * results must arrive exactly once.
 */
@Tag("engine")
@Tag("cluster")
public class ClusterSparkTest {

    private static LocalCluster cluster;
    private static long t0;

    /** Fashion-MNIST through the usual locator, a small MLP trained once per executor, pruned and fine-tuned per configuration. */
    static Sweep.Recipe recipe() {
        return p -> {
            Network base = Spark.perWorker("cluster-test-base", () -> Network.create(Zoo.mlp(784, 64, 10), 42)
                    .train(FashionMnist.load(), TrainOptions.epochs(1).quiet()));
            return base.prune(Magnitude.magnitude().sparsity(p.get("sparsity")).finetune(1));
        };
    }

    @BeforeAll
    static void startCluster() {
        t0 = System.nanoTime();
        cluster = LocalCluster.start(Path.of("target", "spark-home"), 2);
    }

    @AfterAll
    static void stopCluster() {
        Spark.stop();
        if (cluster != null) {
            cluster.close();
        }
        System.out.printf("cluster test: %.1f s from starting the master to stopping everything%n", (System.nanoTime() - t0) / 1e9);
    }

    @Test
    void eightConfigurationsArriveExactlyOnceThoughAWorkerIsKilled() throws Exception {
        String name = "cluster-" + UUID.randomUUID();
        Grid grid = Grid.of("sparsity", 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9);
        AtomicLong killedAt = new AtomicLong();
        Thread killer = new Thread(() -> {
            try {
                while (true) {
                    Thread.sleep(200);
                    Table t = RunStore.session().query("SELECT count(*) AS n FROM runs WHERE sweep = '" + name + "'");
                    if (t.longColumn("n").get(0) >= 1) {
                        cluster.killWorker(0); // SIGKILL, its executor with it
                        killedAt.set(t.longColumn("n").get(0));
                        return;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        killer.setDaemon(true);
        killer.start();
        long start = System.nanoTime();
        Sweep s = Sweep.run(name, grid, new long[0], recipe(), Spark.spark(cluster.url()).conf("spark.executor.memory", "2g"));
        System.out.printf("cluster sweep: %.1f s for 8 configurations, worker 0 killed after %d result(s)%n",
                (System.nanoTime() - start) / 1e9, killedAt.get());
        killer.join(1000);
        assertTrue(killedAt.get() >= 1 && killedAt.get() < 8, "the worker was killed mid-sweep, after " + killedAt.get() + " results");
        assertFalse(cluster.workerAlive(0));
        assertEquals(8, s.runs().rowCount(), s.toString());
        assertEquals(0, s.failures().rowCount(), s.toString());
        Table stored = RunStore.session().query("SELECT config, status, threads, top1, pytorch FROM runs WHERE sweep = '" + name + "'");
        assertEquals(8, stored.rowCount(), "each configuration exactly once:\n" + stored.print());
        Set<String> configs = new HashSet<>(stored.stringColumn("config").asList());
        assertEquals(8, configs.size(), stored.print());
        for (int r = 0; r < stored.rowCount(); r++) {
            assertEquals("ok", stored.stringColumn("status").get(r));
            assertEquals(1L, stored.longColumn("threads").get(r), "one PyTorch thread per task");
            assertTrue(stored.doubleColumn("top1").get(r) > 0.5, "trained on Fashion-MNIST: " + stored.print());
        }
    }

    /** Set by the JShell cell of {@link #aRecipeWrittenInANotebookCellRunsOnTheCluster}. */
    public static Sweep.Recipe fromCell;

    @Test
    void aRecipeWrittenInANotebookCellRunsOnTheCluster() {
        try (jdk.jshell.JShell js = jdk.jshell.JShell.builder().executionEngine("local").build()) {
            for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
                js.addToClasspath(e);
            }
            String cell = "dev.compresso.spark.ClusterSparkTest.fromCell = p -> dev.compresso.spark.Spark.perWorker(\"cell-base\","
                    + " () -> dev.compresso.model.Network.create(dev.compresso.model.Zoo.mlp(784, 32, 10), 7)"
                    + ".train(dev.compresso.data.FashionMnist.load(), dev.compresso.train.TrainOptions.epochs(1).quiet()))"
                    + ".prune(dev.compresso.prune.Magnitude.magnitude().sparsity(p.get(\"sparsity\")));";
            for (jdk.jshell.SnippetEvent e : js.eval(cell)) {
                assertTrue(e.status() == jdk.jshell.Snippet.Status.VALID && e.exception() == null,
                        "the cell failed: " + e.exception() + js.diagnostics(e.snippet()).map(d -> d.getMessage(null)).toList());
            }
            assertTrue(fromCell.getClass().getName().startsWith("REPL."), fromCell.getClass().getName());
            Sweep s = Sweep.run(null, Grid.of("sparsity", 0.5, 0.9), new long[0], fromCell,
                    Spark.spark(cluster.url()).conf("spark.executor.memory", "2g"));
            assertEquals(0, s.failures().rowCount(), s.toString());
            assertEquals(2, s.runs().rowCount(), s.toString());
            assertTrue(s.runs().doubleColumn("top1").get(0) > 0.5, s.toString());
        }
    }
}
