package dev.compresso.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.compresso.data.DataSplit;
import dev.compresso.data.Samples;
import dev.compresso.data.Synthetic;
import dev.compresso.eval.ExperimentLog;
import dev.compresso.model.Network;
import dev.compresso.model.Zoo;
import dev.compresso.onnx.proto.Onnx;
import dev.compresso.prune.Magnitude;
import dev.compresso.quantize.Quantization;
import dev.compresso.share.WeightSharing;
import dev.compresso.train.Fit;
import dev.compresso.train.TrainOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ONNX in and out, with ONNX Runtime (Java) as the reference. The fixtures are made by {@code
 * tools/onnx/make_fixtures.py} from Debian's python3-torch.
 */
@Tag("engine")
class OnnxTest {

    private static final List<String> SUPPORTED_FIXTURES = List.of("tiny_resnet_bn_op11", "tiny_resnet_bn_op13",
            "tiny_resnet_bn_op17", "tiny_resnet_fused_op13", "mobile_block_op13", "mobile_block_op14", "shuffle_op13",
            "shuffle_dynbatch_op13", "tiny_vit_op13", "tiny_vit_op17", "tiny_tv_vit_op13", "tv_shufflenet_op13", "tv_swin_op13");

    @TempDir
    Path dir;

    static Path fixture(String name) {
        try {
            return Path.of(OnnxTest.class.getResource("/onnx/" + name + ".onnx").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void importedModelsComputeWhatOnnxRuntimeComputes() {
        for (String f : SUPPORTED_FIXTURES) {
            try (Network net = OnnxFile.read(fixture(f))) {
                double[] d = OnnxCheck.compare(net, fixture(f), 3, 11);
                assertTrue(d[1] > 0, f + " gives all-zero outputs, the comparison would prove nothing");
                assertTrue(d[0] <= 1e-4 * d[1], f + ": max abs difference " + d[0] + " at output scale " + d[1]);
            }
        }
    }

    @Test
    void aModelExportedAtBatchOneRunsAtAnyBatchSize() {
        // the attention block reshapes batch × heads into one axis with sizes stored for batch 1
        Path file = fixture("tiny_tv_vit_op13");
        try (Network net = OnnxFile.read(file); OnnxRuntimeSession ort = OnnxRuntimeSession.open(file, 1)) {
            assertEquals(1, ort.inputShape()[0]);
            long[] sample = net.architecture().inputShape();
            int size = (int) (sample[0] * sample[1] * sample[2]);
            float[] x = random(5 * size, 3);
            float[] ours = Fit.outputs(net, Samples.of(x, new int[5], sample, net.architecture().outputs()), 5);
            int outs = net.architecture().outputs();
            for (int i = 0; i < 5; i++) {
                float[] one = new float[size];
                System.arraycopy(x, i * size, one, 0, size);
                float[] ref = ort.run(one, new long[] {1, sample[0], sample[1], sample[2]});
                for (int k = 0; k < outs; k++) {
                    assertEquals(ref[k], ours[i * outs + k], 1e-4 * Math.max(1, Math.abs(ref[k])), "sample " + i + " output " + k);
                }
            }
        }
    }

    @Test
    void importKeepsBatchNormAndNamesLayersAfterTheirWeights() {
        try (Network net = OnnxFile.read(fixture("tiny_resnet_bn_op13"))) {
            assertTrue(net.layers().stream().anyMatch(l -> l.type().equals("BatchNorm")), net.toString());
            assertTrue(net.layers().stream().anyMatch(l -> l.type().equals("Conv2d")), net.toString());
            assertTrue(net.parameterNames().stream().anyMatch(p -> p.endsWith("_runningVar")));
            assertEquals("onnx(tiny_resnet_bn_op13.onnx)", net.chain());
        }
    }

    @Test
    void zooAndImportedModelsExportToFilesOnnxRuntimeRunsAlike() throws IOException {
        List<Network> nets = new ArrayList<>(List.of(Network.create(Zoo.resnet(8), 3), Network.create(Zoo.mobilenetV2(), 3),
                Network.create(Zoo.lenet5(), 3), Network.create(Zoo.lenet300100(), 3)));
        nets.add(OnnxFile.read(fixture("tiny_vit_op13")));
        nets.add(OnnxFile.read(fixture("tv_shufflenet_op13")));
        nets.add(OnnxFile.read(fixture("tiny_vit_op17")));
        for (Network net : nets) {
            Path out = dir.resolve(net.name() + ".onnx");
            assertEquals(out, net.exportOnnx(out.toString()));
            double[] d = OnnxCheck.compare(net, out, 3, 5);
            assertTrue(d[0] <= 1e-5 * Math.max(1, d[1]), net.name() + ": max abs difference " + d[0] + " at scale " + d[1]);
            checker(out);
            net.close();
        }
        try (Directory listing = new Directory(dir)) {
            assertTrue(listing.names().stream().noneMatch(n -> n.endsWith(".tmp")), listing.names().toString());
        }
    }

    @Test
    void compressedModelsExportWithTheirValuesAndScoreTheSameInOnnxRuntime() {
        DataSplit data = Synthetic.squares(384, 200, 28, 4, 9);
        ExperimentLog log = new ExperimentLog();
        TrainOptions o = TrainOptions.epochs(1).batchSize(64).quiet().log(log);
        try (Network base = Network.create(Zoo.resnet(8), 1).train(data, o)) {
            Network pruned = base.prune(Magnitude.magnitude().sparsity(0.7).global());
            Network shared = pruned.share(WeightSharing.kmeans().bits(4));
            Network quantized = base.quantize(Quantization.weightsTo(4).perChannel());
            for (Network net : List.of(base, pruned, shared, quantized)) {
                Path out = dir.resolve(net.name() + ".onnx");
                net.exportOnnx(out.toString());
                float[] ours = Fit.outputs(net, data.test(), 100);
                float[] ref;
                try (OnnxRuntimeSession s = OnnxRuntimeSession.open(out, 1)) {
                    ref = new float[ours.length];
                    int outs = 10;
                    int size = data.test().sampleSize();
                    for (int from = 0; from < data.test().size(); from += 50) {
                        float[] x = new float[50 * size];
                        data.test().copyFeatures(from, from + 50, x, 0);
                        System.arraycopy(s.run(x, new long[] {50, 1, 28, 28}), 0, ref, from * outs, 50 * outs);
                    }
                }
                double diff = 0;
                for (int i = 0; i < ref.length; i++) {
                    diff = Math.max(diff, Math.abs(ref[i] - ours[i]));
                }
                assertTrue(diff <= 1e-5 * 10, net.name() + ": max abs difference " + diff);
                assertEquals(top1(ours, data.test()), top1(ref, data.test()), net.name());
            }
            assertTrue(pruned.nonZeroCount() < base.nonZeroCount());
        }
    }

    @Test
    void everyTechniqueWorksOnAnImportedModel() {
        DataSplit data = Synthetic.blobs(256, 64, 3 * 32 * 32, 10, 4);
        ExperimentLog log = new ExperimentLog();
        TrainOptions o = TrainOptions.epochs(1).batchSize(64).quiet().log(log);
        try (Network imported = OnnxFile.read(fixture("tiny_resnet_bn_op13"));
                Network teacher = imported.train(data, o);
                Network student = OnnxFile.read(fixture("tiny_resnet_fused_op13"))) {
            Network pruned = teacher.prune(Magnitude.magnitude().sparsity(0.6).global().finetune(1));
            Network quantized = teacher.quantize(Quantization.weightsTo(4).perChannel());
            Network shared = pruned.share(WeightSharing.kmeans().bits(4));
            Network distilled = student.distill(dev.compresso.distill.Distillation.from(teacher), data, o);
            Network lowActs = teacher.quantize(Quantization.weightsTo(8).perChannel().activations(8));
            var packed = shared.pack(dir.resolve("imported.cmpr"));
            for (Network n : List.of(pruned, quantized, shared, distilled, lowActs, packed.model())) {
                assertTrue(n.evaluation() != null && n.evaluation().top1() >= 0, n.name());
            }
            assertTrue(lowActs.architecture().graph().nodes().stream().anyMatch(n -> n.op() instanceof dev.compresso.model.Op.QuantRelu));
            assertTrue(pruned.nonZeroCount() < 0.5 * teacher.nonZeroCount() + teacher.parameterCount() * 0.2);
            assertTrue(log.table().rowCount() >= 5, log.table().print());
            for (Network n : List.of(pruned, quantized, shared, distilled, lowActs)) {
                n.close();
            }
        }
    }

    @Test
    void trainingUpdatesBatchNormStatisticsAndUsesDropout() {
        DataSplit data = Synthetic.squares(256, 64, 28, 4, 2);
        try (Network init = Network.create(Zoo.mobilenetV2(), 4);
                Network trained = init.train(data, TrainOptions.epochs(1).batchSize(64).quiet().log(new ExperimentLog()))) {
            float[] before = init.weights("stem.bn_runningMean");
            float[] after = trained.weights("stem.bn_runningMean");
            assertFalse(java.util.Arrays.equals(before, after), "running means did not move in training");
            assertArrayEquals(new float[before.length], before);
        }
    }

    @Test
    void lowRankWorksOnTheLinearLayersOfAnImportedTransformer() {
        try (Network vit = OnnxFile.read(fixture("tiny_vit_op13"))) {
            long linears = vit.layers().stream().filter(l -> l.type().equals("Linear")).count();
            assertTrue(linears >= 3, vit.toString());
            Network full = vit.lowRank(dev.compresso.lowrank.LowRank.energy(1.0));
            assertEquals(linears * 2 - 1, full.layers().stream().filter(l -> l.type().equals("Linear")).count());
            Samples probe = Samples.of(random(4 * 3 * 32 * 32, 8), new int[4], vit.architecture().inputShape(), 10);
            float[] a = Fit.outputs(vit, probe, 4);
            float[] b = Fit.outputs(full, probe, 4);
            for (int i = 0; i < a.length; i++) {
                assertEquals(a[i], b[i], 1e-3 * Math.max(1, Math.abs(a[i])), "output " + i);
            }
            Path out = dir.resolve("vit-lowrank.onnx");
            full.exportOnnx(out.toString());
            double[] d = OnnxCheck.compare(full, out, 2, 3);
            assertTrue(d[0] <= 1e-5 * Math.max(1, d[1]), "max abs difference " + d[0]);
            full.close();
        }
    }

    @Test
    void badFilesGetErrorsThatNameTheProblemAndTheFix() throws IOException {
        UncheckedIOException missing = assertThrows(UncheckedIOException.class, () -> OnnxFile.read(dir.resolve("nope.onnx")));
        assertTrue(missing.getMessage().contains("nope.onnx does not exist"), missing.getMessage());

        byte[] good = Files.readAllBytes(fixture("tiny_resnet_bn_op13"));
        Path truncated = dir.resolve("truncated.onnx");
        Files.write(truncated, java.util.Arrays.copyOf(good, good.length / 2));
        OnnxException e = assertThrows(OnnxException.class, () -> OnnxFile.read(truncated));
        assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("damaged"), e.getMessage());

        Path text = dir.resolve("notes.onnx");
        Files.writeString(text, "these are not the weights you are looking for\n");
        e = assertThrows(OnnxException.class, () -> OnnxFile.read(text));
        assertTrue(e.getMessage().contains("is not an ONNX model"), e.getMessage());

        Onnx.Model model = Onnx.Model.parseFrom(good);
        Path old = dir.resolve("opset9.onnx");
        Files.write(old, model.toBuilder().setOpsetImport(0, Onnx.OperatorSet.newBuilder().setDomain("").setVersion(9)).build()
                .toByteArray());
        e = assertThrows(OnnxException.class, () -> OnnxFile.read(old));
        assertTrue(e.getMessage().contains("uses opset 9; Compresso reads opsets 11 to 17") && e.getMessage().contains("opset_version=13"),
                e.getMessage());

        Onnx.Graph.Builder g = model.getGraph().toBuilder();
        int conv = 0;
        while (!g.getNode(conv).getOpType().equals("Conv")) {
            conv++;
        }
        g.setNode(conv, g.getNode(conv).toBuilder().setOpType("Hardmax").setName("mix"));
        Path exotic = dir.resolve("exotic.onnx");
        Files.write(exotic, model.toBuilder().setGraph(g).build().toByteArray());
        e = assertThrows(OnnxException.class, () -> OnnxFile.read(exotic));
        assertTrue(e.getMessage().contains("node 'mix' uses operator Hardmax") && e.getMessage().contains("Supported operators: Abs, Add"),
                e.getMessage());

        e = assertThrows(OnnxException.class, () -> OnnxFile.read(fixture("two_inputs_op13")));
        assertTrue(e.getMessage().contains("has 2 inputs and 1 outputs") && e.getMessage().contains("torch.onnx.export"), e.getMessage());
        e = assertThrows(OnnxException.class, () -> OnnxFile.read(fixture("dynamic_axes_op13")));
        assertTrue(e.getMessage().contains("is dynamic ('height'); only the batch axis may be"), e.getMessage());
    }

    @Test
    void aFailedExportLeavesNoFile() throws IOException {
        Path blocker = dir.resolve("not-a-folder");
        Files.writeString(blocker, "x");
        try (Network net = Network.create(Zoo.mlp(4, 3), 1)) {
            UncheckedIOException e = assertThrows(UncheckedIOException.class,
                    () -> net.exportOnnx(blocker.resolve("model.onnx").toString()));
            assertTrue(e.getMessage().contains("cannot write ONNX model to") && e.getMessage().contains("writable"), e.getMessage());
        }
        try (Directory listing = new Directory(dir)) {
            assertEquals(List.of("not-a-folder"), listing.names());
        }
    }

    @Test
    void dataThatDoesNotFitTheGraphIsRefused() {
        try (Network net = OnnxFile.read(fixture("tiny_resnet_bn_op13"))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> net.evaluate(Synthetic.squares(8, 8, 28, 4, 1)));
            assertTrue(e.getMessage().contains("takes [3, 32, 32]"), e.getMessage());
        }
    }

    /** Runs Debian's ONNX checker on a file; skipped only where python3-onnx is absent and CI did not ask for it. */
    static void checker(Path file) {
        Path script = Path.of(System.getProperty("user.dir")).getParent().resolve("tools/onnx/check_model.py");
        boolean have = Files.isExecutable(Path.of("/usr/bin/python3")) && Files.exists(script);
        if (!have) {
            assertFalse("1".equals(System.getenv("COMPRESSO_REQUIRE_ONNX_CHECKER")), "the ONNX checker is required here");
            return;
        }
        try {
            Process p = new ProcessBuilder("/usr/bin/python3", script.toString(), file.toString()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            int rc = p.waitFor();
            if (out.contains("No module named 'onnx'")) {
                assertFalse("1".equals(System.getenv("COMPRESSO_REQUIRE_ONNX_CHECKER")), "python3-onnx is required here: " + out);
                return;
            }
            assertEquals(0, rc, file + " fails the ONNX checker: " + out);
            assertTrue(out.startsWith("ok"), out);
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    static int top1(float[] logits, Samples s) {
        int right = 0;
        int classes = logits.length / s.size();
        for (int i = 0; i < s.size(); i++) {
            int best = 0;
            for (int k = 1; k < classes; k++) {
                if (logits[i * classes + k] > logits[i * classes + best]) {
                    best = k;
                }
            }
            right += best == s.label(i) ? 1 : 0;
        }
        return right;
    }

    private static float[] random(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    /** The names in a folder, sorted. */
    private record Directory(Path dir) implements AutoCloseable {
        List<String> names() throws IOException {
            try (var s = Files.list(dir)) {
                return s.map(p -> p.getFileName().toString()).sorted().toList();
            }
        }

        @Override
        public void close() {}
    }
}
