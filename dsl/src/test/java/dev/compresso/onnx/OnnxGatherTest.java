package dev.compresso.onnx;

import static dev.compresso.onnx.OnnxEinsumTest.ints;
import static dev.compresso.onnx.OnnxEinsumTest.integer;
import static dev.compresso.onnx.OnnxEinsumTest.node;
import static dev.compresso.onnx.OnnxEinsumTest.valueInfo;
import static dev.compresso.onnx.OnnxEinsumTest.weight;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.compresso.eval.ExperimentLog;
import dev.compresso.model.Graph;
import dev.compresso.model.Network;
import dev.compresso.model.Op;
import dev.compresso.onnx.proto.Onnx;
import dev.compresso.prune.DependencyGroups;
import dev.compresso.train.TrainOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Gather with a stored index tensor, as Swin v2 looks its relative-position bias up from the table
 * its MLP computes from stored coordinates: the table depends on trainable weights, so it stays in
 * the graph, and the lookup becomes {@link Op.Gather}. Compared with ONNX Runtime.
 */
@Tag("engine")
class OnnxGatherTest {

    @TempDir
    Path dir;

    /** Swin v2's bias: coords [9, 2] → Linear → ReLU → Linear → table [9, 3] → Gather [4, 4] → [3, 4, 4], added to x. */
    private Path swinLikeBias() throws IOException {
        long[] idx = new long[16];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = (i * 5) % 9 - (i % 3 == 0 ? 9 : 0); // some negative, as ONNX allows
        }
        List<Onnx.Node> nodes = List.of(
                node("MatMul", List.of("coords", "w1"), "h1"),
                node("Add", List.of("h1", "b1"), "h2"),
                node("Relu", List.of("h2"), "h3"),
                node("MatMul", List.of("h3", "w2"), "table"),
                node("Gather", List.of("table", "index"), "bias", integer("axis", 0)),
                node("Transpose", List.of("bias"), "heads", ints("perm", 2, 0, 1)),
                node("Sigmoid", List.of("heads"), "gate"),
                node("Add", List.of("x", "gate"), "a"),
                node("Flatten", List.of("a"), "y", integer("axis", 1)));
        return write("swin_bias", new long[] {3, 4, 4}, nodes, List.of(weight("coords", 9, 2), weight("w1", 2, 8), weight("b1", 8),
                weight("w2", 8, 3), OnnxTensors.longs("index", new long[] {4, 4}, idx)));
    }

    @Test
    void aTableLookupByStoredIndicesComputesWhatOnnxRuntimeComputesAndExportsBack() throws IOException {
        Path file = swinLikeBias();
        try (Network net = OnnxFile.read(file)) {
            Graph g = net.architecture().graph();
            Op.Gather gather = (Op.Gather) g.nodes().stream().filter(n -> n.op() instanceof Op.Gather).findFirst().orElseThrow().op();
            assertEquals(0, gather.axis());
            assertEquals(List.of(4L, 4L), Arrays.stream(gather.indexShape()).boxed().toList());
            assertTrue(Arrays.stream(gather.indices()).allMatch(i -> i >= 0 && i < 9), Arrays.toString(gather.indices()));
            assertEquals(g, Graph.decode(g.encode()), "the text form keeps the indices");
            double[] d = OnnxCheck.compare(net, file, 3, 21);
            assertTrue(d[1] > 0 && d[0] <= 1e-5 * d[1], "max abs difference " + d[0] + " at scale " + d[1]);
            Path back = dir.resolve("swin_bias-export.onnx");
            net.exportOnnx(back.toString());
            double[] e = OnnxCheck.compare(net, back, 2, 4);
            assertTrue(e[0] <= 1e-5 * e[1], "exported: max abs difference " + e[0] + " at scale " + e[1]);
            OnnxTest.checker(back);
            Path packed = dir.resolve("swin_bias.cmpr");
            net.pack(packed);
            try (Network loaded = dev.compresso.store.PackedModel.load(packed)) {
                assertEquals(g, loaded.architecture().graph(), "the packed file keeps the gather");
                double[] p = OnnxCheck.compare(loaded, file, 2, 6);
                assertTrue(p[0] <= 1e-5 * p[1], "loaded from the packed file: max abs difference " + p[0] + " at scale " + p[1]);
            }
        }
    }

    @Test
    void theMlpBehindTheTableStaysTrainable() throws IOException {
        try (Network net = OnnxFile.read(swinLikeBias())) {
            assertTrue(net.parameterNames().contains("w1_weight"), net.parameterNames().toString());
            var data = dev.compresso.data.Synthetic.blobs(64, 16, 48, 48, 5);
            try (Network trained = net.train(data, TrainOptions.epochs(1).batchSize(16).learningRate(0.05).quiet()
                    .log(new ExperimentLog()))) {
                for (String p : net.parameterNames()) {
                    assertFalse(Arrays.equals(net.weights(p), trained.weights(p)), p + " did not move in training");
                }
            }
        }
    }

    @Test
    void torchvisionSwinV2ImportsMatchesOnnxRuntimeAndKeepsItsBiasMlpTrainable() {
        // tools/onnx/make_fixtures.py: SwinTransformer with SwinTransformerBlockV2, one stage of two blocks
        Path file = OnnxTest.fixture("tv_swin_v2_op13");
        try (Network net = OnnxFile.read(file)) {
            double[] d = OnnxCheck.compare(net, file, 2, 13);
            assertTrue(d[1] > 0, "all-zero outputs prove nothing");
            assertTrue(d[0] <= 1e-4 * d[1], "max abs difference " + d[0] + " at scale " + d[1]);
            Graph g = net.architecture().graph();
            assertTrue(g.nodes().stream().filter(n -> n.op() instanceof Op.Gather).count() >= 2, g.opCounts());
            // the relative-position MLP (cpb_mlp) keeps its weights as parameters
            assertTrue(net.parameterNames().stream().anyMatch(p -> p.contains("cpb_mlp")), net.parameterNames().toString());
        }
    }

    @Test
    void aScatterIntoAStoredBiasComputesWhatOnnxRuntimeComputesAndLeavesTheOverwrittenEntriesFixed() throws IOException {
        // Swin v2's qkv_bias[c : 2c].zero_(): entries 2 and 3 overwritten by computed zeros, entry 0 by a stored 5
        Path file = write("scatter_bias", new long[] {6}, List.of(
                node("Slice", List.of("b", "from", "to"), "part"),
                node("Mul", List.of("part", "zero"), "zeros"),
                node("ScatterND", List.of("b", "rows", "zeros"), "s1"),
                node("ScatterND", List.of("s1", "first", "five"), "s2"),
                node("Add", List.of("x", "s2"), "y")),
                List.of(weight("b", 6), OnnxTensors.longs("from", new long[] {1}, new long[] {2}),
                        OnnxTensors.longs("to", new long[] {1}, new long[] {4}), OnnxTensors.floats("zero", new long[0], new float[] {0}),
                        OnnxTensors.longs("rows", new long[] {2, 1}, new long[] {2, 3}),
                        OnnxTensors.longs("first", new long[] {1, 1}, new long[] {0}),
                        OnnxTensors.floats("five", new long[] {1}, new float[] {5})));
        try (Network net = OnnxFile.read(file)) {
            double[] d = OnnxCheck.compare(net, file, 3, 2);
            assertTrue(d[1] > 0 && d[0] <= 1e-6 * d[1], "max abs difference " + d[0] + " at scale " + d[1]);
            assertEquals(List.of("b_weight"), net.parameterNames());
            var data = dev.compresso.data.Synthetic.blobs(64, 16, 6, 6, 7);
            try (Network trained = net.train(data, TrainOptions.epochs(1).batchSize(16).optimizer("sgd").learningRate(0.1).quiet()
                    .log(new ExperimentLog()))) {
                float[] before = net.weights("b_weight");
                float[] after = trained.weights("b_weight");
                for (int i = 0; i < 6; i++) {
                    boolean overwritten = i == 0 || i == 2 || i == 3;
                    assertEquals(overwritten, before[i] == after[i], "entry " + i + ": " + before[i] + " -> " + after[i]);
                }
            }
        }
    }

    @Test
    void aGatherAlongASampleAxisWorksAtAnyBatchSize() throws IOException {
        Path file = write("pick_columns", new long[] {3, 5}, List.of(
                node("Gather", List.of("x", "cols"), "g", integer("axis", 2)),
                node("Flatten", List.of("g"), "y", integer("axis", 1))),
                List.of(OnnxTensors.longs("cols", new long[] {2, 2}, new long[] {4, 0, -1, 2})));
        try (Network net = OnnxFile.read(file)) {
            for (int batch : new int[] {1, 3, 6}) {
                double[] d = OnnxCheck.compare(net, file, batch, batch);
                assertTrue(d[1] > 0 && d[0] == 0, "batch " + batch + ": max abs difference " + d[0]);
            }
        }
    }

    @Test
    void aGatherAlongTheBatchAxisIsRefused() throws IOException {
        Path file = write("pick_samples", new long[] {4}, List.of(
                node("Gather", List.of("x", "rows"), "y", integer("axis", 0)).toBuilder().setName("rows_of_batch").build()),
                List.of(OnnxTensors.longs("rows", new long[] {2}, new long[] {0, 0})));
        OnnxException e = assertThrows(OnnxException.class, () -> OnnxFile.read(file));
        assertTrue(e.getMessage().contains("node 'rows_of_batch' gathers [2] stored indices along axis 0, which holds the batch"),
                e.getMessage());
    }

    @Test
    void thePrunerKeepsTheChannelsAGatherTakesAndSaysWhy() throws IOException {
        Path file = write("gather_channels", new long[] {3, 6, 6}, List.of(
                node("Conv", List.of("x", "wc"), "c").toBuilder().setName("conv").build(),
                node("Gather", List.of("c", "keep"), "g", integer("axis", 1)).toBuilder().setName("pick_channels").build(),
                node("GlobalAveragePool", List.of("g"), "p"),
                node("Flatten", List.of("p"), "f", integer("axis", 1)),
                node("Gemm", List.of("f", "fc"), "y", integer("transB", 1))),
                List.of(weight("wc", 4, 3, 1, 1), OnnxTensors.longs("keep", new long[] {3}, new long[] {0, 2, 3}), weight("fc", 5, 3)));
        try (Network net = OnnxFile.read(file)) {
            double[] d = OnnxCheck.compare(net, file, 2, 8);
            assertTrue(d[1] > 0 && d[0] <= 1e-5 * d[1], "max abs difference " + d[0]);
            DependencyGroups groups = DependencyGroups.of(net);
            DependencyGroups.Group conv = groups.groups().stream().filter(gr -> gr.producers().stream().anyMatch(p -> p.contains("wc")
                    || p.contains("conv"))).findFirst().orElseThrow(() -> new AssertionError(groups.toString()));
            assertFalse(conv.prunable(), groups.toString());
            assertTrue(conv.blocked().contains("(Gather) takes entries by stored indices along axis 1"), conv.blocked());
        }
    }

    private Path write(String name, long[] sample, List<Onnx.Node> nodes, List<Onnx.Tensor> inits) throws IOException {
        Onnx.Graph.Builder g = Onnx.Graph.newBuilder().setName(name).addAllNode(nodes).addAllInitializer(inits);
        g.addInput(valueInfo("x", sample));
        g.addOutput(Onnx.ValueInfo.newBuilder().setName("y").setType(Onnx.Type.newBuilder().setTensorType(
                Onnx.Type.TensorType.newBuilder().setElemType(1))));
        Onnx.Model m = Onnx.Model.newBuilder().setIrVersion(8).setProducerName("OnnxGatherTest")
                .addOpsetImport(Onnx.OperatorSet.newBuilder().setDomain("").setVersion(13)).setGraph(g).build();
        Path file = dir.resolve(name + ".onnx");
        Files.write(file, m.toByteArray());
        return file;
    }
}
