package dev.compresso.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.compresso.data.DataSplit;
import dev.compresso.data.Synthetic;
import dev.compresso.model.Network;
import dev.compresso.model.Zoo;
import dev.compresso.prune.Magnitude;
import dev.compresso.runs.RunStore;
import dev.compresso.train.TrainOptions;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tech.tablesaw.api.Table;

/** Named sweeps kept in the run store ($COMPRESSO_RUNS, set by the build to target/test-runs.db). */
@Tag("engine")
class SweepResumeTest {

    private static final DataSplit DATA = Synthetic.blobs(512, 256, 20, 4, 5);
    private static final AtomicInteger CALLS = new AtomicInteger();
    private static final Grid GRID = Grid.of("sparsity", 0.3, 0.6, 0.9);
    private static Network base;

    @BeforeAll
    static void train() {
        base = Network.create(Zoo.mlp(20, 32, 16, 4), 3)
                .train(DATA, TrainOptions.epochs(3).batchSize(32).learningRate(0.01).quiet().log(new ExperimentLog()));
    }

    /** The recipe both JVMs run: the same lambda, so the same fingerprint. Slow at 0.6 when asked, so it can be killed there. */
    static Sweep.Recipe recipe() {
        return p -> {
            CALLS.incrementAndGet();
            if (p.get("sparsity") == 0.6 && Boolean.getBoolean("sweep.slow")) {
                try {
                    Thread.sleep(120_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return base.prune(Magnitude.magnitude().sparsity(p.get("sparsity")));
        };
    }

    /** The child JVM of {@link #aSweepKilledWithSigkillResumesWithTheConfigurationsThatFinished}. */
    public static void main(String[] args) {
        train();
        Sweep.run(args[0], GRID, new long[0], recipe(), Sweep.HERE);
    }

    @Test
    void aSweepKilledWithSigkillResumesWithTheConfigurationsThatFinished() throws Exception {
        String name = "killed-" + UUID.randomUUID();
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true", "-Dsweep.slow=true", "-cp", System.getProperty("java.class.path"),
                SweepResumeTest.class.getName(), name));
        Process child = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        StringBuilder seen = new StringBuilder();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null; ) {
                seen.append(line).append('\n');
                if (line.startsWith("sweep 2/3")) {
                    break; // 0.3 is finished and stored; 0.6 sleeps
                }
            }
            child.destroyForcibly(); // SIGKILL: no shutdown hook, no finally
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        }
        assertEquals(137, child.exitValue(), seen.toString());
        CALLS.set(0);
        Sweep s = Sweep.run(name, GRID, new long[0], recipe(), Sweep.HERE);
        assertEquals(2, CALLS.get(), "0.3 finished before the kill and is not run again");
        assertEquals(3, s.runs().rowCount());
        assertEquals(List.of("sparsity=0.3", "sparsity=0.6", "sparsity=0.9"), s.summary().stringColumn("config").asList());
        assertTrue(s.pareto().rowCount() >= 1);
        Table stored = RunStore.session().query("SELECT config FROM runs WHERE sweep = '" + name + "' ORDER BY config");
        assertEquals(List.of("sparsity=0.3", "sparsity=0.6", "sparsity=0.9"), stored.stringColumn("config").asList());
    }

    @Test
    void anInterruptedNamedSweepRunsOnlyTheRestAndRefusesAnotherPlan() {
        String name = "resume-" + UUID.randomUUID();
        CALLS.set(0);
        // a runner that stops after the first configuration, as a kernel that died there
        Sweep first = Sweep.run(name, GRID, new long[0], recipe(), (sw, todo, r, done) -> {
            done.accept(Sweep.runOne(sw, todo.get(0), r));
            return false;
        });
        assertTrue(first.interrupted());
        assertEquals(1, first.runs().rowCount());
        CALLS.set(0);
        Sweep again = Sweep.run(name, GRID, new long[0], recipe(), Sweep.HERE);
        assertEquals(2, CALLS.get());
        assertEquals(3, again.summary().rowCount(), "old and new configurations");
        assertTrue(ExperimentLog.session().table().stringColumn("name").contains("sweep[sparsity=0.3]"));
        CALLS.set(0);
        Sweep third = Sweep.run(name, GRID, new long[0], recipe(), Sweep.HERE);
        assertEquals(0, CALLS.get(), "nothing left to run");
        assertEquals(again.summary().doubleColumn("top1_mean").asList(), third.summary().doubleColumn("top1_mean").asList());

        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Sweep.run(name, Grid.of("sparsity", 0.3, 0.95), new long[0], recipe(), Sweep.HERE));
        assertTrue(e.getMessage().contains("'" + name + "'") && e.getMessage().contains("grid(sparsity=[0.3, 0.6, 0.9])")
                && e.getMessage().contains("forgetSweep"), e.getMessage());
        Sweep.Recipe other = p -> base.prune(Magnitude.magnitude().sparsity(p.get("sparsity") / 2));
        e = assertThrows(IllegalStateException.class, () -> Sweep.run(name, GRID, new long[0], other, Sweep.HERE));
        assertTrue(e.getMessage().contains("changed recipe"), e.getMessage());
        assertEquals(3, RunStore.session().forgetSweep(name));
        CALLS.set(0);
        assertEquals(2, Sweep.run(name, Grid.of("sparsity", 0.3, 0.95), new long[0], recipe(), Sweep.HERE).runs().rowCount());
        assertEquals(2, CALLS.get(), "a fresh start after forgetSweep");
        IllegalArgumentException blank = assertThrows(IllegalArgumentException.class,
                () -> Sweep.run(" ", GRID, new long[0], recipe(), Sweep.HERE));
        assertTrue(blank.getMessage().contains("' '") && blank.getMessage().contains("1 to 200"), blank.getMessage());
    }
}
