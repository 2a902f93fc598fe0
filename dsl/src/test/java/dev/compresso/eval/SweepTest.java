package dev.compresso.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.compresso.data.DataSplit;
import dev.compresso.data.Synthetic;
import dev.compresso.model.Network;
import dev.compresso.model.Zoo;
import dev.compresso.prune.Magnitude;
import dev.compresso.share.WeightSharing;
import dev.compresso.train.TrainOptions;
import dev.compresso.train.TrainingInterruptedException;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tech.tablesaw.api.Table;

@Tag("engine")
class SweepTest {

    private static final DataSplit DATA = Synthetic.blobs(512, 256, 20, 4, 5);
    private static Network base;

    @BeforeAll
    static void train() {
        try (Network init = Network.create(Zoo.mlp(20, 32, 16, 4), 3)) {
            base = init.train(DATA, TrainOptions.epochs(3).batchSize(32).learningRate(0.01).quiet().log(new ExperimentLog()));
        }
    }

    @AfterAll
    static void close() {
        base.close();
    }

    @Test
    void gridCrossesAxesFirstSlowest() {
        Grid g = Grid.of("sparsity", 0.5, 0.9).and("bits", 2, 3, 4);
        assertEquals(6, g.size());
        List<Grid.Params> c = g.configurations();
        assertEquals("sparsity=0.5 bits=2", c.get(0).label());
        assertEquals("sparsity=0.9 bits=4", c.get(5).label());
        assertEquals(3, c.get(1).getInt("bits"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Grid.of("sparsity"));
        assertTrue(e.getMessage().contains("an empty sweep grid"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> c.get(0).get("clusters"));
        assertTrue(e.getMessage().contains("[sparsity, bits]"), e.getMessage());
    }

    @Test
    void sweepRecordsEveryRunAndFindsTheFrontier() {
        Sweep s = Sweep.run(Grid.of("sparsity", 0.5, 0.8).and("bits", 2, 3), new long[] {1, 2},
                p -> base.prune(Magnitude.magnitude().sparsity(p.get("sparsity")))
                        .share(WeightSharing.kmeans().bits(p.getInt("bits")).seed(p.getInt("seed")))
                        .pack(java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "sweep-" + p.label().replace(' ', '_') + ".cmpr")));
        assertFalse(s.interrupted());
        Table runs = s.runs();
        assertEquals(8, runs.rowCount());
        Table summary = s.summary();
        assertEquals(4, summary.rowCount());
        assertEquals(2, summary.intColumn("runs").get(0));
        assertTrue(summary.doubleColumn("top1_std").get(0) >= 0);
        Table front = s.pareto();
        assertTrue(front.rowCount() >= 1 && front.rowCount() <= 4);
        for (int i = 1; i < front.rowCount(); i++) {
            assertTrue(front.longColumn("bytes").get(i) > front.longColumn("bytes").get(i - 1));
            assertTrue(front.doubleColumn("top1_mean").get(i) > front.doubleColumn("top1_mean").get(i - 1));
        }
        // every summary row off the frontier is dominated by a frontier row
        for (int r = 0; r < summary.rowCount(); r++) {
            boolean onFront = front.stringColumn("config").contains(summary.stringColumn("config").get(r));
            if (!onFront) {
                long b = summary.longColumn("bytes").get(r);
                double a = summary.doubleColumn("top1_mean").get(r);
                boolean dominated = false;
                for (int f = 0; f < front.rowCount(); f++) {
                    dominated |= front.longColumn("bytes").get(f) <= b && front.doubleColumn("top1_mean").get(f) >= a;
                }
                assertTrue(dominated, summary.stringColumn("config").get(r));
            }
        }
        assertEquals(2, s.chart().getSeriesMap().size());
        assertTrue(ExperimentLog.session().table().stringColumn("name").contains("sweep[sparsity=0.8 bits=3 seed=2]"));
    }

    @Test
    void anInterruptKeepsTheFinishedRuns() {
        int[] calls = {0};
        Sweep s = Sweep.run(Grid.of("sparsity", 0.3, 0.5, 0.7, 0.9), new long[0], p -> {
            calls[0]++;
            Network n = base.prune(Magnitude.magnitude().sparsity(p.get("sparsity")));
            if (calls[0] == 2) {
                Thread.currentThread().interrupt(); // as the kernel does on an interrupt request
            }
            return n;
        });
        assertTrue(s.interrupted());
        assertEquals(2, s.runs().rowCount());
        assertEquals(2, calls[0]);
        assertFalse(Thread.currentThread().isInterrupted());

        Sweep t = Sweep.run(Grid.of("sparsity", 0.3, 0.5), new long[0], p -> {
            if (p.get("sparsity") == 0.5) {
                throw new TrainingInterruptedException("stopped", null);
            }
            return base.prune(Magnitude.magnitude().sparsity(0.3));
        });
        assertTrue(t.interrupted());
        assertEquals(1, t.runs().rowCount());
    }

    @Test
    void aConfigurationThatFailsIsSkippedAndReported() {
        Sweep s = Sweep.run(Grid.of("bits", 1, 17, 2), new long[0],
                p -> base.prune(Magnitude.magnitude().sparsity(0.9)).share(WeightSharing.kmeans().bits(p.getInt("bits"))));
        assertEquals(2, s.runs().rowCount());
        Table failed = s.failures();
        assertEquals(1, failed.rowCount());
        assertEquals("bits=17", failed.stringColumn("run").get(0));
        assertTrue(failed.stringColumn("error").get(0).contains("must be in 1 to 16"), failed.print());
        assertTrue(s.toString().contains("failed configurations"));
    }

    @Test
    void aRecipeReturningSomethingElseSaysWhatToReturn() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Sweep.run(Grid.of("x", 1), new long[0], p -> "oops"));
        assertTrue(e.getMessage().contains("return the evaluated Network or the PackedModel"), e.getMessage());
    }
}
