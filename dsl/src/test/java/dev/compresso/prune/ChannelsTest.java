package dev.compresso.prune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.compresso.data.DataSplit;
import dev.compresso.data.Samples;
import dev.compresso.data.Synthetic;
import dev.compresso.eval.ExperimentLog;
import dev.compresso.model.Network;
import dev.compresso.model.Op;
import dev.compresso.model.Zoo;
import dev.compresso.onnx.OnnxFile;
import dev.compresso.onnx.OnnxRuntimeSession;
import dev.compresso.train.Fit;
import dev.compresso.train.TrainOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Dependency groups and channel pruning on residual, depthwise and imported graphs. */
@Tag("engine")
class ChannelsTest {

    private static final DataSplit DATA = Synthetic.squares(256, 64, 28, 4, 5);

    private static Network trained(Network n) {
        Network t = n.train(DATA, TrainOptions.epochs(1).batchSize(64).quiet().log(new ExperimentLog()));
        n.close();
        return t;
    }

    @Test
    void resnetGroupsFollowTheResidualAdds() {
        try (Network net = Network.create(Zoo.resnet(20), 1)) {
            DependencyGroups g = DependencyGroups.of(net);
            DependencyGroups.Group stage1 = g.group("stem.conv");
            assertEquals(List.of("stem.conv", "s1.b0.conv2", "s1.b1.conv2", "s1.b2.conv2"), stage1.producers());
            assertTrue(stage1.carriers().containsAll(List.of("stem.bn", "s1.b0.bn2")), stage1.toString());
            assertTrue(stage1.consumers().containsAll(List.of("s1.b0.conv1", "s2.b0.conv1", "s2.b0.down.conv")), stage1.toString());
            DependencyGroups.Group stage2 = g.group("s2.b0.conv2");
            assertTrue(stage2.producers().contains("s2.b0.down.conv"), stage2.toString());
            assertEquals(12, g.prunable().size(), g.toString());
            DependencyGroups.Group fc = g.group("fc");
            assertFalse(fc.prunable());
            assertTrue(fc.blocked().contains("network's output"), fc.blocked());
            assertEquals(g.groups().size(), g.table().rowCount());
        }
    }

    @Test
    void finetuningAtAStatedRateIgnoresTheLastTrainingsRate() {
        try (Network fresh = Network.create(Zoo.resnet(8), 3);
                Network base = fresh.train(DATA, TrainOptions.epochs(1).batchSize(64).learningRate(1e-5).quiet().log(new ExperimentLog()));
                Network cut = base.shrink(Channels.channels(0.5).finetune(0));
                Network byHand = cut.finetuneQuietly(1, 1e-2);
                Network stated = base.shrink(Channels.channels(0.5).finetune(1, 1e-2));
                Network inherited = base.shrink(Channels.channels(0.5).finetune(1))) {
            String w = "s2.b0.conv1_weight";
            assertArrayEquals(byHand.weights(w), stated.weights(w), "finetune(1, 1e-2) trains at 1e-2");
            assertFalse(java.util.Arrays.equals(stated.weights(w), inherited.weights(w)), "finetune(1) keeps the last rate, 1e-5");
            assertTrue(Channels.channels(0.5).finetune(1, 1e-2).describe().contains("lr=0.01"),
                    Channels.channels(0.5).finetune(1, 1e-2).describe());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Channels.channels(0.5).finetune(2, 0));
        assertEquals("learningRate=0.0 must be > 0; for example 1e-3", e.getMessage());
    }

    @Test
    void shrunkModelsComputeWhatTheMaskedModelsCompute() throws Exception {
        List<Network> nets = new java.util.ArrayList<>(List.of(trained(Network.create(Zoo.resnet(20), 1)),
                trained(Network.create(Zoo.mobilenetV2(), 1))));
        for (String f : List.of("tiny_resnet_bn_op13", "mobile_block_op13", "tv_shufflenet_op13", "tiny_resnet_fused_op13")) {
            nets.add(OnnxFile.read(Path.of(ChannelsTest.class.getResource("/onnx/" + f + ".onnx").toURI())));
        }
        Path tv = Path.of(System.getenv().getOrDefault("COMPRESSO_TORCHVISION_ONNX", "/nonexistent"));
        // regnet_x_400mf and resnext50_32x4d have grouped convolutions (group widths 16 and 4 to 32);
        // resnext50 (25M parameters) is tested only where someone exported it by hand
        for (String m : List.of("resnet18", "mobilenet_v2", "efficientnet_b0", "regnet_x_400mf", "resnext50_32x4d")) {
            if (Files.exists(tv.resolve(m + ".onnx"))) {
                nets.add(OnnxFile.read(tv.resolve(m + ".onnx")));
            } else {
                assertFalse(System.getenv().containsKey("COMPRESSO_TORCHVISION_ONNX") && !m.startsWith("resnext"),
                        tv.resolve(m + ".onnx") + " is missing");
            }
        }
        for (Network net : nets) {
            if (net.name().startsWith("regnet") || net.name().startsWith("resnext")) {
                assertTrue(DependencyGroups.of(net).prunable().stream().anyMatch(g -> g.convGroups() > 1),
                        net.name() + " has no prunable group split by a grouped convolution:\n" + DependencyGroups.of(net));
            }
            checkShrinkMatchesMask(net, Channels.channels(0.5));
            net.close();
        }
    }

