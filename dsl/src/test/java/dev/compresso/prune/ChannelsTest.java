package dev.compresso.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.compresso.data.DataSplit;
import dev.compresso.data.Samples;
import dev.compresso.data.Synthetic;
import dev.compresso.eval.ExperimentLog;
import dev.compresso.model.Network;
import dev.compresso.model.Zoo;
import dev.compresso.onnx.OnnxFile;
import dev.compresso.train.Fit;
import dev.compresso.train.TrainOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

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
    void shrunkModelsComputeWhatTheMaskedModelsCompute() throws Exception {
        List<Network> nets = new java.util.ArrayList<>(List.of(trained(Network.create(Zoo.resnet(20), 1)),
                trained(Network.create(Zoo.mobilenetV2(), 1))));
        for (String f : List.of("tiny_resnet_bn_op13", "mobile_block_op13", "tv_shufflenet_op13", "tiny_resnet_fused_op13")) {
            nets.add(OnnxFile.read(Path.of(ChannelsTest.class.getResource("/onnx/" + f + ".onnx").toURI())));
        }
        Path tv = Path.of(System.getenv().getOrDefault("COMPRESSO_TORCHVISION_ONNX", "/nonexistent"));
        for (String m : List.of("resnet18", "mobilenet_v2", "efficientnet_b0")) {
            if (Files.exists(tv.resolve(m + ".onnx"))) {
                nets.add(OnnxFile.read(tv.resolve(m + ".onnx")));
            } else {
                assertFalse(System.getenv().containsKey("COMPRESSO_TORCHVISION_ONNX"), tv.resolve(m + ".onnx") + " is missing");
            }
        }
        for (Network net : nets) {
            checkShrinkMatchesMask(net, Channels.channels(0.5));
            net.close();
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
