package dev.compresso.onnx;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.compresso.model.Architecture;
import dev.compresso.model.Graph;
import dev.compresso.model.Network;
import dev.compresso.model.Op;
import dev.compresso.onnx.proto.Onnx;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * ONNX files in and out. {@link #read} turns a model written by {@code torch.onnx.export} (opsets
 * 11 to 17, one input of fixed sample shape, one output) into a graph network every technique works
 * on; {@link #write} writes any graph network, compressed or not, as a file ONNX Runtime runs.
 * The supported operators are listed in {@code dsl/src/main/java/dev/compresso/onnx/OPERATORS.md}.
 */
public final class OnnxFile {

    private OnnxFile() {}

    /**
     * Reads an ONNX model into a network named after the file.
     *
     * @param file the {@code .onnx} file
     * @return the network with the file's weights, not yet evaluated
     * @throws UncheckedIOException if the file does not exist or cannot be read
     * @throws OnnxException if it is not ONNX, is damaged, uses an opset or operator Compresso does
     *     not support, or has several inputs, several outputs or a dynamic sample shape
     */
    public static Network read(Path file) {
        String stem = file.getFileName().toString().replaceFirst("\\.onnx$", "");
        Onnx.Model model = parse(file);
        String where = file.toString();
        int opset = opset(model, where);
        Onnx.Graph g = model.getGraph();
        Set<String> stored = new HashSet<>();
        for (Onnx.Tensor t : g.getInitializerList()) {
            stored.add(t.getName());
        }
        List<Onnx.ValueInfo> inputs = new ArrayList<>();
        for (Onnx.ValueInfo v : g.getInputList()) {
            if (!stored.contains(v.getName())) {
                inputs.add(v);
            }
        }
        if (inputs.size() != 1 || g.getOutputCount() != 1) {
            throw new OnnxException(where + " has " + inputs.size() + " inputs and " + g.getOutputCount() + " outputs; Compresso"
                    + " reads models with one input and one output. Export a wrapper module whose forward takes one tensor and"
                    + " returns one tensor (torch.onnx.export(model, x, f, input_names=['input'], output_names=['output']))");
        }
        long[] sample = sampleShape(inputs.get(0), where);
        Onnx.Shape.Dimension b0 = inputs.get(0).getType().getTensorType().getShape().getDim(0);
        long exportBatch = b0.hasDimValue() ? b0.getDimValue() : -1;
        Map<String, OnnxImport.Known> values = OnnxImport.initializers(g, where);
        OnnxImport.Result one = new OnnxImport(g, where, opset, sample, exportBatch, 1, values, true)
                .convert(inputs.get(0).getName(), g.getOutput(0).getName());
        OnnxImport.Result two = atBatchTwo(g, where, opset, sample, exportBatch, values, inputs.get(0).getName(),
                g.getOutput(0).getName());
        Graph graph = withBatchAxes(sample, one, two, where);
        String description = "ONNX " + file.getFileName() + " (opset " + opset
                + (model.getProducerName().isEmpty() ? "" : ", " + model.getProducerName() + " " + model.getProducerVersion())
                + "): " + graph.opCounts();
        Architecture arch = Architecture.of(stem, description, graph);
        Map<String, float[]> weights = one.weights();
        return Network.restore(stem, "onnx(" + file.getFileName() + ")", arch, weights);
    }

    /**
     * Converts at batch 2. A stored reshape target where the batch axis merges with others is
     * ambiguous at batch 1; when a choice makes a later node fail, the most recent undecided choice
     * is flipped and the conversion retried.
     */
    private static OnnxImport.Result atBatchTwo(Onnx.Graph g, String where, int opset, long[] sample, long exportBatch,
            Map<String, OnnxImport.Known> stored, String input, String output) {
        java.util.Map<Integer, Integer> choices = new java.util.HashMap<>();
        OnnxException first = null;
        for (int attempt = 0; attempt < 256; attempt++) {
            OnnxImport im = new OnnxImport(g, where, opset, sample, exportBatch, 2, stored, false);
            im.choices.putAll(choices);
            try {
                return im.convert(input, output);
            } catch (OnnxException e) {
                first = first == null ? e : first;
                List<int[]> d = im.decisions;
                int k = d.size() - 1;
                while (k >= 0 && choices.getOrDefault(d.get(k)[0], 0) >= d.get(k)[1] - 1) {
                    choices.remove(d.get(k)[0]);
                    k--;
                }
                if (k < 0) {
                    break;
                }
                choices.merge(d.get(k)[0], 1, Integer::sum);
            }
        }
        throw new OnnxException(first.getMessage() + " (at batch size 2: the model may only work at the batch size it was"
                + " exported with; export it with dynamic_axes={'input': {0: 'batch'}, 'output': {0: 'batch'}})", first);
    }

    private static Onnx.Model parse(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new UncheckedIOException("ONNX file " + file.toAbsolutePath() + " does not exist; check the path"
                    + " (relative paths start at " + Path.of("").toAbsolutePath() + ")", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read ONNX file " + file + ": " + e.getMessage(), e);
        }
        Onnx.Model model;
        try {
            model = Onnx.Model.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new OnnxException(file + " (" + bytes.length + " bytes) is not an ONNX model, or it is truncated or damaged ("
                    + e.getMessage() + "); export it again with torch.onnx.export", e);
        }
        if (model.getIrVersion() < 3 || !model.hasGraph() || model.getGraph().getNodeCount() == 0) {
            throw new OnnxException(file + " (" + bytes.length + " bytes) is not an ONNX model: it has "
                    + (model.hasGraph() ? "no nodes" : "no graph") + " (IR version " + model.getIrVersion()
                    + "); export it again with torch.onnx.export");
        }
        return model;
    }

    private static int opset(Onnx.Model model, String where) {
        long opset = -1;
        for (Onnx.OperatorSet s : model.getOpsetImportList()) {
            if (s.getDomain().isEmpty() || s.getDomain().equals("ai.onnx")) {
                opset = s.getVersion();
            }
        }
        if (opset < OnnxImport.MIN_OPSET || opset > OnnxImport.MAX_OPSET) {
            throw new OnnxException(where + " uses opset " + opset + "; Compresso reads opsets " + OnnxImport.MIN_OPSET + " to "
                    + OnnxImport.MAX_OPSET + ". Export with torch.onnx.export(..., opset_version=13)");
        }
        return (int) opset;
    }

    private static long[] sampleShape(Onnx.ValueInfo input, String where) {
        if (!input.hasType() || !input.getType().hasTensorType() || input.getType().getTensorType().getElemType() != 1) {
            throw new OnnxException(where + ": input '" + input.getName() + "' is not a float32 tensor; Compresso reads models"
                    + " whose input is one float32 tensor");
        }
        List<Onnx.Shape.Dimension> dims = input.getType().getTensorType().getShape().getDimList();
        if (dims.size() < 2) {
            throw new OnnxException(where + ": input '" + input.getName() + "' has rank " + dims.size() + "; Compresso needs a"
                    + " batch axis and at least one sample axis");
        }
        long[] sample = new long[dims.size() - 1];
        for (int i = 1; i < dims.size(); i++) {
            Onnx.Shape.Dimension d = dims.get(i);
            if (!d.hasDimValue() || d.getDimValue() < 1) {
                throw new OnnxException(where + ": axis " + i + " of input '" + input.getName() + "' is dynamic ('"
                        + d.getDimParam() + "'); only the batch axis may be. Export with a fixed sample size: give"
                        + " torch.onnx.export an example input of that size and list only axis 0 in dynamic_axes");
            }
            sample[i - 1] = d.getDimValue();
        }
        return sample;
    }

    /** Marks the axes of reshapes and expands whose size followed the batch (batch 1 against batch 2). */
    private static Graph withBatchAxes(long[] sample, OnnxImport.Result one, OnnxImport.Result two, String where) {
        List<Graph.Node> nodes = new ArrayList<>();
        for (int i = 0; i < one.nodes().size(); i++) {
            Graph.Node a = one.nodes().get(i);
            Graph.Node b = i < two.nodes().size() ? two.nodes().get(i) : null;
            if (b == null || !b.name().equals(a.name()) || b.op().getClass() != a.op().getClass()) {
                throw new OnnxException(where + ": node '" + a.name() + "' converts to " + a.op().type() + " at batch size 1 but to "
                        + (b == null ? "nothing" : "'" + b.name() + "' (" + b.op().type() + ")") + " at batch size 2; this is a bug,"
                        + " please report it with the file");
            }
            Op op = a.op();
            if (op instanceof Op.Reshape r && b.op() instanceof Op.Reshape r2) {
                op = new Op.Reshape(r.shape(), scaled(r.shape(), r2.shape(), a.name(), where));
            } else if (op instanceof Op.Expand e && b.op() instanceof Op.Expand e2) {
                op = new Op.Expand(e.shape(), scaled(e.shape(), e2.shape(), a.name(), where));
            }
            nodes.add(new Graph.Node(a.name(), op, a.inputs()));
        }
        try {
            return new Graph(sample, nodes, one.output());
        } catch (IllegalArgumentException e) {
            throw new OnnxException(where + ": the converted graph does not hold together (" + e.getMessage()
                    + "); this is a bug, please report it with the file", e);
        }
    }

    private static boolean[] scaled(long[] one, long[] two, String node, String where) {
        boolean[] flags = new boolean[one.length];
        for (int i = 0; i < one.length; i++) {
            if (two[i] == 2 * one[i] && one[i] != 0) {
                flags[i] = true;
            } else if (two[i] != one[i]) {
                throw new OnnxException(where + ": node '" + node + "' reshapes to " + Arrays.toString(one) + " at batch 1 but "
                        + Arrays.toString(two) + " at batch 2; Compresso supports sizes proportional to the batch");
            }
        }
        return flags;
    }

    /**
     * Writes a graph network as an ONNX file (opset 13, or 17 when it has layer norms), atomically:
     * a failed write leaves no file behind. The batch axis is dynamic ({@code batch}).
     *
     * @param network a graph network: zoo, imported, compressed (pruned weights are zeros, shared and
     *     quantized weights are written as their values)
     * @param file where to write; its folder is created
     * @return the file
     * @throws IllegalArgumentException if the network wraps an opaque block
     * @throws UncheckedIOException if the file cannot be written; the message names it
     */
    public static Path write(Network network, Path file) {
        byte[] bytes = OnnxExport.model(network).toByteArray();
        dev.compresso.store.AtomicFiles.write(file, bytes, "ONNX model");
        return file;
    }

    /**
     * Writes a model quantized with {@code quantize(weightsTo(8).perChannel().activations(8))} as int8
     * QDQ ONNX (opset 13), atomically, then loads it in ONNX Runtime to make sure it runs. Weights are
     * int8 initializers with one scale per output channel (DequantizeLinear, axis 0) whose levels ×
     * scales are exactly the weights Compresso evaluated; activations are uint8 QuantizeLinear /
     * DequantizeLinear pairs at the calibrated points; biases of layers that read quantized values are
     * int32 at input scale × weight scale. ONNX Runtime fuses the groups into int8 kernels
     * (QLinearConv, QLinearAdd...).
     *
     * @param network the quantized model
     * @param file where to write; its folder is created
     * @return the file
     * @throws IllegalArgumentException if a weight is not 8-bit symmetric per channel, an activation is
     *     not 8-bit, or the activations were never calibrated; the message names the call that fixes it
     * @throws OnnxException if ONNX Runtime cannot load the written file: its message, and the file
     *     stays for inspection
     */
    public static Path writeInt8(Network network, Path file) {
        byte[] bytes = OnnxExport.int8(network).toByteArray();
        dev.compresso.store.AtomicFiles.write(file, bytes, "ONNX model");
        OnnxRuntimeSession.open(file, 1).close();
        return file;
    }
}
