package dev.compresso.onnx;

import dev.compresso.model.Graph;
import dev.compresso.model.Network;
import dev.compresso.model.Op;
import dev.compresso.onnx.proto.Onnx;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Writes a graph network as an ONNX model: each op becomes the ONNX operator (or the few operators)
 * that compute it, each parameter an initializer under its Compresso name, and the batch axis stays
 * dynamic. Shapes that scale with the batch are computed from the input's shape in the file.
 */
final class OnnxExport {

    private final Network network;
    private final Graph graph;
    private final Onnx.Graph.Builder g = Onnx.Graph.newBuilder();
    private final boolean qdq;
    /** In QDQ mode: the values that are DequantizeLinear outputs, with their {scale, zero point}. */
    private final java.util.Map<String, float[]> grid = new java.util.HashMap<>();
    private boolean plain;
    private String batchValue;
    private int counter;
    private final java.util.Set<String> graphNames = new java.util.HashSet<>();

    private OnnxExport(Network network, boolean qdq) {
        this.network = network;
        this.graph = network.architecture().graph();
        this.qdq = qdq;
        graph.nodes().forEach(n -> graphNames.add(n.name()));
    }

    /**
     * The int8 QDQ form of a model quantized with {@code weightsTo(8).perChannel().activations(8)}:
     * weights as int8 initializers with per-channel DequantizeLinear (axis 0), biases of layers that
     * read quantized values as int32 (scale = input scale × weight scale), and a uint8
     * QuantizeLinear/DequantizeLinear pair at every calibrated activation, so ONNX Runtime fuses them
     * into int8 kernels (QLinearConv and friends).
     */
    static Onnx.Model int8(Network network) {
        String fix = "quantize the unquantized model with quantize(weightsTo(8).perChannel().activations(8)) (add"
                + " .foldBatchNorm() to fold BatchNorms first)";
        if (!network.architecture().isGraph()) {
            model(network); // throws the explanatory error
        }
        dev.compresso.quantize.QuantConstraint qc = network.constraint(dev.compresso.quantize.QuantConstraint.class);
        if (qc == null) {
            throw new IllegalArgumentException("exportInt8: network '" + network.name() + "' is not quantized, so it has no int8"
                    + " weights; " + fix);
        }
        Graph g = network.architecture().graph();
        int activations = 0;
        for (Graph.Node n : g.nodes()) {
            int bits = n.op() instanceof Op.QuantRelu q ? q.bits() : n.op() instanceof Op.Quantize q ? q.bits() : 0;
            if (bits != 0 && bits != 8) {
                throw new IllegalArgumentException("exportInt8: activation '" + n.name() + "' of network '" + network.name()
                        + "' is quantized to " + bits + " bits, but int8 export needs 8; " + fix);
            }
            activations += bits == 8 ? 1 : 0;
            if (n.op() instanceof Op.Conv || n.op() instanceof Op.Linear) {
                String w = n.name() + "_weight";
                Integer bits2 = qc.bits().get(w);
                if (bits2 == null || bits2 != 8 || !qc.symmetricPerChannel(w)) {
                    throw new IllegalArgumentException("exportInt8: weight '" + w + "' of network '" + network.name() + "' is "
                            + (bits2 == null ? "not quantized" : "quantized to " + bits2 + " bits"
                                    + (qc.symmetricPerChannel(w) ? "" : ", not symmetric per channel"))
                            + ", but int8 export needs 8 bits, symmetric, one scale per output channel; " + fix);
                }
            }
        }
        if (activations == 0) {
            throw new IllegalArgumentException("exportInt8: the activations of network '" + network.name() + "' were never"
                    + " calibrated, so there are no int8 activation scales; " + fix);
        }
        return new OnnxExport(network, true).build();
    }

    static Onnx.Model model(Network network) {
        if (!network.architecture().isGraph()) {
            throw new IllegalArgumentException("network '" + network.name() + "' wraps an opaque block ("
                    + network.architecture().description() + "), which has no graph to export; build it from standard DJL"
                    + " blocks, or export it from PyTorch with torch.onnx.export and import that with onnx(...)");
        }
        return new OnnxExport(network, false).build();
    }

    private Onnx.Model build() {
        boolean layerNorm = graph.nodes().stream().anyMatch(n -> n.op() instanceof Op.LayerNorm);
        int opset = layerNorm ? 17 : 13;
        g.setName(network.name());
        g.addInput(valueInfo(Graph.INPUT, graph.inputShape()));
        for (Graph.Node n : graph.nodes()) {
            node(n);
        }
        g.addNode(node("Identity", List.of(graph.output()), "output"));
        g.addOutput(valueInfo("output", graph.outputShape()));
        return Onnx.Model.newBuilder()
                .setIrVersion(8)
                .setProducerName("compresso")
                .setProducerVersion("0.1")
                .setDocString(network.name() + ": " + network.chain())
                .addOpsetImport(Onnx.OperatorSet.newBuilder().setDomain("").setVersion(opset))
                .setGraph(g)
                .build();
    }

