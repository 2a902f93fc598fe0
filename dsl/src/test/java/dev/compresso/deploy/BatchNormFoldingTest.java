package dev.compresso.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.compresso.data.DataSplit;
import dev.compresso.data.Samples;
import dev.compresso.data.Synthetic;
import dev.compresso.eval.ExperimentLog;
import dev.compresso.model.Architecture;
import dev.compresso.model.Graph;
import dev.compresso.model.Network;
import dev.compresso.model.Op;
import dev.compresso.model.Zoo;
import dev.compresso.onnx.OnnxFile;
import dev.compresso.onnx.OnnxRuntimeSession;
import dev.compresso.quantize.Quantization;
import dev.compresso.train.Fit;
import dev.compresso.train.TrainOptions;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** BatchNorm folding: same eval-mode outputs, no BatchNorm left where one could be folded. */
@Tag("engine")
class BatchNormFoldingTest {

    @TempDir
    Path dir;

    /** Random BatchNorm statistics and scales, so folding has something to fold. */
    static Network randomBatchNorms(Network net, long seed) {
        Random r = new Random(seed);
        Map<String, float[]> values = new LinkedHashMap<>();
        for (String p : net.parameterNames()) {
            int n = net.weights(p).length;
            float[] v = new float[n];
            if (p.endsWith("_gamma")) {
                for (int i = 0; i < n; i++) v[i] = (float) (0.5 + r.nextDouble());
            } else if (p.endsWith("_beta") || p.endsWith("_runningMean")) {
                for (int i = 0; i < n; i++) v[i] = (float) (0.2 * r.nextGaussian());
            } else if (p.endsWith("_runningVar")) {
                for (int i = 0; i < n; i++) v[i] = (float) (0.5 + r.nextDouble());
            } else {
                continue;
            }
            values.put(p, v);
        }
        return net.withWeights(net.name(), null, values, null);
    }

    static Samples random(Network net, int batch, long seed) {
        long[] sample = net.architecture().inputShape();
        int size = (int) net.architecture().inputSize();
        Random r = new Random(seed);
        float[] x = new float[batch * size];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        return Samples.of(x, new int[batch], sample, net.architecture().outputs());
    }

    static void assertSameOutputs(Network a, Network b) {
        Samples s = random(a, 4, 3);
        float[] x = Fit.outputs(a, s, 4);
        float[] y = Fit.outputs(b, s, 4);
        double diff = 0;
        double scale = 0;
        for (int i = 0; i < x.length; i++) {
            diff = Math.max(diff, Math.abs(x[i] - y[i]));
            scale = Math.max(scale, Math.abs(x[i]));
        }
        assertTrue(diff <= 1e-5 * Math.max(1, scale), a.name() + ": folded differs by " + diff + " at scale " + scale);
    }

    static long count(Network net, Class<? extends Op> type) {
        return net.architecture().graph().nodes().stream().filter(n -> type.isInstance(n.op())).count();
    }

    @Test
    void zooModelsFoldEveryBatchNormAndComputeTheSame() {
        for (Architecture arch : List.of(Zoo.resnet(20), Zoo.mobilenetV2())) {
            try (Network init = Network.create(arch, 1); Network net = randomBatchNorms(init, 5)) {
                long bns = count(net, Op.BatchNorm.class);
                String before = net.architecture().graph().encode();
                try (Network folded = net.foldBatchNorm()) {
                    assertEquals(0, count(folded, Op.BatchNorm.class), folded.architecture().graph().opCounts());
                    assertTrue(folded.chain().endsWith("foldBatchNorm(" + bns + " folded)"), folded.chain());
                    assertSameOutputs(net, folded);
                    assertTrue(folded.parameterCount() < net.parameterCount());
                }
                assertEquals(before, net.architecture().graph().encode(), "the receiver is untouched");
            }
        }
    }

