package dev.compresso.model;

import java.util.ArrayList;
import java.util.List;

/** Builds a graph node by node, tracking the last value and channel counts; for the zoo and for wrap(). */
final class GraphBuilder {

    private final long[] inputShape;
    private final List<Graph.Node> nodes = new ArrayList<>();
    private String last = Graph.INPUT;

    GraphBuilder(long[] inputShape) {
        this.inputShape = inputShape.clone();
    }

    /** The value the next node reads by default. */
    String last() {
        return last;
    }

    /** Adds a node reading {@code inputs} and makes it the last value. */
    String add(String name, Op op, String... inputs) {
        nodes.add(new Graph.Node(name, op, List.of(inputs)));
        last = name;
        return name;
    }

    /** A bias-free square convolution reading {@code from}. */
    String conv(String name, String from, int in, int out, int kernel, int stride, int groups) {
        int p = kernel / 2;
        return add(name, new Op.Conv(out, in, new int[] {kernel, kernel}, new int[] {stride, stride}, new int[] {p, p, p, p},
                new int[] {1, 1}, groups, false), from);
    }

    String batchNorm(String name, int channels) {
        return add(name, new Op.BatchNorm(channels, 1e-5f, 0.9f), last);
    }

    String relu(String name) {
        return add(name, new Op.Unary(Op.UnaryKind.RELU), last);
    }

    String relu6(String name) {
        return add(name, new Op.Clip(0f, 6f), last);
    }

    Graph build() {
        return new Graph(inputShape, nodes, last);
    }
}