    private static Onnx.ValueInfo valueInfo(String name, long[] sample) {
        Onnx.Shape.Builder shape = Onnx.Shape.newBuilder().addDim(Onnx.Shape.Dimension.newBuilder().setDimParam("batch"));
        for (long d : sample) {
            shape.addDim(Onnx.Shape.Dimension.newBuilder().setDimValue(d));
        }
        return Onnx.ValueInfo.newBuilder().setName(name)
                .setType(Onnx.Type.newBuilder().setTensorType(Onnx.Type.TensorType.newBuilder().setElemType(1).setShape(shape)))
                .build();
    }

    private void node(Graph.Node n) {
        Op op = n.op();
        String x = n.inputs().isEmpty() ? null : n.inputs().get(0);
        String out = n.name();
        if (qdq && !plain && qdqNode(n, op, x, out)) {
            return;
        }
        if (op instanceof Op.Conv c) {
            List<String> ins = new ArrayList<>(List.of(x, weight(n, x)));
            if (c.bias()) {
                ins.add(bias(n, x));
            }
            g.addNode(node("Conv", ins, out, ints("kernel_shape", c.kernel()), ints("strides", c.stride()),
                    ints("pads", c.pads()), ints("dilations", c.dilation()), integer("group", c.groups())));
        } else if (op instanceof Op.Linear l) {
            linear(n, l, x, out);
        } else if (op instanceof Op.BatchNorm b) {
            g.addNode(node("BatchNormalization", List.of(x, param(n, "gamma"), param(n, "beta"), param(n, "runningMean"),
                    param(n, "runningVar")), out, real("epsilon", b.epsilon()), real("momentum", b.momentum())));
        } else if (op instanceof Op.LayerNorm l) {
            g.addNode(node("LayerNormalization", List.of(x, param(n, "gamma"), param(n, "beta")), out,
                    integer("axis", -l.normalized().length), real("epsilon", l.epsilon())));
        } else if (op instanceof Op.Tensor) {
            g.addInitializer(OnnxTensors.floats(out, ((Op.Tensor) op).shape(), network.weights(n.name() + "_weight")));
        } else if (op instanceof Op.Constant c) {
            g.addInitializer(OnnxTensors.floats(out, c.shape(), c.values()));
        } else if (op instanceof Op.Unary u) {
            String type = switch (u.kind()) {
                case RELU -> "Relu";
                case SIGMOID -> "Sigmoid";
                case TANH -> "Tanh";
                case ERF -> "Erf";
                case SQRT -> "Sqrt";
                case EXP -> "Exp";
                case NEG -> "Neg";
                case ABS -> "Abs";
                case RECIPROCAL -> "Reciprocal";
                case IDENTITY -> "Identity";
            };
            g.addNode(node(type, List.of(x), out));
        } else if (op instanceof Op.Clip c) {
            g.addNode(node("Clip", List.of(x, scalar(c.min()), scalar(c.max())), out));
        } else if (op instanceof Op.HardSigmoid h) {
            g.addNode(node("HardSigmoid", List.of(x), out, real("alpha", h.alpha()), real("beta", h.beta())));
        } else if (op instanceof Op.HardSwish) {
            String hs = temp(out, "hardsigmoid");
            g.addNode(node("HardSigmoid", List.of(x), hs, real("alpha", 1f / 6), real("beta", 0.5f)));
            g.addNode(node("Mul", List.of(x, hs), out));
        } else if (op instanceof Op.Binary b) {
            String type = switch (b.kind()) {
                case ADD -> "Add";
                case SUB -> "Sub";
                case MUL -> "Mul";
                case DIV -> "Div";
                case POW -> "Pow";
            };
            g.addNode(node(type, n.inputs(), out));
        } else if (op instanceof Op.MatMul) {
            g.addNode(node("MatMul", n.inputs(), out));
        } else if (op instanceof Op.Softmax s) {
            g.addNode(node("Softmax", List.of(x), out, integer("axis", s.axis())));
        } else if (op instanceof Op.Dropout) {
            g.addNode(node("Identity", List.of(x), out));
        } else if (op instanceof Op.QuantRelu q) {
            // relu, then the simulated quantization the model was evaluated with: round(x / s) clipped, times s
            float scale = q.max() / ((1 << q.bits()) - 1);
            String r = temp(out, "relu");
            String d = temp(out, "div");
            String rd = temp(out, "round");
            String cl = temp(out, "clip");
            g.addNode(node("Relu", List.of(x), r));
            g.addNode(node("Div", List.of(r, scalar(scale)), d));
            g.addNode(node("Round", List.of(d), rd));
            g.addNode(node("Clip", List.of(rd, scalar(0f), scalar((1 << q.bits()) - 1)), cl));
            g.addNode(node("Mul", List.of(cl, scalar(scale)), out));
        } else if (op instanceof Op.Quantize q) {
            // (clip(round(x / s) + z) - z) * s, the simulated quantization the model was evaluated with
            String d = temp(out, "div");
            String rd = temp(out, "round");
            String sh = temp(out, "shift");
            String cl = temp(out, "clip");
            String un = temp(out, "unshift");
            g.addNode(node("Div", List.of(x, scalar(q.scale())), d));
            g.addNode(node("Round", List.of(d), rd));
            g.addNode(node("Add", List.of(rd, scalar(q.zeroPoint())), sh));
            g.addNode(node("Clip", List.of(sh, scalar(0f), scalar((1 << q.bits()) - 1)), cl));
            g.addNode(node("Sub", List.of(cl, scalar(q.zeroPoint())), un));
            g.addNode(node("Mul", List.of(un, scalar(q.scale())), out));
        } else if (op instanceof Op.Pool2d p) {
            List<Onnx.Attribute> attrs = new ArrayList<>(List.of(ints("kernel_shape", p.kernel()), ints("strides", p.stride()),
                    ints("pads", p.pads()), integer("ceil_mode", p.ceil() ? 1 : 0)));
            if (!p.max()) {
                attrs.add(integer("count_include_pad", p.countIncludePad() ? 1 : 0));
            }
            g.addNode(node(p.max() ? "MaxPool" : "AveragePool", List.of(x), out, attrs.toArray(Onnx.Attribute[]::new)));
        } else if (op instanceof Op.GlobalPool p) {
            g.addNode(node(p.max() ? "GlobalMaxPool" : "GlobalAveragePool", List.of(x), out));
        } else if (op instanceof Op.Reduce r) {
            if (r.mean()) {
                g.addNode(node("ReduceMean", List.of(x), out, ints("axes", r.axes()), integer("keepdims", r.keepDims() ? 1 : 0)));
            } else {
                g.addNode(node("ReduceSum", List.of(x, longs(Arrays.stream(r.axes()).asLongStream().toArray())), out,
                        integer("keepdims", r.keepDims() ? 1 : 0)));
            }
        } else if (op instanceof Op.Flatten f) {
            g.addNode(node("Flatten", List.of(x), out, integer("axis", f.axis())));
        } else if (op instanceof Op.Reshape r) {
            g.addNode(node("Reshape", List.of(x, shapeValue(out, r.shape(), r.perBatch(), true)), out));
        } else if (op instanceof Op.Expand e) {
            g.addNode(node("Expand", List.of(x, shapeValue(out, e.shape(), e.perBatch(), false)), out));
        } else if (op instanceof Op.Pad p) {
            g.addNode(node("Pad", List.of(x, longs(p.pads()), scalar(p.value())), out, string("mode", "constant")));
        } else if (op instanceof Op.Transpose t) {
            g.addNode(node("Transpose", List.of(x), out, ints("perm", t.perm())));
        } else if (op instanceof Op.Concat c) {
            g.addNode(node("Concat", n.inputs(), out, integer("axis", c.axis())));
        } else if (op instanceof Op.Slice s) {
            g.addNode(node("Slice", List.of(x, longs(s.start()), longs(s.end()), longs(s.axis()), longs(s.step())), out));
        } else if (op instanceof Op.Pick p) {
            String idx = temp(out, "index");
            g.addInitializer(OnnxTensors.longs(idx, new long[0], new long[] {p.index()}));
            g.addNode(node("Gather", List.of(x, idx), out, integer("axis", p.axis())));
        } else if (op instanceof Op.Gather t) {
            String idx = temp(out, "indices");
            g.addInitializer(OnnxTensors.longs(idx, t.indexShape(), Arrays.stream(t.indices()).asLongStream().toArray()));
            g.addNode(node("Gather", List.of(x, idx), out, integer("axis", t.axis())));
        } else {
            throw new IllegalStateException("no ONNX form for op " + op.type() + "; this is a bug, please report it");
        }
    }

