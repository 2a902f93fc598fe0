package dev.compresso.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.compresso.model.Architecture;
import dev.compresso.model.Graph;
import dev.compresso.model.Op;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Dependency groups of grouped convolutions, on graphs alone (no engine). */
class DependencyGroupsTest {

    /** Builds a graph node by node, as the zoo's builder does. */
    static final class Nodes {
        final List<Graph.Node> nodes = new ArrayList<>();
        String last = Graph.INPUT;

        String add(String name, Op op, String... inputs) {
            nodes.add(new Graph.Node(name, op, List.of(inputs)));
            last = name;
            return name;
        }

        String conv(String name, String from, int in, int out, int kernel, int stride, int groups) {
            int p = kernel / 2;
            return add(name, new Op.Conv(out, in, new int[] {kernel, kernel}, new int[] {stride, stride}, new int[] {p, p, p, p},
                    new int[] {1, 1}, groups, false), from);
        }

        String bn(String name, int channels) {
            return add(name, new Op.BatchNorm(channels, 1e-5f, 0.9f), last);
        }

        String relu(String name) {
            return add(name, new Op.Unary(Op.UnaryKind.RELU), last);
        }

        /** A ResNeXt bottleneck: 1×1 → BN → ReLU → 3×3 grouped → BN → ReLU → 1×1 → BN, + shortcut, ReLU. */
        String bottleneck(String p, String x, int in, int width, int out, int groups, int stride) {
            conv(p + "conv1", x, in, width, 1, 1, 1);
            bn(p + "bn1", width);
            relu(p + "relu1");
            conv(p + "conv2", last, width, width, 3, stride, groups);
            bn(p + "bn2", width);
            relu(p + "relu2");
            conv(p + "conv3", last, width, out, 1, 1, 1);
            String main = bn(p + "bn3", out);
            String shortcut = x;
            if (stride != 1 || in != out) {
                conv(p + "down.conv", x, in, out, 1, stride, 1);
                shortcut = bn(p + "down.bn", out);
            }
            add(p + "add", new Op.Binary(Op.BinaryKind.ADD), main, shortcut);
            return relu(p + "relu");
        }
    }

    /**
     * A small ResNeXt for 1×28×28 images: stem 3×3 conv to 16, a bottleneck of width 32 in 4 groups
     * with an identity shortcut, one of width 32 in 4 groups with stride 2 and a projection to 32,
     * global pooling and a 10-way Linear layer.
     */
    static Architecture tinyResnext() {
        Nodes g = new Nodes();
        g.conv("stem.conv", Graph.INPUT, 1, 16, 3, 1, 1);
        g.bn("stem.bn", 16);
        String x = g.relu("stem.relu");
        x = g.bottleneck("b0.", x, 16, 32, 16, 4, 1);
        x = g.bottleneck("b1.", x, 16, 32, 32, 4, 2);
        g.add("pool", new Op.GlobalPool(false), x);
        g.add("flatten", new Op.Flatten(1), g.last);
        g.add("fc", new Op.Linear(10, 32, true), g.last);
        return Architecture.of("tiny-resnext", "two ResNeXt bottlenecks, width 32 in 4 groups",
                new Graph(new long[] {1, 28, 28}, g.nodes, g.last));
    }

    @Test
    void aGroupedConvolutionSplitsTheGroupsItReadsAndWritesIntoItsGroups() {
        DependencyGroups g = DependencyGroups.of(tinyResnext().graph());
        DependencyGroups.Group in = g.group("b0.conv1");
        assertTrue(in.prunable(), in.toString());
        assertEquals(4, in.convGroups());
        assertEquals(32, in.channels());
        assertEquals(List.of("b0.conv1"), in.producers());
        assertEquals(List.of("b0.bn1"), in.carriers());
        assertEquals(List.of("b0.conv2"), in.consumers());
        DependencyGroups.Group out = g.group("b0.conv2");
        assertTrue(out.prunable(), out.toString());
        assertEquals(4, out.convGroups());
        assertEquals(List.of("b0.conv2"), out.producers());
        assertEquals(List.of("b0.conv3"), out.consumers());
        assertEquals(List.of("b0.conv2"), g.groupedConvs(out));
        // the residual stream is not split: no grouped convolution reads or writes it
        DependencyGroups.Group stream = g.group("stem.conv");
        assertEquals(1, stream.convGroups());
        assertEquals(List.of("stem.conv", "b0.conv3"), stream.producers());
        assertTrue(stream.consumers().containsAll(List.of("b0.conv1", "b1.conv1", "b1.down.conv")), stream.toString());
        assertEquals(4, g.group("b1.conv1").convGroups());
        assertEquals(4, g.group("b1.conv2").convGroups());
        assertEquals(List.of("b1.conv3", "b1.down.conv"), g.group("b1.conv3").producers());
        assertFalse(g.group("fc").prunable());
        assertEquals(6, g.prunable().size(), g.toString());
        // the table shows the split
        tech.tablesaw.api.Table t = g.table();
        assertEquals("×4: b0.conv2", t.stringColumn("grouped conv").get(t.stringColumn("group").indexOf("b0.conv1")));
        assertEquals("", t.stringColumn("grouped conv").get(t.stringColumn("group").indexOf("stem.conv")));
    }

