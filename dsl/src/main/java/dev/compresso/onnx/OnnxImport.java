package dev.compresso.onnx;

import dev.compresso.model.Graph;
import dev.compresso.model.Op;
import dev.compresso.onnx.proto.Onnx;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns an ONNX graph into a {@link Graph} and its weights. Everything that does not depend on the
 * input's values (shape arithmetic such as Shape → Gather → Concat → Reshape, constants, casts) is
 * computed here, so the graph keeps only tensor ops with fixed attributes. The conversion runs at
 * batch sizes 1 and 2; an axis whose size doubles scales with the batch ({@code perbatch}).
 */
final class OnnxImport {

    /** The opsets of the default domain we read. */
    static final int MIN_OPSET = 11;
    static final int MAX_OPSET = 17;

    /** The ONNX operators we convert, for error messages and the docs. */
    static final List<String> SUPPORTED = List.of("Abs", "Add", "AveragePool", "BatchNormalization", "Cast", "Clip", "Concat",
            "Constant", "ConstantOfShape", "Conv", "Div", "Dropout", "Einsum", "Equal", "Erf", "Exp", "Expand", "Flatten", "Gather",
            "Gemm", "GlobalAveragePool", "GlobalMaxPool", "HardSigmoid", "HardSwish", "Identity", "LayerNormalization", "MatMul",
            "MaxPool", "Mod", "Mul", "Neg", "Pad", "Pow", "Range", "Reciprocal", "ReduceL2", "ReduceMean", "ReduceSum", "Relu",
            "Reshape", "ScatterND", "Shape", "Sigmoid", "Slice", "Softmax", "Split", "Sqrt", "Squeeze", "Sub", "Tanh", "Transpose",
            "Unsqueeze", "Where");

    /** A value known at import time: integers (shapes, indices) or floats (weights, small constants). */
    record Known(long[] dims, double[] values, boolean integer) {
        long[] longs() {
            long[] v = new long[values.length];
            for (int i = 0; i < v.length; i++) {
                v[i] = (long) values[i];
            }
            return v;
        }

