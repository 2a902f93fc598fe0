package dev.compresso.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.compresso.data.DataSplit;
import dev.compresso.data.Samples;
import dev.compresso.data.Synthetic;
import dev.compresso.eval.ExperimentLog;
import dev.compresso.prune.Magnitude;
import dev.compresso.share.WeightSharing;
import dev.compresso.store.PackedModel;
import dev.compresso.train.TrainOptions;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fixture is made by {@code src/test/resources/torchscript/make_fixture.py}. */
@Tag("engine")
class TorchScriptTest {

    private static final DataSplit DATA = Synthetic.blobs(512, 256, 20, 4, 5);

    static Path fixture(String name) {
        try {
            return Path.of(TorchScriptTest.class.getResource("/torchscript/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The probe input of make_fixture.py: (i·20 + j) / 30 − 1. */
    static Samples probe() {
        float[] x = new float[60];
        for (int i = 0; i < 60; i++) {
            x[i] = i / 30f - 1;
        }
        return Samples.of(x, new int[3], new long[] {20}, 4);
    }

    static float[] expected() throws IOException {
        List<String> lines = Files.readAllLines(fixture("mlp-20-16-4.expected"));
        float[] out = new float[12];
        int k = 0;
        for (String line : lines) {
            for (String v : line.trim().split("\\s+")) {
                out[k++] = Float.parseFloat(v);
            }
        }
        return out;
    }

    private static TrainOptions opts(int epochs) {
        return TrainOptions.epochs(epochs).batchSize(32).learningRate(0.01).quiet().log(new ExperimentLog());
    }

    @Test
    void loadsWithNamedWritableParametersAndComputesWhatPyTorchDid() throws IOException {
        try (Network net = TorchScript.load(fixture("mlp-20-16-4.pt"), 20)) {
            assertEquals("mlp-20-16-4", net.name());
            assertEquals(4, net.architecture().outputs());
            assertFalse(net.architecture().isSequential());
            assertTrue(net.architecture().description().endsWith("01Linear=fc1, 02Linear=fc2"), net.architecture().description());
            assertEquals(List.of("01Linear_weight", "01Linear_bias", "02Linear_weight", "02Linear_bias"), net.parameterNames());
            assertEquals(20 * 16 + 16 + 16 * 4 + 4, net.parameterCount());
            float[] want = expected();
            float[] got = net.outputs(probe());
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], got[i], 1e-5, "output " + i);
            }
            // writing a parameter in place changes what the TorchScript module computes
            try (Network copy = net.copy()) {
                copy.parameterArray("02Linear_bias").set(new float[] {1, 2, 3, 4});
                float[] shifted = copy.outputs(probe());
                float[] base = copy.weights("02Linear_bias");
                assertEquals(want[0] - net.weights("02Linear_bias")[0] + base[0], shifted[0], 1e-5);
                // the copy re-loaded the file: the original is untouched
                assertEquals(want[0], net.outputs(probe())[0], 1e-5);
            }
        }
    }

    @Test
    void roundTripTrainPruneShareSequentialPack(@TempDir Path dir) {
        try (Network loaded = TorchScript.load(fixture("mlp-20-16-4.pt"), 20);
                Network trained = loaded.train(DATA, opts(3))) {
            // training moved the TorchScript parameters and learned the blobs
            assertNotEquals(loaded.weights("01Linear_weight")[0], trained.weights("01Linear_weight")[0]);
            assertTrue(trained.evaluation().top1() > 0.8, trained.evaluation().toString());
            float[] before = trained.outputs(DATA.test());

            try (Network pruned = trained.prune(Magnitude.magnitude().sparsity(0.5))) {
                // half of each weight matrix is zero, in the module itself: its outputs changed
                assertEquals(0.5, 1 - (double) count(pruned.weights("01Linear_weight")) / 320, 0.01);
                assertEquals(0.5, 1 - (double) count(pruned.weights("02Linear_weight")) / 64, 0.02);
                float[] after = pruned.outputs(DATA.test());
                assertFalse(java.util.Arrays.equals(before, after));
                assertTrue(pruned.evaluation().top1() > 0.6, pruned.evaluation().toString());

                try (Network shared = pruned.share(WeightSharing.kmeans().bits(3))) {
                    // at most 2³ distinct non-zero values per layer, zeros kept
                    for (String w : List.of("01Linear_weight", "02Linear_weight")) {
                        float[] v = shared.weights(w);
                        Set<Float> distinct = new HashSet<>();
                        for (float x : v) {
                            if (x != 0) {
                                distinct.add(x);
                            }
                        }
                        assertTrue(distinct.size() <= 8, w + " has " + distinct.size() + " values");
                        assertEquals(count(pruned.weights(w)), count(v), w);
                    }
                    // the TorchScript module computes with the shared weights: compare with its sequential twin
                    try (Network seq = TorchScript.sequential(shared)) {
                        assertTrue(seq.architecture().isSequential());
                        assertEquals(List.of("02Linear_weight", "02Linear_bias", "04Linear_weight", "04Linear_bias"),
                                seq.parameterNames());
                        float[] a = shared.outputs(DATA.test());
                        float[] b = seq.outputs(DATA.test());
                        for (int i = 0; i < a.length; i++) {
                            assertEquals(a[i], b[i], 1e-4);
                        }
                        assertEquals(shared.evaluation().top1(), seq.evaluation().top1(), 1e-9);
                        PackedModel packed = PackedModel.pack(seq, dir.resolve("ts.cmpr"),
                                dev.compresso.store.PackedFile.Options.defaults());
                        assertTrue(packed.bytes() < shared.denseBytes() / 2, packed.bytes() + " bytes"); // header included
                        packed.model().close();
                    }
                }
            }
        }
    }

    @Test
    void nonChainNeedsADeclaredArchitecture() {
        try (Network net = TorchScript.load(fixture("mlp-20-16-4.pt"), 20)) {
            // a chain without the ReLU is not what the module computes
            Architecture linear = Architecture.sequential("no-relu", "", new long[] {20}, 4,
                    List.of(new LayerSpec.Flatten(), new LayerSpec.Dense(16), new LayerSpec.Dense(4)));
            String m = assertThrows(IllegalArgumentException.class, () -> TorchScript.sequential(net, linear)).getMessage();
            assertTrue(m.startsWith("TorchScript model 'mlp-20-16-4' does not compute what 'no-relu' computes"), m);
            assertTrue(assertThrows(IllegalArgumentException.class, () -> TorchScript.sequential(net, Zoo.mlp(20, 4)))
                    .getMessage().startsWith("architecture 'mlp-20-4' has 2 parameters"));
            try (Network same = TorchScript.sequential(net, Zoo.mlp(20, 16, 4))) {
                assertEquals("mlp-20-16-4-sequential", same.name());
            }
        }
    }

    @Test
    void filesThatDoNotLoadSayWhy(@TempDir Path dir) throws IOException {
        Path missing = dir.resolve("nope.pt");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TorchScript.load(missing, 20)).getMessage()
                .equals("TorchScript file " + missing + " does not exist; check the path (relative paths start at "
                        + Path.of("").toAbsolutePath() + ")"));
        Path text = Files.writeString(dir.resolve("text.pt"), "hello");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TorchScript.load(text, 20)).getMessage()
                .contains("is not TorchScript: it is not a zip archive"));
        Path checkpoint = dir.resolve("state.pt");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(checkpoint))) {
            z.putNextEntry(new ZipEntry("state/data.pkl"));
            z.write(new byte[] {(byte) 0x80, 2, '}', '.'});
            z.closeEntry();
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TorchScript.load(checkpoint, 20)).getMessage()
                .contains("is not TorchScript: it is a torch.save checkpoint"));
        Path fake = dir.resolve("fake.pt");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(fake))) {
            z.putNextEntry(new ZipEntry("fake/code/__torch__.py"));
            z.write("garbage".getBytes());
            z.closeEntry();
        }
        String engine = assertThrows(IllegalArgumentException.class, () -> TorchScript.load(fake, 20)).getMessage();
        assertTrue(engine.startsWith("DJL's PyTorch " + TorchRuntime.pytorchVersion() + " engine could not load "), engine);
        String shape = assertThrows(IllegalArgumentException.class,
                () -> TorchScript.load(fixture("mlp-20-16-4.pt"), 30)).getMessage();
        assertTrue(shape.contains("does not accept inputs of shape [30]"), shape);
    }

    private static long count(float[] v) {
        long n = 0;
        for (float x : v) {
            if (x != 0) {
                n++;
            }
        }
        return n;
    }
}