    /** Gemm for a batch of vectors; MatMul by the transposed weight (and Add) over more axes. */
    private void linear(Graph.Node n, Op.Linear l, String x, String out) {
        long[] in = graph.shapes(1).get(x);
        if (in.length == 2) {
            List<String> ins = new ArrayList<>(List.of(x, weight(n, x)));
            if (l.bias()) {
                ins.add(bias(n, x));
            }
            g.addNode(node("Gemm", ins, out, integer("transB", 1)));
            return;
        }
        float[] w = network.weights(n.name() + "_weight");
        float[] t = new float[w.length];
        for (int r = 0; r < l.units(); r++) {
            for (int c = 0; c < l.in(); c++) {
                t[c * l.units() + r] = w[r * l.in() + c];
            }
        }
        String wt = n.name() + "_weight";
        g.addInitializer(OnnxTensors.floats(wt, new long[] {l.in(), l.units()}, t));
        if (!l.bias()) {
            g.addNode(node("MatMul", List.of(x, wt), out));
            return;
        }
        String mm = temp(out, "matmul");
        g.addNode(node("MatMul", List.of(x, wt), mm));
        g.addNode(node("Add", List.of(mm, param(n, "bias")), out));
    }

    /**
     * QDQ mode: quantized activations become QuantizeLinear/DequantizeLinear pairs, and ops that keep
     * a grid are followed by a pair on their input's grid, so ONNX Runtime sees DQ → op → Q groups.
     *
     * @return true if the node was written
     */
    private boolean qdqNode(Graph.Node n, Op op, String x, String out) {
        if (op instanceof Op.QuantRelu q) {
            quantizeDequantize(x, out, q.max() / ((1 << q.bits()) - 1), 0);
            return true;
        }
        if (op instanceof Op.Quantize q) {
            quantizeDequantize(x, out, q.scale(), q.zeroPoint());
            return true;
        }
        if (dev.compresso.quantize.Quantization.keepsGrid(op) && grid.containsKey(x)) {
            float[] sz = grid.get(x);
            String moved = temp(out, "float");
            plain = true;
            node(new Graph.Node(moved, op, n.inputs()));
            plain = false;
            quantizeDequantize(moved, out, sz[0], (int) sz[1]);
            return true;
        }
        return false;
    }