        float[] floats() {
            float[] v = new float[values.length];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) values[i];
            }
            return v;
        }

        int size() {
            return values.length;
        }
    }

    /** The converted graph at one batch size, with the weights by parameter name. */
    record Result(List<Graph.Node> nodes, String output, Map<String, float[]> weights) {}

    private final Onnx.Graph onnx;
    private final Map<String, Known> stored;
    private final boolean keepWeights;
    private final String file;
    private final int opset;
    private final long batch;
    private final long[] sample;
    private final long exportBatch;
    private final Map<String, Known> known = new HashMap<>();
    private final Map<String, String> alias = new HashMap<>();   // ONNX value -> our value
    private final Map<String, long[]> shapes = new HashMap<>();  // our value -> shape at this batch
    private final List<Graph.Node> nodes = new ArrayList<>();
    private final Map<String, float[]> weights = new LinkedHashMap<>();
    private final Set<String> names = new HashSet<>();
    private final Map<String, Integer> uses = new HashMap<>();
    private final Set<String> fused = new HashSet<>();
    private final Set<String> initializers = new HashSet<>();
    /** Where the batch sits in each value: the axis and the size of the part of that axis inside it (size = outer × batch × inner). */
    private final Map<String, long[]> batchAxis = new HashMap<>();
    private final Set<String> fromShapes = new HashSet<>();          // ONNX values computed from some tensor's shape
    /** Which candidate axis an ambiguous reshape (by node index) scales; the caller retries other choices. */
    final Map<Integer, Integer> choices = new HashMap<>();
    /** The ambiguous reshapes met, in order: node index and number of candidates. */
    final List<int[]> decisions = new ArrayList<>();
    private int currentNode;

    /**
     * A conversion at one batch size.
     *
     * @param stored the graph's initializers, read once by {@link #initializers} and shared by every conversion
     * @param keepWeights whether to collect the weights; the conversions at other batch sizes need only shapes
     */
    OnnxImport(Onnx.Graph onnx, String file, int opset, long[] sample, long exportBatch, long batch, Map<String, Known> stored,
            boolean keepWeights) {
        this.stored = stored;
        this.keepWeights = keepWeights;
        this.exportBatch = exportBatch;
        this.onnx = onnx;
        this.file = file;
        this.opset = opset;
        this.sample = sample;
        this.batch = batch;
    }

    /** The initializers of a graph by name, read once. */
    static Map<String, Known> initializers(Onnx.Graph onnx, String file) {
        Map<String, Known> map = new HashMap<>();
        for (Onnx.Tensor t : onnx.getInitializerList()) {
            map.put(t.getName(), OnnxTensors.read(t, file));
        }
        return map;
    }

    Result convert(String inputName, String outputName) {
        known.putAll(stored); // the values are never changed in place: folding makes new ones
        initializers.addAll(stored.keySet());
        for (Onnx.Node n : onnx.getNodeList()) {
            for (String in : n.getInputList()) {
                uses.merge(in, 1, Integer::sum);
            }
        }
        long[] in = new long[sample.length + 1];
        in[0] = batch;
        System.arraycopy(sample, 0, in, 1, sample.length);
        alias.put(inputName, Graph.INPUT);
        shapes.put(Graph.INPUT, in);
        batchAxis.put(Graph.INPUT, new long[] {0, 1});
        names.add(Graph.INPUT);
        List<Onnx.Node> list = onnx.getNodeList();
        for (int i = 0; i < list.size(); i++) {
            Onnx.Node n = list.get(i);
            if (fused.contains(n.getName() + "#" + i)) {
                continue;
            }
            currentNode = i;
            try {
                convert(n, i);
            } catch (OnnxException e) {
                throw e;
            } catch (RuntimeException e) {
                throw new OnnxException(file + ": node '" + n.getName() + "' (" + n.getOpType() + ") cannot be converted: "
                        + e.getMessage(), e);
            }
        }
        String out = alias.get(outputName);
        if (out == null || out.equals(Graph.INPUT)) {
            throw new OnnxException(file + ": the output '" + outputName + "' does not depend on the input; nothing to run");
        }
        return new Result(nodes, out, weights);
    }

    // ---------------------------------------------------------------- one node

    private void convert(Onnx.Node n, int index) {
        String type = n.getOpType();
        if (!n.getDomain().isEmpty() && !n.getDomain().equals("ai.onnx")) {
            throw unsupported(n, "of domain '" + n.getDomain() + "'");
        }
        List<String> ins = n.getInputList();
        boolean dynamic = false;
        for (String s : ins) {
            // a stored weight stays a parameter of the graph (trainable) instead of being folded away
            dynamic |= !s.isEmpty() && (alias.containsKey(s) || (!type.equals("Identity") && isParameter(s)));
        }
        if (type.equals("Constant")) {
            known.put(n.getOutput(0), constant(n));
            return;
        }
        if (type.equals("Shape")) {
            long[] s = shapeOf(ins.get(0));
            known.put(n.getOutput(0), ints(new long[] {s.length}, s));
            fromShapes.add(n.getOutput(0));
            return;
        }
        if (!dynamic) {
            known.put(n.getOutput(0), Folding.fold(n, inputsKnown(n), opset));
            for (String s : ins) {
                if (fromShapes.contains(s)) {
                    fromShapes.add(n.getOutput(0));
                }
            }
            return;
        }
        switch (type) {
            case "Identity", "Cast" -> alias.put(n.getOutput(0), value(ins.get(0)));
            case "Dropout" -> {
                float rate = ins.size() > 1 && !ins.get(1).isEmpty() ? (float) k(ins.get(1)).values()[0] : attrF(n, "ratio", 0.5f);
                add(n, n.getOutput(0), new Op.Dropout(rate), value(ins.get(0)));
            }
            case "Conv" -> conv(n);
            case "Gemm" -> gemm(n);
            case "MatMul" -> matmul(n, index);
            case "BatchNormalization" -> {
                long c = shapeOf(ins.get(0))[1];
                Graph.Node node = add(n, paramName(n, ins.get(1), ".weight"),
                        new Op.BatchNorm((int) c, attrF(n, "epsilon", 1e-5f), attrF(n, "momentum", 0.9f)), value(ins.get(0)));
                weights.put(node.name() + "_gamma", k(ins.get(1)).floats());
                weights.put(node.name() + "_beta", k(ins.get(2)).floats());
                weights.put(node.name() + "_runningMean", k(ins.get(3)).floats());
                weights.put(node.name() + "_runningVar", k(ins.get(4)).floats());
                alias.put(n.getOutput(0), node.name());
            }
            case "LayerNormalization" -> {
                long[] x = shapeOf(ins.get(0));
                int axis = axis(attrI(n, "axis", -1), x.length);
                long[] norm = Arrays.copyOfRange(x, axis, x.length);
                Graph.Node node = add(n, paramName(n, ins.get(1), ".weight"), new Op.LayerNorm(norm, attrF(n, "epsilon", 1e-5f)),
                        value(ins.get(0)));
                weights.put(node.name() + "_gamma", broadcastTo(k(ins.get(1)), norm));
                weights.put(node.name() + "_beta", ins.size() > 2 && !ins.get(2).isEmpty() ? broadcastTo(k(ins.get(2)), norm)
                        : new float[(int) count(norm)]);
                alias.put(n.getOutput(0), node.name());
            }
            case "Relu" -> unary(n, Op.UnaryKind.RELU);
            case "Sigmoid" -> unary(n, Op.UnaryKind.SIGMOID);
            case "Tanh" -> unary(n, Op.UnaryKind.TANH);
            case "Erf" -> unary(n, Op.UnaryKind.ERF);
            case "Sqrt" -> unary(n, Op.UnaryKind.SQRT);
            case "Exp" -> unary(n, Op.UnaryKind.EXP);
            case "Neg" -> unary(n, Op.UnaryKind.NEG);
            case "Abs" -> unary(n, Op.UnaryKind.ABS);
            case "Reciprocal" -> unary(n, Op.UnaryKind.RECIPROCAL);
            case "Clip" -> {
                float min = attrF(n, "min", Float.NEGATIVE_INFINITY);
                float max = attrF(n, "max", Float.POSITIVE_INFINITY);
                if (ins.size() > 1 && !ins.get(1).isEmpty()) {
                    min = (float) k(ins.get(1)).values()[0];
                }
                if (ins.size() > 2 && !ins.get(2).isEmpty()) {
                    max = (float) k(ins.get(2)).values()[0];
                }
                add(n, n.getOutput(0), new Op.Clip(min, max), value(ins.get(0)));
            }
            case "HardSigmoid" -> add(n, n.getOutput(0), new Op.HardSigmoid(attrF(n, "alpha", 0.2f), attrF(n, "beta", 0.5f)),
                    value(ins.get(0)));
            case "HardSwish" -> add(n, n.getOutput(0), new Op.HardSwish(), value(ins.get(0)));
            case "Add" -> binary(n, Op.BinaryKind.ADD);
            case "Sub" -> binary(n, Op.BinaryKind.SUB);
            case "Mul" -> binary(n, Op.BinaryKind.MUL);
            case "Div" -> binary(n, Op.BinaryKind.DIV);
            case "Pow" -> binary(n, Op.BinaryKind.POW);
            case "Softmax" -> {
                long[] x = shapeOf(ins.get(0));
                int axis = axis(attrI(n, "axis", opset >= 13 ? -1 : 1), x.length);
                if (opset < 13 && axis != x.length - 1) {
                    throw new OnnxException(file + ": node '" + n.getName() + "' is a Softmax of opset " + opset + " over axes "
                            + axis + ".. of a rank-" + x.length + " tensor, which flattens them; export at opset 13 or later");
                }
                add(n, n.getOutput(0), new Op.Softmax(axis), value(ins.get(0)));
            }
            case "MaxPool", "AveragePool" -> pool(n, type.equals("MaxPool"));
            case "GlobalAveragePool", "GlobalMaxPool" -> add(n, n.getOutput(0), new Op.GlobalPool(type.equals("GlobalMaxPool")),
                    value(ins.get(0)));
            case "ScatterND" -> scatterNd(n);
            case "ReduceMean", "ReduceSum", "ReduceL2" -> {
                long[] x = shapeOf(ins.get(0));
                long[] axes = ins.size() > 1 && !ins.get(1).isEmpty() ? k(ins.get(1)).longs() : attrInts(n, "axes", null);
                if (axes == null) {
                    axes = new long[x.length];
                    for (int a = 0; a < x.length; a++) {
                        axes[a] = a;
                    }
                }
                int[] ax = new int[axes.length];
                for (int a = 0; a < ax.length; a++) {
                    ax[a] = axis(axes[a], x.length);
                }
                boolean keep = attrI(n, "keepdims", 1) == 1;
                String x0 = value(ins.get(0));
                if (type.equals("ReduceL2")) {
                    // sqrt(sum(x²)): F.normalize in Swin v2's cosine attention
                    String sq = add(n, n.getOutput(0) + "/square", new Op.Binary(Op.BinaryKind.MUL), x0, x0).name();
                    String sum = add(n, n.getOutput(0) + "/sum", new Op.Reduce(false, ax, keep), sq).name();
                    add(n, n.getOutput(0), new Op.Unary(Op.UnaryKind.SQRT), sum);
                } else {
                    add(n, n.getOutput(0), new Op.Reduce(type.equals("ReduceMean"), ax, keep), x0);
                }
            }
            case "Flatten" -> {
                long[] x = shapeOf(ins.get(0));
                add(n, n.getOutput(0), new Op.Flatten(axis(attrI(n, "axis", 1), x.length)), value(ins.get(0)));
            }
            case "Reshape" -> {
                long[] stored = k(ins.get(1)).longs();
                boolean allowZero = attrI(n, "allowzero", 0) == 1;
                long[] target;
                try {
                    // computed from shapes: right at this batch size, unless the export baked some of it in
                    target = fromShapes.contains(ins.get(1)) ? Folding.reshapeTarget(shapeOf(ins.get(0)), stored, allowZero) : null;
                } catch (IllegalArgumentException e) {
                    target = null;
                }
                if (target == null) {
                    target = Folding.reshapeTarget(shapeOf(ins.get(0)), batchFixed(stored, ins.get(0)), allowZero);
                }
                reshape(n, ins.get(0), target);
            }
            case "Squeeze", "Unsqueeze" -> {
                long[] x = shapeOf(ins.get(0));
                long[] axes = ins.size() > 1 && !ins.get(1).isEmpty() ? k(ins.get(1)).longs() : attrInts(n, "axes", null);
                reshape(n, ins.get(0), type.equals("Squeeze") ? Folding.squeeze(x, axes) : Folding.unsqueeze(x, axes));
            }
            case "Transpose" -> {
                long[] x = shapeOf(ins.get(0));
                long[] perm = attrInts(n, "perm", null);
                int[] p = new int[x.length];
                for (int a = 0; a < p.length; a++) {
                    p[a] = perm == null ? x.length - 1 - a : (int) perm[a];
                }
                add(n, n.getOutput(0), new Op.Transpose(p), value(ins.get(0)));
            }
            case "Concat" -> {
                long[] x = shapeOf(firstDynamic(ins));
                List<String> vals = new ArrayList<>();
                for (String s : ins) {
                    vals.add(value(s));
                }
                add(n, n.getOutput(0), new Op.Concat(axis(attrI(n, "axis", 0), x.length), vals.size()), vals.toArray(String[]::new));
            }
            case "Split" -> split(n);
            case "Slice" -> slice(n);
            case "Gather" -> gather(n);
            case "Einsum" -> einsum(n);
            case "Pad" -> {
                long[] x = shapeOf(ins.get(0));
                String mode = attrS(n, "mode", "constant");
                if (!mode.equals("constant")) {
                    throw unsupported(n, "in mode '" + mode + "' (only constant padding is supported)");
                }
                long[] pads = ins.size() > 1 && !ins.get(1).isEmpty() ? k(ins.get(1)).longs() : attrInts(n, "pads", new long[2 * x.length]);
                if (ins.size() > 3 && !ins.get(3).isEmpty()) {
                    long[] axes = k(ins.get(3)).longs();
                    long[] full = new long[2 * x.length];
                    for (int a = 0; a < axes.length; a++) {
                        int ax = axis(axes[a], x.length);
                        full[ax] = pads[a];
                        full[ax + x.length] = pads[a + axes.length];
                    }
                    pads = full;
                }
                float value = ins.size() > 2 && !ins.get(2).isEmpty() ? (float) k(ins.get(2)).values()[0] : attrF(n, "value", 0f);
                add(n, n.getOutput(0), new Op.Pad(pads, value), value(ins.get(0)));
            }
            case "Expand" -> {
                long[] target = k(ins.get(1)).longs().clone();
                long[] x = shapeOf(ins.get(0));
                if (exportBatch >= 1 && exportBatch != batch && target.length == x.length && target[0] == exportBatch && x[0] == 1) {
                    target[0] = batch; // a stored expand to the export's batch size (a class token for every sample)
                }
                add(n, n.getOutput(0), new Op.Expand(target, new boolean[target.length]), value(ins.get(0)));
            }
            default -> throw unsupported(n, "");
        }
    }

    /** A single index picks (torch's {@code x[:, 0]}); an index tensor gathers (Swin v2's relative-position table). */
    private void gather(Onnx.Node n) {
        List<String> ins = n.getInputList();
        long[] x = shapeOf(ins.get(0));
        int axis = axis(attrI(n, "axis", 0), x.length);
        Known idx = k(ins.get(1));
        long[] raw = idx.longs();
        int[] at = new int[raw.length];
        for (int i = 0; i < raw.length; i++) {
            long j = raw[i] < 0 ? raw[i] + x[axis] : raw[i];
            if (j < 0 || j >= x[axis]) {
                throw new OnnxException(file + ": node '" + n.getName() + "' gathers index " + raw[i] + " of '" + ins.get(1)
                        + "' along axis " + axis + " of size " + x[axis] + "; indices must lie in [-" + x[axis] + ", " + x[axis]
                        + "); the file is damaged");
            }
            at[i] = (int) j;
        }
        String source = value(ins.get(0));
        if (idx.dims().length == 0) {
            add(n, n.getOutput(0), new Op.Pick(axis, at[0]), source);
            return;
        }
        long[] where = batchAxis.get(source);
        if (where != null && where[0] == axis) {
            throw new OnnxException(file + ": node '" + n.getName() + "' gathers " + Arrays.toString(idx.dims())
                    + " stored indices along axis " + axis + ", which holds the batch; only other axes can be gathered, since the"
                    + " batch size changes. Index the batch outside the model");
        }
        add(n, n.getOutput(0), new Op.Gather(axis, idx.dims(), at), source);
    }

    /**
     * ScatterND into a computed tensor with stored indices (Swin v2 zeroes the middle third of its
     * qkv bias this way, a trainable parameter): data and updates are flattened and joined, and one
     * {@link Op.Gather} takes each output entry from data or from the update that overwrites it, so
     * gradients reach both. Stored updates stay fixed (a Constant), as they are in the model.
     */
    private void scatterNd(Onnx.Node n) {
        List<String> ins = n.getInputList();
        if (!attrS(n, "reduction", "none").equals("none")) {
            throw unsupported(n, "with reduction '" + attrS(n, "reduction", "none") + "' (only plain overwriting is supported)");
        }
        long[] d = shapeOf(ins.get(0));
        Known idx = k(ins.get(1));
        long[] id = idx.dims();
        int k = (int) id[id.length - 1];
        long size = count(d);
        int slice = (int) count(Arrays.copyOfRange(d, k, d.length));
        long tuples = count(Arrays.copyOf(id, id.length - 1));
        int[] from = new int[(int) size];
        for (int i = 0; i < from.length; i++) {
            from[i] = i;
        }
        long[] t = idx.longs();
        for (int u = 0; u < tuples; u++) {
            long offset = 0;
            for (int a = 0; a < k; a++) {
                long j = t[u * k + a];
                long jj = j < 0 ? j + d[a] : j;
                if (jj < 0 || jj >= d[a]) {
                    throw new OnnxException(file + ": node '" + n.getName() + "' scatters to index " + j + " of axis " + a + " of size "
                            + d[a] + "; the file is damaged");
                }
                offset = offset * d[a] + jj;
            }
            for (int r = 0; r < slice; r++) {
                from[(int) (offset * slice + r)] = (int) (size + (long) u * slice + r);
            }
        }
        String data = value(ins.get(0));
        String updates;
        if (alias.containsKey(ins.get(2)) || isParameter(ins.get(2))) {
            updates = value(ins.get(2));
        } else {
            Known c = k(ins.get(2));
            updates = unique(sanitize(n.getOutput(0) + "/updates"));
            nodes.add(new Graph.Node(updates, new Op.Constant(c.dims(), c.floats()), List.of()));
            shapes.put(updates, c.dims());
        }
        for (String v : List.of(data, updates)) {
            if (batchAxis.containsKey(v)) {
                throw new OnnxException(file + ": node '" + n.getName() + "' scatters into or from '" + v + "', which holds the batch;"
                        + " only ScatterND on tensors that do not depend on the input (such as a bias) is supported");
            }
        }
        long updateCount = count(shapes.get(updates));
        String flatData = add(n, n.getOutput(0) + "/data", new Op.Reshape(new long[] {size}, new boolean[1]), data).name();
        String flatUpdates = add(n, n.getOutput(0) + "/updates_flat", new Op.Reshape(new long[] {updateCount}, new boolean[1]), updates)
                .name();
        String both = add(n, n.getOutput(0) + "/joined", new Op.Concat(0, 2), flatData, flatUpdates).name();
        add(n, n.getOutput(0), new Op.Gather(0, d, from), both);
    }

    /** Einsum, lowered into transposes, reshapes, reductions and a MatMul or Mul by {@link Einsum}. */
    private void einsum(Onnx.Node n) {
        String equation = attrS(n, "equation", null);
        if (equation == null) {
            throw new OnnxException(file + ": node '" + n.getName() + "' (Einsum) has no 'equation' attribute, which ONNX requires;"
                    + " the file is damaged");
        }
        List<String> vals = new ArrayList<>();
        List<long[]> inShapes = new ArrayList<>();
        int[] batchAxes = new int[n.getInputCount()];
        for (int i = 0; i < batchAxes.length; i++) {
            String v = value(n.getInput(i));
            vals.add(v);
            inShapes.add(shapes.get(v));
            batchAxes[i] = batchAxis.containsKey(v) ? (int) batchAxis.get(v)[0] : -1;
        }
        String result;
        try {
            result = Einsum.lower(equation, vals, inShapes, batchAxes,
                    (step, op, inputs) -> add(n, n.getOutput(0) + "/einsum_" + step, op, inputs).name());
        } catch (IllegalArgumentException e) {
            List<String> dims = inShapes.stream().map(Arrays::toString).toList();
            throw new OnnxException(file + ": node '" + n.getName() + "' computes Einsum '" + equation + "' of shapes "
                    + String.join(" and ", dims) + ", which Compresso cannot lower: " + e.getMessage() + ". Supported are one or two"
                    + " operands labelled by letters (and '...'), each label at most once per operand; rewrite the einsum in the model"
                    + " (for example with matmul, transpose and sum) and export again", e);
        }
        alias.put(n.getOutput(0), result);
    }

    private boolean isParameter(String value) {
        Known k = known.get(value);
        return k != null && !k.integer() && k.size() > 1 && initializers.contains(value);
    }

    private OnnxException unsupported(Onnx.Node n, String detail) {
        return new OnnxException(file + ": node '" + n.getName() + "' uses operator " + n.getOpType()
                + (detail.isEmpty() ? "" : " " + detail) + ", which Compresso does not support. Supported operators: "
                + String.join(", ", SUPPORTED) + ". Re-export the model without it, or open an issue naming the operator");
    }

    // ---------------------------------------------------------------- layers

    private void conv(Onnx.Node n) {
        List<String> ins = n.getInputList();
        long[] x = shapeOf(ins.get(0));
        Known w = k(ins.get(1));
        if (w.dims().length != 4) {
            throw new OnnxException(file + ": node '" + n.getName() + "' is a " + (w.dims().length - 2)
                    + "-D convolution; only 2-D convolutions (NCHW) are supported");
        }
        String autoPad = attrS(n, "auto_pad", "NOTSET");
        int[] kernel = {(int) w.dims()[2], (int) w.dims()[3]};
        int[] stride = toInts(attrInts(n, "strides", new long[] {1, 1}));
        int[] dilation = toInts(attrInts(n, "dilations", new long[] {1, 1}));
        int[] pads = toInts(attrInts(n, "pads", new long[] {0, 0, 0, 0}));
        if (!autoPad.equals("NOTSET") && !autoPad.equals("VALID")) {
            pads = samePads(x, kernel, stride, dilation, autoPad.equals("SAME_LOWER"));
        }
        int groups = (int) attrI(n, "group", 1);
        boolean bias = ins.size() > 2 && !ins.get(2).isEmpty();
        Op.Conv op = new Op.Conv((int) w.dims()[0], (int) x[1], kernel, stride, pads, dilation, groups, bias);
        Graph.Node node = add(n, paramName(n, ins.get(1), ".weight"), op, value(ins.get(0)));
        weight(node.name() + "_weight", w::floats);
        if (bias) {
            weights.put(node.name() + "_bias", k(ins.get(2)).floats());
        }
        alias.put(n.getOutput(0), node.name());
    }

    private static int[] samePads(long[] x, int[] k, int[] s, int[] d, boolean lower) {
        int[] pads = new int[4];
        for (int a = 0; a < 2; a++) {
            long out = (x[2 + a] + s[a] - 1) / s[a];
            long total = Math.max(0, (out - 1) * s[a] + (k[a] - 1L) * d[a] + 1 - x[2 + a]);
            int small = (int) (total / 2);
            int big = (int) (total - small);
            pads[a] = lower ? big : small;
            pads[a + 2] = lower ? small : big;
        }
        return pads;
    }

    private void gemm(Onnx.Node n) {
        List<String> ins = n.getInputList();
        if (attrI(n, "transA", 0) != 0 || !known.containsKey(ins.get(1)) || alias.containsKey(ins.get(1))) {
            throw new OnnxException(file + ": node '" + n.getName() + "' is a Gemm with transA=1 or a computed B; only"
                    + " A·Bᵀ + C with a stored B (a fully connected layer) is supported");
        }
        Known b = k(ins.get(1));
        float alpha = attrF(n, "alpha", 1f);
        float beta = attrF(n, "beta", 1f);
        boolean transB = attrI(n, "transB", 0) == 1;
        int units = (int) (transB ? b.dims()[0] : b.dims()[1]);
        int in = (int) (transB ? b.dims()[1] : b.dims()[0]);
        boolean bias = ins.size() > 2 && !ins.get(2).isEmpty();
        Graph.Node node = add(n, paramName(n, ins.get(1), ".weight"), new Op.Linear(units, in, bias), value(ins.get(0)));
        weight(node.name() + "_weight", () -> {
            float[] w = transB ? b.floats() : transpose(b.values(), in, units);
            if (alpha != 1f) {
                for (int i = 0; i < w.length; i++) {
                    w[i] *= alpha;
                }
            }
            return w;
        });
        if (bias) {
            float[] c = broadcastTo(k(ins.get(2)), new long[] {units});
            for (int i = 0; i < c.length; i++) {
                c[i] *= beta;
            }
            weights.put(node.name() + "_bias", c);
        }
        alias.put(n.getOutput(0), node.name());
    }

    /** MatMul by a stored matrix is a Linear layer; a following Add of a stored vector becomes its bias. */
    private void matmul(Onnx.Node n, int index) {
        List<String> ins = n.getInputList();
        boolean storedB = known.containsKey(ins.get(1)) && !alias.containsKey(ins.get(1)) && k(ins.get(1)).dims().length == 2;
        if (!storedB || !alias.containsKey(ins.get(0))) {
            add(n, n.getOutput(0), new Op.MatMul(), value(ins.get(0)), value(ins.get(1)));
            return;
        }
        Known b = k(ins.get(1));
        int in = (int) b.dims()[0];
        int units = (int) b.dims()[1];
        float[] bias = null;
        String outValue = n.getOutput(0);
        Onnx.Node next = index + 1 < onnx.getNodeCount() ? onnx.getNode(index + 1) : null;
        if (next != null && next.getOpType().equals("Add") && uses.getOrDefault(outValue, 0) == 1
                && next.getInputList().contains(outValue)) {
            String other = next.getInput(0).equals(outValue) ? next.getInput(1) : next.getInput(0);
            if (known.containsKey(other) && !alias.containsKey(other) && count(k(other).dims()) == units
                    && k(other).dims().length <= 1) {
                bias = k(other).floats();
                fused.add(next.getName() + "#" + (index + 1));
                outValue = next.getOutput(0);
            }
        }
        Graph.Node node = add(n, paramName(n, ins.get(1), ".weight"), new Op.Linear(units, in, bias != null), value(ins.get(0)));
        weight(node.name() + "_weight", () -> transpose(b.values(), in, units));
        if (bias != null) {
            weights.put(node.name() + "_bias", bias);
        }
        alias.put(outValue, node.name());
    }

    private void pool(Onnx.Node n, boolean max) {
        long[] kernel = attrInts(n, "kernel_shape", null);
        if (kernel == null || kernel.length != 2) {
            throw new OnnxException(file + ": node '" + n.getName() + "' pools over " + (kernel == null ? "no" : kernel.length)
                    + " axes; only 2-D pooling is supported");
        }
        long[] dil = attrInts(n, "dilations", new long[] {1, 1});
        if (dil[0] != 1 || dil[1] != 1) {
            throw new OnnxException(file + ": node '" + n.getName() + "' is a dilated pooling; it is not supported");
        }
        int[] k = toInts(kernel);
        int[] s = toInts(attrInts(n, "strides", new long[] {1, 1}));
        int[] pads = toInts(attrInts(n, "pads", new long[] {0, 0, 0, 0}));
        String autoPad = attrS(n, "auto_pad", "NOTSET");
        if (!autoPad.equals("NOTSET") && !autoPad.equals("VALID")) {
            pads = samePads(shapeOf(n.getInput(0)), k, s, new int[] {1, 1}, autoPad.equals("SAME_LOWER"));
        }
        add(n, n.getOutput(0), new Op.Pool2d(max, k, s, pads, attrI(n, "ceil_mode", 0) == 1,
                attrI(n, "count_include_pad", 0) == 1), value(n.getInput(0)));
    }

    private void unary(Onnx.Node n, Op.UnaryKind kind) {
        add(n, n.getOutput(0), new Op.Unary(kind), value(n.getInput(0)));
    }

    private void binary(Onnx.Node n, Op.BinaryKind kind) {
        add(n, n.getOutput(0), new Op.Binary(kind), value(n.getInput(0)), value(n.getInput(1)));
    }

    /**
     * A reshape target stored for the export's batch size (not computed from shapes): the axis that
     * lines up with the input's batch axis (same product of the axes before it) is scaled from the
     * export's batch to this one. This covers flattened batch-by-heads axes of attention too.
     */
    private long[] batchFixed(long[] target, String onnxInput) {
        String v = alias.get(onnxInput);
        long[] where = v == null ? null : batchAxis.get(v);
        if (exportBatch < 1 || exportBatch == batch || where == null) {
            return target;
        }
        int b = (int) where[0];
        long[] from = shapes.get(v).clone();
        if (from[b] % batch != 0) {
            return target;
        }
        from[b] = from[b] / batch * exportBatch; // the input as it was at export
        try {
            target = Folding.reshapeTarget(from, target, false); // -1 and 0 as they resolved at export
        } catch (IllegalArgumentException e) {
            return target;
        }
        List<Integer> candidates = batchCandidates(from, where, target, exportBatch);
        if (candidates.isEmpty()) {
            return target;
        }
        if (target.length >= from.length) {
            java.util.Collections.reverse(candidates); // a split axis keeps the batch outermost; a merge joins it to the axes before
        }
        // first of all, an axis of the export's batch size with the same axes before and after it: the batch axis kept
        long before = count(Arrays.copyOf(from, b));
        long after = count(Arrays.copyOfRange(from, b + 1, from.length));
        for (int i = 0; i < candidates.size(); i++) {
            int j = candidates.get(i);
            if (target[j] == exportBatch && count(Arrays.copyOf(target, j)) == before
                    && count(Arrays.copyOfRange(target, j + 1, target.length)) == after) {
                candidates.add(0, candidates.remove(i));
                break;
            }
        }
        int choice = 0;
        if (candidates.size() > 1) {
            choice = Math.min(choices.getOrDefault(currentNode, 0), candidates.size() - 1);
            decisions.add(new int[] {currentNode, candidates.size()});
        }
        int j = candidates.get(choice);
        long[] t = target.clone();
        t[j] = target[j] / exportBatch * batch;
        return t;
    }

    /**
     * The axes of a reshape target that can hold the batch of {@code from} (batch size {@code n}):
     * the batch's stride in the flat order falls within the axis and divides by the axis's stride.
     */
    private static List<Integer> batchCandidates(long[] from, long[] where, long[] target, long n) {
        int b = (int) where[0];
        long stride = where[1] * count(Arrays.copyOfRange(from, b + 1, from.length));
        List<Integer> list = new ArrayList<>();
        for (int j = 0; j < target.length; j++) {
            long sj = count(Arrays.copyOfRange(target, j + 1, target.length));
            if (stride % sj == 0 && stride >= sj && stride * n <= sj * target[j] && target[j] % n == 0) {
                list.add(j);
            }
        }
        return list;
    }

    /** Where the batch sits in a new node's output, from its inputs'. */
    private long[] batchAxisOf(Op op, String[] inputs, long[] out) {
        long[] w = null;
        for (String i : inputs) {
            w = batchAxis.get(i);
            if (w != null) {
                break;
            }
        }
        if (w == null) {
            return op instanceof Op.Expand ? new long[] {0, 1} : null;
        }
        int b = (int) w[0];
        long[] in = shapes.get(inputs[0]);
        if (op instanceof Op.Transpose t) {
            for (int i = 0; i < t.perm().length; i++) {
                if (t.perm()[i] == b) {
                    return new long[] {i, w[1]};
                }
            }
            return null;
        }
        if (op instanceof Op.Reshape || op instanceof Op.Flatten) {
            List<Integer> c = batchCandidates(in, w, out, batch);
            if (c.isEmpty()) {
                return null;
            }
            int j = c.get(0);
            long stride = w[1] * count(Arrays.copyOfRange(in, b + 1, in.length));
            return new long[] {j, stride / count(Arrays.copyOfRange(out, j + 1, out.length))};
        }
        if (op instanceof Op.Gather t) {
            return b == t.axis() ? null : new long[] {b < t.axis() ? b : b - 1 + t.indexShape().length, w[1]};
        }
        if (op instanceof Op.Pick p) {
            return b == p.axis() ? null : new long[] {b > p.axis() ? b - 1 : b, w[1]};
        }
        if (op instanceof Op.Reduce r && !r.keepDims()) {
            int shift = 0;
            for (int a : r.axes()) {
                if (a == b) {
                    return null;
                }
                shift += a < b ? 1 : 0;
            }
            return new long[] {b - shift, w[1]};
        }
        return b < out.length ? w : null;
    }

    private void reshape(Onnx.Node n, String in, long[] target) {
        add(n, n.getOutput(0), new Op.Reshape(target, new boolean[target.length]), value(in));
    }

    private void split(Onnx.Node n) {
        List<String> ins = n.getInputList();
        long[] x = shapeOf(ins.get(0));
        int axis = axis(attrI(n, "axis", 0), x.length);
        long[] sizes = ins.size() > 1 && !ins.get(1).isEmpty() ? k(ins.get(1)).longs() : attrInts(n, "split", null);
        int parts = n.getOutputCount();
        if (sizes == null) {
            sizes = new long[parts];
            Arrays.fill(sizes, x[axis] / parts);
        }
        long start = 0;
        String source = value(ins.get(0));
        for (int i = 0; i < parts; i++) {
            add(n, n.getOutput(i), new Op.Slice(axis, start, start + sizes[i], 1), source);
            start += sizes[i];
        }
    }

    private void slice(Onnx.Node n) {
        List<String> ins = n.getInputList();
        long[] x = shapeOf(ins.get(0));
        long[] starts;
        long[] ends;
        long[] axes;
        long[] steps;
        if (opset < 10) {
            starts = attrInts(n, "starts", null);
            ends = attrInts(n, "ends", null);
            axes = attrInts(n, "axes", null);
            steps = null;
        } else {
            starts = k(ins.get(1)).longs();
            ends = k(ins.get(2)).longs();
            axes = ins.size() > 3 && !ins.get(3).isEmpty() ? k(ins.get(3)).longs() : null;
            steps = ins.size() > 4 && !ins.get(4).isEmpty() ? k(ins.get(4)).longs() : null;
        }
        String current = value(ins.get(0));
        for (int i = 0; i < starts.length; i++) {
            int axis = axis(axes == null ? i : axes[i], x.length);
            long step = steps == null ? 1 : steps[i];
            if (step <= 0) {
                throw new OnnxException(file + ": node '" + n.getName() + "' slices with step " + step
                        + "; only positive steps are supported");
            }
            long dim = shapes.get(current)[axis];
            long s = clamp(starts[i] < 0 ? starts[i] + dim : starts[i], dim);
            long e = clamp(ends[i] < 0 ? ends[i] + dim : ends[i], dim);
            if (s == 0 && e == dim && step == 1) {
                continue;
            }
            String out = i == starts.length - 1 ? n.getOutput(0) : n.getOutput(0) + "/axis" + axis;
            current = add(n, out, new Op.Slice(axis, s, e, step), current).name();
        }
        alias.put(n.getOutput(0), current);
    }

    private static long clamp(long v, long dim) {
        return Math.max(0, Math.min(v, dim));
    }

    // ---------------------------------------------------------------- plumbing

    /** Adds a node named after {@code onnxValue} (sanitized, made unique) reading {@code inputs}. */
    private Graph.Node add(Onnx.Node n, String onnxValue, Op op, String... inputs) {
        String name = unique(sanitize(onnxValue));
        List<long[]> inShapes = new ArrayList<>();
        for (String i : inputs) {
            inShapes.add(shapes.get(i));
        }
        long[] shape = op.outputShape(inShapes, batch);
        Graph.Node node = new Graph.Node(name, op, List.of(inputs));
        nodes.add(node);
        shapes.put(name, shape);
        long[] where = batchAxisOf(op, inputs, shape);
        if (where != null) {
            batchAxis.put(name, where);
        }
        alias.put(onnxValue, name);
        if (!n.getOutputList().contains(onnxValue) && n.getOutputCount() > 0 && !onnxValue.startsWith(n.getOutput(0) + "/")) {
            alias.put(n.getOutput(0), name);
        }
        return node;
    }

    /** Our value for an ONNX value: a node's output, or a new tensor or constant node for a stored value. */
    private String value(String onnxValue) {
        String v = alias.get(onnxValue);
        if (v != null) {
            return v;
        }
        Known c = known.get(onnxValue);
        if (c == null) {
            throw new OnnxException(file + ": value '" + onnxValue + "' is read before any node writes it; the file is damaged");
        }
        Op op = c.size() > 1 ? new Op.Tensor(c.dims()) : new Op.Constant(c.dims(), c.floats());
        String name = unique(sanitize(onnxValue));
        Graph.Node node = new Graph.Node(name, op, List.of());
        nodes.add(node);
        shapes.put(name, c.dims());
        alias.put(onnxValue, name);
        if (op instanceof Op.Tensor) {
            weight(name + "_weight", c::floats);
        }
        return name;
    }

    /** Keeps a large weight, computed only when this conversion collects weights. */
    private void weight(String name, java.util.function.Supplier<float[]> values) {
        if (keepWeights) {
            weights.put(name, values.get());
        }
    }

    private String paramName(Onnx.Node n, String weight, String suffix) {
        if (!weight.startsWith("onnx::") && weight.endsWith(suffix)) {
            return weight.substring(0, weight.length() - suffix.length());
        }
        String s = n.getName().startsWith("/") ? n.getName().substring(1) : n.getName();
        int cut = s.lastIndexOf('/');
        if (cut > 0) {
            s = s.substring(0, cut);
        }
        return s.isEmpty() ? n.getOpType() : s;
    }

    private String unique(String base) {
        String name = base;
        for (int i = 2; names.contains(name); i++) {
            name = base + "_" + i;
        }
        names.add(name);
        return name;
    }

    private static String sanitize(String s) {
        String t = s.replaceAll("[\\s,:]+", "_");
        if (t.startsWith("/")) {
            t = t.substring(1);
        }
        return t.isEmpty() || t.equals(Graph.INPUT) ? "v_" + t : t;
    }

    private long[] shapeOf(String onnxValue) {
        String v = alias.get(onnxValue);
        if (v != null) {
            return shapes.get(v);
        }
        Known c = known.get(onnxValue);
        if (c == null) {
            throw new OnnxException(file + ": value '" + onnxValue + "' is read before any node writes it; the file is damaged");
        }
        return c.dims();
    }

    private String firstDynamic(List<String> ins) {
        for (String s : ins) {
            if (alias.containsKey(s)) {
                return s;
            }
        }
        return ins.get(0);
    }

    private Known k(String onnxValue) {
        Known c = known.get(onnxValue);
        if (c == null) {
            throw new OnnxException(file + ": value '" + onnxValue + "' must be known when the model is loaded (a stored weight"
                    + " or a shape), but it is computed from the input; export with a fixed input size");
        }
        return c;
    }

    private List<Known> inputsKnown(Onnx.Node n) {
        List<Known> list = new ArrayList<>();
        for (String s : n.getInputList()) {
            list.add(s.isEmpty() ? null : k(s));
        }
        return list;
    }

    private Known constant(Onnx.Node n) {
        for (Onnx.Attribute a : n.getAttributeList()) {
            switch (a.getName()) {
                case "value" -> {
                    return OnnxTensors.read(a.getT(), file);
                }
                case "value_float" -> {
                    return new Known(new long[0], new double[] {a.getF()}, false);
                }
                case "value_floats" -> {
                    double[] v = a.getFloatsList().stream().mapToDouble(Float::doubleValue).toArray();
                    return new Known(new long[] {v.length}, v, false);
                }
                case "value_int" -> {
                    return ints(new long[0], new long[] {a.getI()});
                }
                case "value_ints" -> {
                    long[] v = a.getIntsList().stream().mapToLong(Long::longValue).toArray();
                    return ints(new long[] {v.length}, v);
                }
                default -> { }
            }
        }
        throw new OnnxException(file + ": Constant node '" + n.getName() + "' has no value this reader knows");
    }

    static Known ints(long[] dims, long[] values) {
        double[] d = new double[values.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = values[i];
        }
        return new Known(dims, d, true);
    }

    static int axis(long a, int rank) {
        long x = a < 0 ? a + rank : a;
        if (x < 0 || x >= rank) {
            throw new IllegalArgumentException("axis " + a + " is outside a rank-" + rank + " tensor");
        }
        return (int) x;
    }

    static long count(long[] dims) {
        return Op.count(dims);
    }

    /** The transpose of a row-major {@code rows × cols} matrix, in tiles so that reads and writes both stay in cache. */
    private static float[] transpose(double[] m, int rows, int cols) {
        float[] t = new float[m.length];
        final int tile = 32;
        for (int r0 = 0; r0 < rows; r0 += tile) {
            for (int c0 = 0; c0 < cols; c0 += tile) {
                int r1 = Math.min(rows, r0 + tile);
                int c1 = Math.min(cols, c0 + tile);
                for (int c = c0; c < c1; c++) {
                    for (int r = r0; r < r1; r++) {
                        t[c * rows + r] = (float) m[r * cols + c];
                    }
                }
            }
        }
        return t;
    }

    private static float[] broadcastTo(Known k, long[] shape) {
        long n = count(shape);
        float[] v = k.floats();
        if (v.length == n) {
            return v;
        }
        if (v.length == 1) {
            float[] f = new float[(int) n];
            Arrays.fill(f, v[0]);
            return f;
        }
        throw new IllegalArgumentException("a stored tensor of " + v.length + " values cannot fill shape " + Arrays.toString(shape));
    }

    private static int[] toInts(long[] v) {
        int[] r = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            r[i] = Math.toIntExact(v[i]);
        }
        return r;
    }

    static Onnx.Attribute attr(Onnx.Node n, String name) {
        for (Onnx.Attribute a : n.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a;
            }
        }
        return null;
    }

    static long attrI(Onnx.Node n, String name, long dflt) {
        Onnx.Attribute a = attr(n, name);
        return a == null ? dflt : a.getI();
    }

    static float attrF(Onnx.Node n, String name, float dflt) {
        Onnx.Attribute a = attr(n, name);
        return a == null ? dflt : a.getF();
    }

    static String attrS(Onnx.Node n, String name, String dflt) {
        Onnx.Attribute a = attr(n, name);
        return a == null ? dflt : a.getS().toStringUtf8();
    }

    static long[] attrInts(Onnx.Node n, String name, long[] dflt) {
        Onnx.Attribute a = attr(n, name);
        return a == null ? dflt : a.getIntsList().stream().mapToLong(Long::longValue).toArray();
    }
}
