package dev.compresso.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.compresso.data.Synthetic;
import dev.compresso.model.Network;
import dev.compresso.model.Zoo;
import dev.compresso.train.TrainOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("engine")
class ExperimentLogTest {

    @TempDir Path dir;

    @Test
    void recordsReplacesByNameAndWritesCsv() throws IOException {
        ExperimentLog log = new ExperimentLog();
        var data = Synthetic.blobs(64, 32, 4, 2, 1);
        try (Network net = Network.create(Zoo.mlp(4, 2), 1);
                Network a = net.train(data, TrainOptions.epochs(1).quiet().log(log))) {
            log.record(a, 1234);
            assertEquals(1, log.size());
            Path csv = log.writeCsv(dir.resolve("sub/log.csv"));
            List<String> lines = Files.readAllLines(csv);
            assertEquals("name,chain,top1,loss,params,nonzeros,dense_bytes,stored_bytes,ratio,seconds", lines.get(0));
            String[] row = lines.get(1).split(",(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)");
            assertEquals("mlp-4-2", row[0]);
            assertTrue(row[1].startsWith("\"train(epochs=1"), row[1]);
            assertEquals(String.format(java.util.Locale.ROOT, "%.4f", a.evaluation().top1()), row[2]);
            assertEquals("10", row[4]);
            assertEquals("40", row[6]);
            assertEquals("1234", row[7]);
            assertEquals(String.format(java.util.Locale.ROOT, "%.2f", 40 / 1234.0), row[8]);
            // recording again without a file clears stored_bytes and ratio, still one row
            log.record(a);
            assertEquals(1, log.size());
            assertTrue(log.table().longColumn("stored_bytes").isMissing(0));
            assertTrue(log.toHtml().contains("<td>mlp-4-2</td>"));
            assertTrue(log.toString().contains("mlp-4-2"));
        }
    }

    @Test
    void failedWriteLeavesNoFileBehind() throws IOException {
        ExperimentLog log = new ExperimentLog();
        Path blocker = Files.writeString(dir.resolve("file"), "x");
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> log.writeCsv(blocker.resolve("log.csv")));
        assertTrue(e.getMessage().contains("writable"), e.getMessage());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(blocker), files.toList());
        }
        assertFalse(Files.exists(blocker.resolve("log.csv")));
    }

    @Test
    void aStoreThatCannotBeWrittenFailsTheCallButTheRowStaysInTheLog(@org.junit.jupiter.api.io.TempDir Path dir) {
        dev.compresso.runs.RunStore broken = dev.compresso.runs.RunStore.open(dir.resolve("gone.db"));
        broken.close();
        ExperimentLog log = new ExperimentLog(() -> broken);
        dev.compresso.runs.Run run = new dev.compresso.runs.Run("kept", "mlp", java.util.Map.of(), 0.9, 0.3, 10, 5, 40, -1, 1.0, 42,
                1, "17", "0.36.0", "2.7.1", "cpu", null, null, null, null, null);
        dev.compresso.runs.RunStoreException e = assertThrows(dev.compresso.runs.RunStoreException.class, () -> log.record(run));
        assertTrue(e.getMessage().contains("gone.db"), e.getMessage());
        assertEquals(1, log.size());
        assertEquals("kept", log.table().stringColumn("name").get(0));
        assertEquals(0.9, log.table().doubleColumn("top1").get(0));
    }
}