    /**
     * A QuantizeLinear/DequantizeLinear pair from {@code x} to {@code out}. Its tensors get short
     * names ({@code out/s}, {@code out/z}, {@code out/q}) and its nodes none (names are optional in
     * ONNX): in a small int8 model the names are a tenth of the file.
     */
    private void quantizeDequantize(String x, String out, float scale, int zeroPoint) {
        String s = shortName(out, "s");
        String z = shortName(out, "z");
        String q = shortName(out, "q");
        g.addInitializer(OnnxTensors.floats(s, new long[0], new float[] {scale}));
        g.addInitializer(OnnxTensors.bytes(z, new long[0], Onnx.Tensor.DataType.UINT8_VALUE, new byte[] {(byte) zeroPoint}));
        g.addNode(node("QuantizeLinear", List.of(x, s, z), q).toBuilder().clearName());
        g.addNode(node("DequantizeLinear", List.of(q, s, z), out).toBuilder().clearName());
        grid.put(out, new float[] {scale, zeroPoint});
    }

    /** {@code base/what}, or a numbered temporary name if a node of the graph already has that name. */
    private String shortName(String base, String what) {
        String name = base + "/" + what;
        return graphNames.contains(name) ? temp(base, what) : name;
    }

    /** A layer's weight: in QDQ mode int8 levels with per-channel scales and a DequantizeLinear, else fp32. */
    private String weight(Graph.Node n, String x) {
        String name = n.name() + "_weight";
        if (!qdq) {
            return param(n, "weight");
        }
        long[] shape = network.parameterArray(name).getShape().getShape();
        float[] w = network.weights(name);
        int rows = (int) shape[0];
        float[] scales = dev.compresso.quantize.Quantizer.symmetricScales(w, rows, 8);
        int[] levels = dev.compresso.quantize.Quantizer.levels(w, scales);
        byte[] b = new byte[levels.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) levels[i];
        }
        String q = name + "_int8";
        String s = name + "_scale";
        // no zero point: it defaults to 0 (symmetric), of the levels' type
        g.addInitializer(OnnxTensors.bytes(q, shape, Onnx.Tensor.DataType.INT8_VALUE, b));
        g.addInitializer(OnnxTensors.floats(s, new long[] {rows}, scales));
        g.addNode(node("DequantizeLinear", List.of(q, s), name, integer("axis", 0)));
        weightScales.put(n.name(), scales);
        return name;
    }

    private final java.util.Map<String, float[]> weightScales = new java.util.HashMap<>();

    /**
     * A layer's bias: in QDQ mode, when the layer reads a quantized value, int32 levels at scale input
     * scale × weight scale (what int8 kernels add to their int32 accumulators), else fp32.
     */
    private String bias(Graph.Node n, String x) {
        float[] ws = weightScales.get(n.name());
        if (!qdq || ws == null || !grid.containsKey(x)) {
            return param(n, "bias");
        }
        String name = n.name() + "_bias";
        float[] b = network.weights(name);
        float in = grid.get(x)[0];
        float[] scales = new float[b.length];
        int[] levels = new int[b.length];
        for (int i = 0; i < b.length; i++) {
            scales[i] = in * ws[i];
            levels[i] = (int) Math.max(Integer.MIN_VALUE + 1L, Math.min(Integer.MAX_VALUE, Math.rint(b[i] / (double) scales[i])));
        }
        String q = name + "_int32";
        String s = name + "_scale";
        g.addInitializer(OnnxTensors.ints(q, new long[] {b.length}, levels));
        g.addInitializer(OnnxTensors.floats(s, new long[] {b.length}, scales));
        g.addNode(node("DequantizeLinear", List.of(q, s), name, integer("axis", 0)));
        return name;
    }

    /** A parameter as an initializer named like the parameter. */
    private String param(Graph.Node n, String suffix) {
        String name = n.name() + "_" + suffix;
        long[] shape = network.parameterArray(name).getShape().getShape();
        g.addInitializer(OnnxTensors.floats(name, shape, network.weights(name)));
        return name;
    }

    /** The target shape of a reshape or expand: stored, or computed from the input's batch size. */
    private String shapeValue(String out, long[] shape, boolean[] perBatch, boolean reshape) {
        int scaled = 0;
        for (boolean b : perBatch) {
            scaled += b ? 1 : 0;
        }
        long[] fixed = shape.clone();
        if (scaled == 0 || (reshape && scaled == 1)) {
            for (int i = 0; i < perBatch.length; i++) {
                if (perBatch[i]) {
                    fixed[i] = -1; // the one axis that scales is inferred from the size
                }
            }
            return longs(fixed);
        }
        if (batchValue == null) {
            String s = temp("batch", "shape");
            batchValue = temp("batch", "size");
            g.addNode(node("Shape", List.of(Graph.INPUT), s));
            g.addNode(node("Slice", List.of(s, longs(0), longs(1)), batchValue));
        }
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < shape.length; i++) {
            if (perBatch[i]) {
                String m = temp(out, "dim" + i);
                g.addNode(node("Mul", List.of(batchValue, longs(shape[i])), m));
                parts.add(m);
            } else {
                parts.add(longs(shape[i]));
            }
        }
        String cat = temp(out, "shape");
        g.addNode(node("Concat", parts, cat, integer("axis", 0)));
        return cat;
    }

    private String scalar(float v) {
        String name = temp("const", Float.toString(v));
        g.addInitializer(OnnxTensors.floats(name, new long[0], new float[] {v}));
        return name;
    }

    private String longs(long... v) {
        String name = temp("const", "i64");
        g.addInitializer(OnnxTensors.longs(name, new long[] {v.length}, v));
        return name;
    }

    private String temp(String base, String what) {
        return base + "/" + what + "_" + (counter++);
    }

    private static Onnx.Node node(String type, List<String> inputs, String output, Onnx.Attribute... attrs) {
        return Onnx.Node.newBuilder().setOpType(type).setName(output + "/" + type).addAllInput(inputs).addOutput(output)
                .addAllAttribute(Arrays.asList(attrs)).build();
    }

    private static Onnx.Attribute ints(String name, int[] v) {
        Onnx.Attribute.Builder a = Onnx.Attribute.newBuilder().setName(name).setType(Onnx.Attribute.Type.INTS);
        for (int x : v) {
            a.addInts(x);
        }
        return a.build();
    }

    private static Onnx.Attribute integer(String name, long v) {
        return Onnx.Attribute.newBuilder().setName(name).setType(Onnx.Attribute.Type.INT).setI(v).build();
    }

    private static Onnx.Attribute string(String name, String v) {
        return Onnx.Attribute.newBuilder().setName(name).setType(Onnx.Attribute.Type.STRING)
                .setS(com.google.protobuf.ByteString.copyFromUtf8(v)).build();
    }

    private static Onnx.Attribute real(String name, float v) {
        return Onnx.Attribute.newBuilder().setName(name).setType(Onnx.Attribute.Type.FLOAT).setF(v).build();
    }
}
