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
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tech.tablesaw.api.Table;

/**
 * A standalone Spark cluster on 127.0.0.1: a master and two workers, separate JVMs started from
 * Spark's own jars (laid out as $SPARK_HOME/jars from the Maven jars, without the DSL, DJL or PyTorch:
 * those reach the executors as the application's jars). One worker is killed mid-sweep; all eight
 * results must arrive exactly once.
 */
@Tag("engine")
@Tag("cluster")
class ClusterSparkTest {

    private static final Path HOME = Path.of("target", "spark-home").toAbsolutePath();
    private static final List<Process> STARTED = new ArrayList<>();
    private static Process master;
    private static final Process[] WORKERS = new Process[2];
    private static String url;
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
    static void startCluster() throws Exception {
        t0 = System.nanoTime();
        layOutSparkHome();
        int port = freePort();
        url = "spark://127.0.0.1:" + port;
        master = start("master", List.of("org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", String.valueOf(port),
                "--webui-port", String.valueOf(freePort())));
        waitForPort(port, 60);
        for (int i = 0; i < 2; i++) {
            Path work = HOME.resolve("work-" + i);
            Files.createDirectories(work);
            WORKERS[i] = start("worker-" + i, List.of("org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
                    "--webui-port", String.valueOf(freePort()), "--cores", "1", "--memory", "3g", "--work-dir", work.toString(), url));
        }
    }

    @AfterAll
    static void stopCluster() {
        Spark.stop();
        for (Process p : STARTED) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        for (Process p : STARTED) {
            try {
                p.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
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
                        WORKERS[0].descendants().forEach(ProcessHandle::destroyForcibly); // its executor goes with it
                        WORKERS[0].destroyForcibly(); // SIGKILL
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
        Sweep s = Sweep.run(name, grid, new long[0], recipe(), Spark.spark(url).conf("spark.executor.memory", "2g"));
        System.out.printf("cluster sweep: %.1f s for 8 configurations, worker 0 killed after %d result(s)%n",
                (System.nanoTime() - start) / 1e9, killedAt.get());
        killer.join(1000);
        assertTrue(killedAt.get() >= 1 && killedAt.get() < 8, "the worker was killed mid-sweep, after " + killedAt.get() + " results");
        assertFalse(WORKERS[0].isAlive());
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

    /** $SPARK_HOME/jars: Spark's jars and what they need, but none of Compresso's, DJL's, PyTorch's, Tablesaw's or SQLite's. */
    static void layOutSparkHome() throws IOException {
        Path jars = HOME.resolve("jars");
        Files.createDirectories(jars);
        Files.writeString(HOME.resolve("RELEASE"), "Spark laid out by ClusterSparkTest from the Maven jars\n");
        Set<String> app = Set.of("/ai/djl/", "/dev/compresso/", "/tech/tablesaw/", "/org/knowm/", "/org/xerial/sqlite-jdbc/",
                "/org/junit/", "/org/opentest4j/", "/org/apiguardian/", "/target/");
        List<Path> cp = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            cp.addAll(AppJars.expand(e));
        }
        for (Path p : cp) {
            String s = p.toString().replace('\\', '/');
            if (!s.endsWith(".jar") || app.stream().anyMatch(s::contains) || p.getFileName().toString().startsWith("surefire")) {
                continue;
            }
            Path link = jars.resolve(p.getFileName());
            if (!Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                Files.createSymbolicLink(link, p);
            }
        }
    }

    static Process start(String name, List<String> mainAndArgs) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of(org.apache.spark.launcher.JavaModuleOptions.defaultModuleOptionArray()));
        cmd.addAll(List.of("-Xmx512m", "-cp", HOME.resolve("jars") + "/*"));
        cmd.addAll(mainAndArgs);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("SPARK_HOME", HOME.toString());
        pb.environment().put("SPARK_SCALA_VERSION", "2.13");
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        pb.environment().put("SPARK_LOCAL_HOSTNAME", "127.0.0.1");
        pb.redirectErrorStream(true).redirectOutput(HOME.resolve(name + ".log").toFile());
        Process p = pb.start();
        STARTED.add(p);
        return p;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    static void waitForPort(int port, int seconds) throws Exception {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < end) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException e) {
                Thread.sleep(200);
            }
        }
        throw new IllegalStateException("the Spark master did not listen on 127.0.0.1:" + port + " within " + seconds + " s; see "
                + HOME.resolve("master.log"));
    }
}
