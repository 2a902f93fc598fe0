package dev.compresso.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.compresso.data.DataSplit;
import dev.compresso.data.Synthetic;
import dev.compresso.eval.ExperimentLog;
import dev.compresso.model.Network;
import dev.compresso.model.Zoo;
import dev.compresso.prune.Magnitude;
import dev.compresso.share.WeightSharing;
import dev.compresso.train.TrainOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tech.tablesaw.api.Table;

@Tag("engine")
class PackedModelTest {

    private static final DataSplit DATA = Synthetic.blobs(512, 256, 20, 4, 5);

    @TempDir Path dir;

    @Test
    void pruneSharePackLoadIsBitExactAndLogged() throws IOException {
        ExperimentLog log = new ExperimentLog();
        try (Network init = Network.create(Zoo.mlp(20, 64, 32, 4), 3);
                Network trained = init.train(DATA, TrainOptions.epochs(3).batchSize(32).learningRate(0.01).quiet().log(log));
                Network pruned = trained.prune(Magnitude.magnitude().sparsity(0.8).finetune(1));
                Network shared = pruned.share(WeightSharing.kmeans().bits(3).finetune(1))) {
            PackedModel packed = shared.pack(dir.resolve("m.cmpr"));
            assertEquals(Files.size(dir.resolve("m.cmpr")), packed.bytes());
            assertTrue(packed.ratio() > 4, "ratio " + packed.ratio());
            Network back = packed.model();
            for (String p : shared.parameterNames()) {
                float[] a = shared.weights(p);
                float[] b = back.weights(p);
                for (int i = 0; i < a.length; i++) {
                    assertEquals(Float.floatToRawIntBits(a[i] == 0f ? 0f : a[i]), Float.floatToRawIntBits(b[i]), p + "[" + i + "]");
                }
            }
            assertEquals(shared.evaluate(DATA).top1(), back.evaluation().top1(), 0.0, "identical weights, identical accuracy");
            Table t = log.table();
            int row = t.stringColumn("name").indexOf("mlp-20-64-32-4-pruned-shared-packed");
            assertTrue(row >= 0, t.print());
            assertEquals(packed.bytes(), t.longColumn("stored_bytes").get(row));
            assertEquals(packed.ratio(), t.doubleColumn("ratio").get(row), 1e-9);

            Network loaded = PackedModel.load(dir.resolve("m.cmpr"));
            assertEquals("m", loaded.name());
            assertEquals("load(m.cmpr)", loaded.chain());
            assertTrue(Arrays.equals(back.weights("02Linear_weight"), loaded.weights("02Linear_weight")));
            assertEquals(shared.architecture(), loaded.architecture());

            Table breakdown = packed.breakdown();
            assertEquals(shared.parameterNames().size() + 2, breakdown.rowCount());
            assertEquals(packed.bytes(), breakdown.longColumn("stored_bytes").get(breakdown.rowCount() - 1));
            int codebook = Integer.parseInt(breakdown.stringColumn("codebook").get(0));
            assertTrue(codebook >= 2 && codebook <= 8, "3-bit sharing: at most 8 distinct non-zero values, got " + codebook);
            assertEquals(4, packed.chart().getSeriesMap().size());
            assertTrue(packed.toString().contains("smaller than"));
            loaded.close();
            back.close();
        }
    }

    @Test
    void aFileOfAnotherArchitectureIsRejectedNamingBoth() {
        try (Network a = Network.create(Zoo.mlp(20, 8, 4), 1)) {
            a.pack(dir.resolve("a.cmpr")).model().close();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> PackedModel.load(dir.resolve("a.cmpr"), Zoo.lenet300100()));
            assertTrue(e.getMessage().contains("section 'architecture', offset 16"), e.getMessage());
            assertTrue(e.getMessage().contains("mlp-20-8-4") && e.getMessage().contains("lenet-300-100"), e.getMessage());
        }
    }

    @Test
    void damagedFilesGiveTheSectionAndOffsetAndNoModel() throws IOException {
        try (Network a = Network.create(Zoo.mlp(20, 8, 4), 1)) {
            Path f = dir.resolve("a.cmpr");
            a.pack(f).model().close();
            byte[] bytes = Files.readAllBytes(f);
            bytes[bytes.length / 2] ^= 0x10;
            Files.write(f, bytes);
            UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> PackedModel.load(f));
            assertTrue(e.getCause() instanceof PackedFileException, e.toString());
            assertTrue(e.getMessage().contains(" at byte "), e.getMessage());
            Files.write(f, Arrays.copyOf(bytes, 10));
            e = assertThrows(UncheckedIOException.class, () -> PackedModel.load(f));
            assertTrue(e.getMessage().contains("header"), e.getMessage());
        }
    }
}