    @Test
    void groupedConvolutionsShrinkGroupByGroupAndExportToOnnx(@TempDir Path dir) {
        try (Network base = trained(Network.create(DependencyGroupsTest.tinyResnext(), 1))) {
            for (Channels c : List.of(Channels.channels(0.5), Channels.channels(0.5).global(), Channels.channels(0.3).bnScale(),
                    Channels.channels(0.6).l2().ratio("b0.conv1", 0.8))) {
                checkShrinkMatchesMask(base, c);
            }
            try (Network residual = trained(Network.create(DependencyGroupsTest.residualAroundAGroupedConv(), 1))) {
                checkShrinkMatchesMask(residual, Channels.channels(0.5));
                checkShrinkMatchesMask(residual, Channels.channels(0.4).bnScale());
            }
            try (Network slim = base.shrink(Channels.channels(0.5).finetune(0))) {
                Map<String, Op> ops = new java.util.HashMap<>();
                slim.architecture().graph().nodes().forEach(n -> ops.put(n.name(), n.op()));
                for (String b : List.of("b0.", "b1.")) {
                    Op.Conv g = (Op.Conv) ops.get(b + "conv2");
                    assertEquals(4, g.groups(), g.toString());
                    assertEquals(16, g.in());
                    assertEquals(16, g.out());
                    assertArrayEquals(new long[] {16, 4, 3, 3}, slim.parameterArray(b + "conv2_weight").getShape().getShape());
                    assertArrayEquals(new long[] {16, 8, 1, 1}, slim.parameterArray(b + "conv1_weight").getShape().getShape());
                    assertEquals(16, slim.weights(b + "bn2_gamma").length);
                }
                assertArrayEquals(new long[] {8, 16, 1, 1}, slim.parameterArray("b0.conv3_weight").getShape().getShape());
                assertArrayEquals(new long[] {8, 1, 3, 3}, slim.parameterArray("stem.conv_weight").getShape().getShape());
                assertTrue(slim.parameterCount() < 0.35 * base.parameterCount(), slim.parameterCount() + " of " + base.parameterCount());
                Path out = dir.resolve("tiny-resnext-shrunk.onnx");
                slim.exportOnnx(out.toString());
                dev.compresso.onnx.OnnxTestAccess.checker(out);
                float[] x = new float[3 * 28 * 28];
                Random r = new Random(8);
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) r.nextGaussian();
                }
                float[] ours = Fit.outputs(slim, Samples.of(x, new int[3], new long[] {1, 28, 28}, 10), 3);
                float[] ref;
                try (OnnxRuntimeSession ort = OnnxRuntimeSession.open(out, 1)) {
                    ref = ort.run(x, new long[] {3, 1, 28, 28});
                }
                double diff = 0;
                double scale = 0;
                for (int i = 0; i < ref.length; i++) {
                    diff = Math.max(diff, Math.abs(ours[i] - ref[i]));
                    scale = Math.max(scale, Math.abs(ref[i]));
                }
                assertTrue(scale > 0 && diff <= 1e-5 * Math.max(1, scale), "ONNX Runtime differs by " + diff + " at scale " + scale);
                try (Network twice = base.shrink(Channels.channels(0.5).rounds(2).finetune(0))) {
                    Op.Conv g = (Op.Conv) twice.architecture().graph().node("b1.conv2").op();
                    assertEquals(List.of(4, 16, 16), List.of(g.groups(), g.in(), g.out()), g.toString());
                }
                try (Network back = OnnxFile.read(out)) {
                    Op.Conv g = (Op.Conv) back.architecture().graph().nodes().stream().filter(n -> n.op() instanceof Op.Conv c
                            && c.groups() > 1).findFirst().orElseThrow().op();
                    assertEquals(4, g.groups());
                }
            }
        }
    }

    @Test
    void aRatioThatWouldEmptyTheBlocksOfAGroupedConvolutionIsRefused() {
        try (Network net = Network.create(DependencyGroupsTest.tinyResnext(), 2)) {
            float[] before = net.weights("b0.conv2_weight");
            long params = net.parameterCount();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.shrink(Channels.channels(0.95)));
            assertEquals("channels(0.95) would leave 0 of the 8 channels in each of the 4 blocks of group 'b0.conv1' (grouped"
                    + " convolution 'b0.conv2' keeps its groups, each with the same width): every block must keep at least one"
                    + " channel, so this group takes ratios up to 0.937; give it one, for example channels(0.95).ratio(\"b0.conv1\","
                    + " 0.875)", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> net.shrink(Channels.channels(0.5).ratio("b1.conv2", 0.97)));
            assertTrue(e.getMessage().startsWith("ratio(\"b1.conv2\", 0.97) would leave 0 of the 8 channels in each of the 4 blocks"
                    + " of group 'b1.conv2'"), e.getMessage());
            assertArrayEquals(before, net.weights("b0.conv2_weight"));
            assertEquals(params, net.parameterCount());
            assertEquals(DependencyGroupsTest.tinyResnext().graph(), net.architecture().graph());
            // the same ratio is fine where the blocks are wide enough, and global ranking keeps one per group
            try (Network ok = net.shrink(Channels.channels(0.95).global().finetune(0))) {
                assertTrue(ok.parameterCount() < params);
            }
        }
    }

    static void checkShrinkMatchesMask(Network net, Channels pruner) {
        DependencyGroups groups = DependencyGroups.of(net);
        assertFalse(groups.prunable().isEmpty(), net.name() + " has no prunable group:\n" + groups);
        Map<String, int[]> keep = pruner.choose(net, groups, 1);
        Network masked = net.rebuilt(net.name() + "-masked", null, net.architecture(), Channels.masked(net, groups, keep));
        Network shrunk = net.rebuilt(net.name() + "-shrunk", null, Channels.shrunkArchitecture(net.architecture(), groups, keep),
                Channels.shrunkWeights(net, groups, keep));
        assertTrue(shrunk.parameterCount() < net.parameterCount(), net.name());
        long[] sample = net.architecture().inputShape();
        int size = 1;
        for (long d : sample) {
            size *= (int) d;
        }
        float[] x = new float[3 * size];
        Random r = new Random(4);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        Samples s = Samples.of(x, new int[3], sample, net.architecture().outputs());
        float[] a = Fit.outputs(masked, s, 3);
        float[] b = Fit.outputs(shrunk, s, 3);
        double scale = 0;
        double diff = 0;
        for (int i = 0; i < a.length; i++) {
            scale = Math.max(scale, Math.abs(a[i]));
            diff = Math.max(diff, Math.abs(a[i] - b[i]));
        }
        assertTrue(diff <= 1e-5 * Math.max(1, scale), net.name() + ": shrunk differs from masked by " + diff + " at scale " + scale);
        System.out.printf(java.util.Locale.ROOT, "%s %s: params %,d -> %,d, shrunk vs masked max abs diff %.3g at output scale %.3g%n",
                net.name(), pruner.describe(), net.parameterCount(), shrunk.parameterCount(), diff, scale);
        masked.close();
        shrunk.close();
    }

    @Test
    void channelShuffleAndOutputGroupsAreLeftAloneAndNamed() throws Exception {
        try (Network net = OnnxFile.read(Path.of(ChannelsTest.class.getResource("/onnx/tv_shufflenet_op13.onnx").toURI()))) {
            DependencyGroups g = DependencyGroups.of(net);
            assertTrue(g.groups().stream().anyMatch(x -> !x.prunable() && x.blocked().contains("(Reshape) mixes or moves channels")
                    || !x.prunable() && x.blocked().contains("(Transpose) mixes or moves channels")), g.toString());
        }
    }

    @Test
    void shrinkTrainsOnAndRecordsTheSmallerModel() {
        try (Network base = trained(Network.create(Zoo.resnet(8), 2));
                Network slim = base.shrink(Channels.channels(0.5).finetune(1));
                Network global = base.shrink(Channels.channels(0.4).global().bnScale().rounds(2).finetune(0))) {
            assertTrue(slim.parameterCount() < 0.4 * base.parameterCount(), slim.parameterCount() + " of " + base.parameterCount());
            assertTrue(slim.chain().endsWith("channels(0.5)"), slim.chain());
            assertTrue(slim.evaluation() != null);
            assertTrue(global.parameterCount() < base.parameterCount());
            assertEquals(base.architecture().name() + "-shrunk", slim.architecture().name());
        }
    }

    @Test
    void sensitivityShrinksEachGroupAlone() {
        try (Network base = trained(Network.create(Zoo.resnet(8), 3))) {
            tech.tablesaw.api.Table t = Channels.sensitivity(base, DATA, 0.25, 0.75);
            assertEquals(DependencyGroups.of(base).prunable().size() * 2, t.rowCount());
            long full = base.parameterCount();
            for (int i = 0; i < t.rowCount(); i++) {
                assertTrue(t.longColumn("params").get(i) < full, t.print());
            }
            assertEquals(t.stringColumn("group").unique().size(), Sensitivity.chart(t).getSeriesMap().size());
        }
    }

    @Test
    void badRatiosAndGroupNamesAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Channels.channels(1.0));
        assertTrue(e.getMessage().contains("ratio=1.0 must be in [0, 1)"), e.getMessage());
        try (Network net = Network.create(Zoo.resnet(8), 1)) {
            e = assertThrows(IllegalArgumentException.class, () -> net.shrink(Channels.channels(0.5).ratio("s9.conv", 0.2)));
            assertTrue(e.getMessage().contains("there is no group 's9.conv'; the groups are [stem.conv"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> net.shrink(Channels.channels(0.5).ratio("fc", 0.2)));
            assertTrue(e.getMessage().contains("group 'fc' cannot be pruned: it is the network's output"), e.getMessage());
        }
    }
}