    /** A residual around a grouped convolution: it reads and writes one group. */
    static Architecture residualAroundAGroupedConv() {
        Nodes n = new Nodes();
        n.conv("stem", Graph.INPUT, 1, 16, 3, 1, 1);
        n.bn("stem.bn", 16);
        String x = n.relu("stem.relu");
        n.conv("g", x, 16, 16, 3, 1, 4);
        n.bn("g.bn", 16);
        n.add("add", new Op.Binary(Op.BinaryKind.ADD), "g.bn", x);
        n.relu("relu");
        n.add("pool", new Op.GlobalPool(false), n.last);
        n.add("flatten", new Op.Flatten(1), n.last);
        n.add("fc", new Op.Linear(10, 16, true), n.last);
        return Architecture.of("residual-grouped", "x + grouped conv(x)", new Graph(new long[] {1, 28, 28}, n.nodes, n.last));
    }

    @Test
    void aGroupedConvolutionInsideAResidualReadsAndWritesOneGroup() {
        DependencyGroups g = DependencyGroups.of(residualAroundAGroupedConv().graph());
        DependencyGroups.Group s = g.group("stem");
        assertEquals(List.of("stem", "g"), s.producers());
        assertEquals(List.of("g", "fc"), s.consumers());
        assertEquals(4, s.convGroups());
        assertTrue(s.prunable());
    }

    @Test
    void groupedConvolutionsWithDifferentGroupsSplitIntoTheirLeastCommonMultiple() {
        Nodes n = new Nodes();
        n.conv("a", Graph.INPUT, 1, 24, 3, 1, 1);
        n.bn("a.bn", 24);
        String x = n.relu("a.relu");
        n.conv("g4", x, 24, 24, 3, 1, 4);
        n.conv("g6", x, 24, 24, 3, 1, 6);
        n.add("sum", new Op.Binary(Op.BinaryKind.ADD), "g4", "g6");
        n.add("pool", new Op.GlobalPool(false), n.last);
        n.add("flatten", new Op.Flatten(1), n.last);
        n.add("fc", new Op.Linear(10, 24, true), n.last);
        DependencyGroups g = DependencyGroups.of(new Graph(new long[] {1, 8, 8}, n.nodes, n.last));
        assertEquals(12, g.group("a").convGroups(), g.toString());
        assertTrue(g.group("a").prunable());
        // g4 and g6 write one group (the add joins them): split into 4 and 6 blocks, so 12 of 2 channels
        assertEquals(12, g.group("g4").convGroups(), g.toString());
        assertEquals(List.of("g4", "g6"), g.group("g4").producers());
    }

    @Test
    void aGroupedConvolutionReadingAConcatenationBlocksItsParts() {
        Nodes n = new Nodes();
        n.conv("a", Graph.INPUT, 1, 8, 3, 1, 1);
        n.conv("b", Graph.INPUT, 1, 8, 3, 1, 1);
        n.add("cat", new Op.Concat(1, 2), "a", "b");
        n.conv("g", "cat", 16, 16, 3, 1, 4);
        n.add("pool", new Op.GlobalPool(false), "g");
        n.add("flatten", new Op.Flatten(1), n.last);
        n.add("fc", new Op.Linear(10, 16, true), n.last);
        DependencyGroups g = DependencyGroups.of(new Graph(new long[] {1, 8, 8}, n.nodes, n.last));
        for (String s : List.of("a", "b")) {
            assertEquals("grouped convolution 'g' (Conv2d) reads channels of several sources (a concatenation)", g.group(s).blocked());
        }
        assertTrue(g.group("g").prunable());
        assertEquals(4, g.group("g").convGroups());
    }

    @Test
    void aBlockOfOneChannelCannotBePrunedAndDepthwiseConvolutionsCarryAsBefore() {
        Nodes n = new Nodes();
        n.conv("a", Graph.INPUT, 1, 8, 3, 1, 1);
        n.conv("mult", "a", 8, 16, 3, 1, 8); // a depthwise multiplier: one input channel per group
        n.conv("dw", "mult", 16, 16, 3, 1, 16);
        n.add("pool", new Op.GlobalPool(false), "dw");
        n.add("flatten", new Op.Flatten(1), n.last);
        n.add("fc", new Op.Linear(10, 16, true), n.last);
        DependencyGroups g = DependencyGroups.of(new Graph(new long[] {1, 8, 8}, n.nodes, n.last));
        DependencyGroups.Group a = g.group("a");
        assertFalse(a.prunable());
        assertEquals("grouped convolution 'mult' splits it into 8 blocks of one channel, and every block must keep one", a.blocked());
        DependencyGroups.Group mult = g.group("mult");
        assertTrue(mult.prunable(), mult.toString());
        assertEquals(8, mult.convGroups());
        assertEquals(List.of("dw"), mult.carriers());
        assertTrue(g.table().stringColumn("prunable").get(0).startsWith("no: grouped convolution 'mult'"), g.toString());
    }
}
