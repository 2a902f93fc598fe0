package dev.compresso.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.compresso.data.DataSplit;
import dev.compresso.data.Synthetic;
import dev.compresso.eval.ExperimentLog;
import dev.compresso.model.Network;
import dev.compresso.model.Zoo;
import dev.compresso.onnx.OnnxFile;
import dev.compresso.prune.Magnitude;
import dev.compresso.share.WeightSharing;
import dev.compresso.train.TrainOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Packing graphs: residual nets, depthwise nets, imported ONNX models; the graph section is checked like the rest. */
@Tag("engine")
class PackedGraphTest {

    @TempDir
    Path dir;

    @Test
    void aPrunedSharedResidualNetPacksAndLoadsBitExact() {
        DataSplit data = Synthetic.squares(256, 128, 28, 4, 3);
        ExperimentLog log = new ExperimentLog();
        try (Network base = Network.create(Zoo.resnet(8), 1).train(data, TrainOptions.epochs(1).batchSize(64).quiet().log(log))) {
            Network shared = base.prune(Magnitude.magnitude().sparsity(0.8).global()).share(WeightSharing.kmeans().bits(5));
            PackedModel packed = shared.pack(dir.resolve("resnet8.cmpr"));
            Network back = PackedModel.load(packed.file());
            assertEquals(shared.architecture().graph(), back.architecture().graph());
            for (String p : shared.parameterNames()) {
                float[] a = shared.weights(p);
                float[] b = back.weights(p);
                for (int i = 0; i < a.length; i++) {
                    assertEquals(Float.floatToIntBits(a[i] == 0f ? 0f : a[i]), Float.floatToIntBits(b[i]), p + "[" + i + "]");
                }
            }
            assertEquals(shared.evaluate(data).top1(), back.evaluate(data).top1());
            assertTrue(packed.ratio() > 4, "ratio " + packed.ratio());
        }
    }

    @Test
    void mobilenetAndAnImportedModelPack() throws URISyntaxException {
        for (Network net : new Network[] {Network.create(Zoo.mobilenetV2(), 2),
                OnnxFile.read(Path.of(PackedGraphTest.class.getResource("/onnx/tv_shufflenet_op13.onnx").toURI()))}) {
            PackedModel packed = net.pack(dir.resolve(net.name() + ".cmpr"));
            assertEquals(net.parameterCount(), packed.model().parameterCount());
            assertEquals(net.architecture().encode(), PackedModel.load(packed.file()).architecture().encode());
            net.close();
        }
    }

    @Test
    void aDamagedOrTruncatedGraphSectionIsNamed() throws IOException {
        PackedModel packed = Network.create(Zoo.resnet(8), 1).pack(dir.resolve("r.cmpr"));
        byte[] b = Files.readAllBytes(packed.file());
        int length = ((b[PackedFile.HEADER_BYTES] & 0xFF) << 24) | ((b[PackedFile.HEADER_BYTES + 1] & 0xFF) << 16)
                | ((b[PackedFile.HEADER_BYTES + 2] & 0xFF) << 8) | (b[PackedFile.HEADER_BYTES + 3] & 0xFF);
        assertTrue(length > 100 && length < 4000, "the graph section holds " + length + " bytes");
        for (int at : new int[] {PackedFile.HEADER_BYTES + 10, PackedFile.HEADER_BYTES + 4 + length / 2}) {
            byte[] flipped = b.clone();
            flipped[at] ^= 0x10;
            Path f = dir.resolve("flipped" + at + ".cmpr");
            Files.write(f, flipped);
            UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> PackedModel.load(f));
            assertTrue(e.getMessage().contains("architecture section"), e.getMessage());
        }
        Path cut = dir.resolve("cut.cmpr");
        Files.write(cut, java.util.Arrays.copyOf(b, PackedFile.HEADER_BYTES + length / 2));
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> PackedModel.load(cut));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }
}