    @Test
    void importedOnnxModelFoldsAndStillMatchesOnnxRuntime() throws URISyntaxException {
        Path fixture = Path.of(getClass().getResource("/onnx/tiny_resnet_bn_op13.onnx").toURI());
        try (Network net = OnnxFile.read(fixture); Network folded = net.foldBatchNorm()) {
            assertTrue(count(net, Op.BatchNorm.class) > 0);
            assertEquals(0, count(folded, Op.BatchNorm.class));
            assertSameOutputs(net, folded);
            Path out = folded.exportOnnx(dir.resolve("folded.onnx").toString());
            Samples s = random(folded, 2, 9);
            float[] ours = Fit.outputs(folded, s, 2);
            float[] x = new float[2 * s.sampleSize()];
            s.copyFeatures(0, 2, x, 0);
            long[] shape = new long[] {2, s.sampleShape()[0], s.sampleShape()[1], s.sampleShape()[2]};
            float[] ref;
            try (OnnxRuntimeSession ort = OnnxRuntimeSession.open(out, 1)) {
                ref = ort.run(x, shape);
            }
            for (int i = 0; i < ref.length; i++) {
                assertEquals(ref[i], ours[i], 1e-4 * Math.max(1, Math.abs(ref[i])));
            }
        }
    }

    /** input → bn0 → conv → bn1 → relu → conv2 (read by bn2 and the add) → bn2 → add → pool → flatten → linear. */
    static Graph awkward() {
        Op conv = new Op.Conv(4, 1, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1, 1, 1}, new int[] {1, 1}, 1, false);
        Op conv2 = new Op.Conv(4, 4, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1, 1, 1}, new int[] {1, 1}, 1, true);
        return new Graph(new long[] {1, 28, 28}, List.of(
                new Graph.Node("bn0", new Op.BatchNorm(1, 1e-5f, 0.9f), List.of(Graph.INPUT)),
                new Graph.Node("conv", conv, List.of("bn0")),
                new Graph.Node("bn1", new Op.BatchNorm(4, 1e-5f, 0.9f), List.of("conv")),
                new Graph.Node("relu", new Op.Unary(Op.UnaryKind.RELU), List.of("bn1")),
                new Graph.Node("conv2", conv2, List.of("relu")),
                new Graph.Node("bn2", new Op.BatchNorm(4, 1e-5f, 0.9f), List.of("conv2")),
                new Graph.Node("add", new Op.Binary(Op.BinaryKind.ADD), List.of("bn2", "conv2")),
                new Graph.Node("pool", new Op.GlobalPool(false), List.of("add")),
                new Graph.Node("flat", new Op.Flatten(1), List.of("pool")),
                new Graph.Node("fc", new Op.Linear(4, 4, true), List.of("flat")),
                new Graph.Node("bnfc", new Op.BatchNorm(4, 1e-5f, 0.9f), List.of("fc"))), "bnfc");
    }

    @Test
    void batchNormsThatCannotBeFoldedAreLeftAndNamed() {
        try (Network init = Network.create(Architecture.of("awkward", "test", awkward()), 2);
                Network net = randomBatchNorms(init, 3);
                Network folded = net.foldBatchNorm()) {
            String chain = folded.chain();
            assertTrue(chain.contains("foldBatchNorm(2 folded; left 'bn0': no Conv2d or Linear before it (it reads the input)"), chain);
            assertTrue(chain.contains("'bn2': Conv2d 'conv2' has other consumers"), chain);
            assertEquals(List.of("bn0", "bn2"), folded.architecture().graph().nodes().stream()
                    .filter(n -> n.op() instanceof Op.BatchNorm).map(Graph.Node::name).toList());
            assertEquals("fc", folded.architecture().graph().output());
            assertSameOutputs(net, folded);
        }
    }

    @Test
    void foldedModelTrainsPacksAndExports() {
        DataSplit data = Synthetic.squares(256, 64, 28, 4, 2);
        TrainOptions o = TrainOptions.epochs(1).batchSize(64).quiet().log(new ExperimentLog());
        try (Network init = Network.create(Architecture.of("awkward", "test", awkward()), 2);
                Network base = init.train(data, o);
                Network folded = base.foldBatchNorm()) {
            assertNotNull(folded.evaluation(), "folding evaluates on the training data");
            assertEquals(base.evaluation().top1(), folded.evaluation().top1(), 1e-9);
            try (Network tuned = folded.finetune(1)) {
                assertNotNull(tuned.evaluation());
            }
            var packed = folded.pack(dir.resolve("folded.cmpr"));
            assertEquals(folded.architecture().graph(), packed.model().architecture().graph());
            folded.exportOnnx(dir.resolve("folded.onnx").toString());
            assertThrows(IllegalStateException.class,
                    () -> base.quantize(Quantization.weightsTo(8).perChannel()).foldBatchNorm());
        }
    }
}
