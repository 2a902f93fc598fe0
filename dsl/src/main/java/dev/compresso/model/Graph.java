package dev.compresso.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A network as an immutable directed acyclic graph: typed {@link Op}s in topological order, each
 * reading earlier nodes' outputs (or the graph's input, named {@value #INPUT}) and owning named
 * parameter tensors ({@code NODE_weight}, {@code NODE_bias}...). Sequential zoo models are graphs
 * with one path; models imported from ONNX are graphs of any shape. Every technique reads a graph
 * and structural ones return a new one; packed files store its text form ({@link #encode()}).
 *
 * <p>Construction checks the graph: unique names, inputs defined before use, the right number of
 * inputs per op, and shapes that fit, at two batch sizes.
 *
 * @param inputShape the shape of one sample, without the batch axis
 * @param nodes the nodes in topological order
 * @param output the name of the node whose value is the network's output
 */
public record Graph(long[] inputShape, List<Node> nodes, String output) {

    /** The name of the graph's input value. */
    public static final String INPUT = "input";

    /**
     * One node: its name (also the name of its output value and the prefix of its parameters), its
     * op, and the names of the values it reads.
     *
     * @param name the node's name
     * @param op what it computes
     * @param inputs the values it reads, in order
     */
    public record Node(String name, Op op, List<String> inputs) {
        /** Checks the parts. */
        public Node {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(op, "op");
            inputs = List.copyOf(inputs);
            if (name.isBlank() || name.chars().anyMatch(Character::isWhitespace)) {
                throw new IllegalArgumentException("node name '" + name + "' must be non-blank without spaces");
            }
        }

        /** The full names of its parameters, such as {@code 01Linear_weight}. */
        public List<String> parameterNames() {
            List<String> names = new ArrayList<>();
            for (Op.ParamSpec p : op.parameters()) {
                names.add(name + "_" + p.suffix());
            }
            return names;
        }
    }

    /** Checks the graph; see the class comment. */
    public Graph {
        inputShape = inputShape.clone();
        nodes = List.copyOf(nodes);
        Objects.requireNonNull(output, "output");
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("a graph needs at least one node");
        }
        Set<String> defined = new HashSet<>();
        defined.add(INPUT);
        for (Node n : nodes) {
            if (!defined.add(n.name())) {
                throw new IllegalArgumentException("graph has two values named '" + n.name() + "'; node names must be unique");
            }
            int arity = n.op().arity();
            if (n.inputs().size() != arity && !(n.op() instanceof Op.Constant && n.inputs().isEmpty())) {
                throw new IllegalArgumentException("node '" + n.name() + "' (" + n.op().type() + ") takes " + arity
                        + " inputs but is given " + n.inputs());
            }
            for (String in : n.inputs()) {
                if (!defined.contains(in) || in.equals(n.name())) {
                    throw new IllegalArgumentException("node '" + n.name() + "' reads '" + in + "', which no earlier node defines");
                }
            }
        }
        if (!defined.contains(output) || output.equals(INPUT)) {
            throw new IllegalArgumentException("graph output '" + output + "' is not a node");
        }
        shapesAt(inputShape, nodes, 1);
        shapesAt(inputShape, nodes, 2);
    }

    /** The shape of every value at batch size {@code batch}, the input's included, by name. */
    public Map<String, long[]> shapes(long batch) {
        return shapesAt(inputShape, nodes, batch);
    }

    private static Map<String, long[]> shapesAt(long[] inputShape, List<Node> nodes, long batch) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        long[] in = new long[inputShape.length + 1];
        in[0] = batch;
        System.arraycopy(inputShape, 0, in, 1, inputShape.length);
        shapes.put(INPUT, in);
        for (Node n : nodes) {
            List<long[]> ins = new ArrayList<>();
            for (String i : n.inputs()) {
                ins.add(shapes.get(i));
            }
            try {
                shapes.put(n.name(), n.op().outputShape(ins, batch));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("node '" + n.name() + "' (" + n.op().type() + "): " + e.getMessage(), e);
            }
        }
        return shapes;
    }

    /** The node called {@code name}, or null. */
    public Node node(String name) {
        for (Node n : nodes) {
            if (n.name().equals(name)) {
                return n;
            }
        }
        return null;
    }

    /** The nodes that read value {@code name}, in order. */
    public List<Node> consumers(String name) {
        List<Node> list = new ArrayList<>();
        for (Node n : nodes) {
            if (n.inputs().contains(name)) {
                list.add(n);
            }
        }
        return list;
    }

    /** Full parameter names with their specs, in node order. */
    public Map<String, Op.ParamSpec> parameters() {
        Map<String, Op.ParamSpec> map = new LinkedHashMap<>();
        for (Node n : nodes) {
            for (Op.ParamSpec p : n.op().parameters()) {
                map.put(n.name() + "_" + p.suffix(), p);
            }
        }
        return map;
    }

    /** The number of outputs: the last axis of the output value. */
    public int outputs() {
        long[] s = shapes(1).get(output);
        return (int) s[s.length - 1];
    }

    /** The output shape for one sample, without the batch axis. */
    public long[] outputShape() {
        long[] s = shapes(1).get(output);
        return Arrays.copyOfRange(s, 1, s.length);
    }

    /** A copy with some nodes' ops replaced (same names and inputs), for techniques that change attributes. */
    public Graph withOps(Map<String, Op> ops) {
        List<Node> list = new ArrayList<>();
        for (Node n : nodes) {
            Op op = ops.get(n.name());
            list.add(op == null ? n : new Node(n.name(), op, n.inputs()));
        }
        return new Graph(inputShape, list, output);
    }

    /** Counts nodes by op type, for summaries: {@code Conv2d ×20, BatchNorm ×20, Add ×9, ...}. */
    public String opCounts() {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (Node n : nodes) {
            counts.merge(n.op().type(), 1, Integer::sum);
        }
        StringBuilder sb = new StringBuilder();
        counts.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ", ").append(k).append(" ×").append(v));
        return sb.toString();
    }

    /** True if every node reads the one before it (or the input): a chain with no branches. */
    public boolean isChain() {
        String prev = INPUT;
        for (Node n : nodes) {
            if (n.inputs().size() > 1 || (n.inputs().size() == 1 && !n.inputs().get(0).equals(prev))) {
                return false;
            }
            prev = n.name();
        }
        return true;
    }

    // ---------------------------------------------------------------- text form

    /** The first line of {@link #encode()}'s text. */
    static final String HEADER = "compresso-graph 1";

    /**
     * The text form, one line per node: {@code NAME <- IN1,IN2 : OP ATTRIBUTES}. Packed files store it.
     *
     * @return the text
     */
    public String encode() {
        StringBuilder sb = new StringBuilder(HEADER).append('\n');
        sb.append("input");
        for (long d : inputShape) {
            sb.append(' ').append(d);
        }
        sb.append('\n');
        for (Node n : nodes) {
            sb.append(n.name()).append(" <- ").append(n.inputs().isEmpty() ? "-" : String.join(",", n.inputs()))
                    .append(" : ").append(n.op().encode()).append('\n');
        }
        return sb.append("output ").append(output).append('\n').toString();
    }

    /**
     * Parses {@link #encode()}'s text.
     *
     * @param text the text
     * @return the graph
     * @throws IllegalArgumentException if the text is malformed; the message names the line
     */
    public static Graph decode(String text) {
        String[] lines = text.split("\n");
        if (lines.length < 4 || !lines[0].equals(HEADER)) {
            throw new IllegalArgumentException("not a Compresso graph (first line: '" + (lines.length > 0 ? lines[0] : "") + "')");
        }
        int lineNo = 1;
        try {
            String[] in = lines[1].trim().split("\\s+");
            if (!in[0].equals("input")) {
                throw new IllegalArgumentException("expected 'input' but read '" + lines[1] + "'");
            }
            long[] shape = new long[in.length - 1];
            for (int i = 1; i < in.length; i++) {
                shape[i - 1] = Long.parseLong(in[i]);
            }
            List<Node> nodes = new ArrayList<>();
            String output = null;
            for (lineNo = 2; lineNo < lines.length; lineNo++) {
                String line = lines[lineNo];
                if (line.isBlank()) {
                    continue;
                }
                if (line.startsWith("output ")) {
                    output = line.substring(7).trim();
                    continue;
                }
                int arrow = line.indexOf(" <- ");
                int colon = line.indexOf(" : ", arrow + 1);
                if (arrow < 0 || colon < 0) {
                    throw new IllegalArgumentException("expected 'NAME <- INPUTS : OP' but read '" + line + "'");
                }
                String ins = line.substring(arrow + 4, colon).trim();
                nodes.add(new Node(line.substring(0, arrow).trim(), Op.decode(line.substring(colon + 3)),
                        ins.equals("-") ? List.of() : Arrays.asList(ins.split(","))));
            }
            if (output == null) {
                throw new IllegalArgumentException("the graph names no output");
            }
            return new Graph(shape, nodes, output);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("graph text, line " + (lineNo + 1) + ": " + e.getMessage(), e);
        }
    }

    // ---------------------------------------------------------------- sequential chains

    /**
     * The graph of a chain of layer specs, named as DJL names a {@code SequentialBlock}'s children
     * ({@code 01Linear}, {@code 02LambdaBlock}...), so parameter names and initial weights are those
     * of the same chain built from DJL blocks.
     *
     * @param inputShape the shape of one sample
     * @param layers the layers in order
     * @return the graph
     */
    static Graph chain(long[] inputShape, List<LayerSpec> layers) {
        List<Node> nodes = new ArrayList<>();
        long[] shape = new long[inputShape.length + 1];
        shape[0] = 1;
        System.arraycopy(inputShape, 0, shape, 1, inputShape.length);
        String prev = INPUT;
        for (int i = 0; i < layers.size(); i++) {
            LayerSpec l = layers.get(i);
            Op op;
            if (l instanceof LayerSpec.Dense d) {
                op = new Op.Linear(d.units(), (int) shape[shape.length - 1], d.bias());
            } else if (l instanceof LayerSpec.Conv c) {
                if (shape.length != 4) {
                    throw new IllegalArgumentException("layer " + (i + 1) + " (" + l.encode() + ") needs [channels, height, width]"
                            + " samples but gets " + Arrays.toString(Arrays.copyOfRange(shape, 1, shape.length)));
                }
                int k = c.kernel();
                int s = c.stride();
                int p = c.padding();
                op = new Op.Conv(c.filters(), (int) shape[1], new int[] {k, k}, new int[] {s, s}, new int[] {p, p, p, p},
                        new int[] {1, 1}, 1, true);
            } else if (l instanceof LayerSpec.Relu) {
                op = new Op.Unary(Op.UnaryKind.RELU);
            } else if (l instanceof LayerSpec.QuantRelu q) {
                op = new Op.QuantRelu(q.bits(), q.max());
            } else if (l instanceof LayerSpec.MaxPool m) {
                op = new Op.Pool2d(true, new int[] {m.kernel(), m.kernel()}, new int[] {m.stride(), m.stride()}, new int[4], false, false);
            } else {
                op = new Op.Flatten(1);
            }
            String djlName = l instanceof LayerSpec.Dense ? "Linear" : l instanceof LayerSpec.Conv ? "Conv2d" : "LambdaBlock";
            String name = String.format("%02d%s", i + 1, djlName);
            try {
                shape = op.outputShape(List.of(shape), 1);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("layer " + (i + 1) + " (" + l.encode() + "): " + e.getMessage(), e);
            }
            nodes.add(new Node(name, op, List.of(prev)));
            prev = name;
        }
        return new Graph(inputShape, nodes, prev);
    }

    @Override
    public long[] inputShape() {
        return inputShape.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Graph g && g.encode().equals(encode());
    }

    @Override
    public int hashCode() {
        return encode().hashCode();
    }

    @Override
    public String toString() {
        return "graph of " + nodes.size() + " nodes (" + opCounts() + "), input " + Arrays.toString(inputShape);
    }
}
