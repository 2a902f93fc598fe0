package dev.compresso.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The graph as a plain data structure: checks, shapes, text form. No engine. */
class GraphTest {

    @Test
    void zooGraphsRoundTripThroughText() {
        for (Architecture a : List.of(Zoo.resnet(20), Zoo.mobilenetV2(), Zoo.lenet5(), Zoo.lenet300100())) {
            Graph back = Graph.decode(a.graph().encode());
            assertEquals(a.graph().encode(), back.encode());
            assertEquals(a.graph(), back);
            Architecture arch = Architecture.decode(a.encode());
            assertEquals(a.name(), arch.name());
            assertEquals(a.outputs(), arch.outputs());
            assertEquals(a.isSequential(), arch.isSequential(), a.name());
        }
    }

    @Test
    void resnet20HasTheShapeOfThePaper() {
        Graph g = Zoo.resnet(20).graph();
        long params = 0;
        for (Op.ParamSpec p : g.parameters().values()) {
            if (p.type() != ai.djl.nn.Parameter.Type.RUNNING_MEAN && p.type() != ai.djl.nn.Parameter.Type.RUNNING_VAR) {
                params += Op.count(p.shape());
            }
        }
        assertEquals(272_186, params); // about 0.27 M, as in He et al.'s table 6
        assertEquals(9, g.nodes().stream().filter(n -> n.op() instanceof Op.Binary).count()); // one residual add per block
        assertArrayEquals(new long[] {10}, g.outputShape());
        assertArrayEquals(new long[] {7, 64, 7, 7}, g.shapes(7).get("s3.b2.relu2"));
        assertFalse(g.isChain());
        assertNull(Zoo.resnet(20).layers());
        assertTrue(Zoo.lenet5().graph().isChain());
    }

    @Test
    void mobilenetHasDepthwiseConvolutionsAndResiduals() {
        Graph g = Zoo.mobilenetV2().graph();
        long depthwise = g.nodes().stream().filter(n -> n.op() instanceof Op.Conv c && c.depthwise()).count();
        assertEquals(8, depthwise);
        assertTrue(g.nodes().stream().anyMatch(n -> n.name().endsWith(".add")));
        assertTrue(g.nodes().stream().anyMatch(n -> n.op() instanceof Op.Dropout));
    }

    @Test
    void sequentialChainsKeepDjlNames() {
        Graph g = Zoo.lenet300100().graph();
        assertEquals(List.of("01LambdaBlock", "02Linear", "03LambdaBlock", "04Linear", "05LambdaBlock", "06Linear"),
                g.nodes().stream().map(Graph.Node::name).toList());
        assertEquals(List.of("02Linear_weight", "02Linear_bias", "04Linear_weight", "04Linear_bias", "06Linear_weight",
                "06Linear_bias"), List.copyOf(g.parameters().keySet()));
    }

    @Test
    void badGraphsAreRefusedWithTheReason() {
        Op relu = new Op.Unary(Op.UnaryKind.RELU);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Graph(new long[] {4},
                List.of(new Graph.Node("a", relu, List.of("b")), new Graph.Node("b", relu, List.of("input"))), "b"));
        assertTrue(e.getMessage().contains("node 'a' reads 'b', which no earlier node defines"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Graph(new long[] {4},
                List.of(new Graph.Node("a", relu, List.of("input")), new Graph.Node("a", relu, List.of("input"))), "a"));
        assertTrue(e.getMessage().contains("two values named 'a'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Graph(new long[] {4},
                List.of(new Graph.Node("fc", new Op.Linear(3, 5, true), List.of("input"))), "fc"));
        assertTrue(e.getMessage().contains("node 'fc' (Linear): linear takes 5 features on the last axis but gets [1, 4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Graph(new long[] {4},
                List.of(new Graph.Node("add", new Op.Binary(Op.BinaryKind.ADD), List.of("input"))), "add"));
        assertTrue(e.getMessage().contains("takes 2 inputs"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Graph.decode("compresso-graph 1\ninput 4\nx <- input : warp speed=9\noutput x\n"));
        assertTrue(e.getMessage().contains("line 3") && e.getMessage().contains("unknown op 'warp'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Zoo.resnet(21));
        assertTrue(e.getMessage().contains("depth=21 must be 6n + 2"), e.getMessage());
    }

    @Test
    void reshapesScaleTheirBatchAxes() {
        Op.Reshape r = new Op.Reshape(new long[] {17, 2, 16}, new boolean[] {false, true, false});
        assertArrayEquals(new long[] {17, 8, 16}, r.outputShape(List.of(new long[] {17, 4, 32}), 4));
        Graph g = Graph.decode("compresso-graph 1\ninput 2 16\nr <- input : reshape shape=1,32 perbatch=b.\noutput r\n");
        assertArrayEquals(new long[] {3, 32}, g.shapes(3).get("r"));
    }

    @Test
    void constantsKeepTheirValuesBitForBit() {
        float[] v = {1.5f, -0f, Float.MIN_VALUE, 3.4028235e38f};
        Op.Constant c = new Op.Constant(new long[] {4}, v);
        Op.Constant back = (Op.Constant) Op.decode(c.encode());
        for (int i = 0; i < v.length; i++) {
            assertEquals(Float.floatToRawIntBits(v[i]), Float.floatToRawIntBits(back.values()[i]));
        }
    }
}
