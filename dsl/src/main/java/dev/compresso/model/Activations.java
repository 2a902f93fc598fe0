package dev.compresso.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.compresso.data.Samples;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** The values inside a graph network for given samples, for calibrating activation ranges. */
public final class Activations {

    private Activations() {}

    /**
     * Runs {@code samples} through {@code network} in evaluation mode and returns the values of the
     * named nodes, flattened.
     *
     * @param network a graph network
     * @param samples the samples, in one batch
     * @param nodes the node names to keep (use {@link Graph#INPUT} for the input)
     * @return the values by node name, in the order of {@code nodes}' iteration
     * @throws IllegalArgumentException if the network has no graph or a name is not a node
     */
    public static Map<String, float[]> of(Network network, Samples samples, Set<String> nodes) {
        if (!(network.block() instanceof GraphBlock block)) {
            throw new IllegalArgumentException("network '" + network.name() + "' wraps an opaque block, so its inner values cannot be"
                    + " read; bring it in through ONNX (onnx(\"model.onnx\")) to get a graph");
        }
        for (String n : nodes) {
            if (!n.equals(Graph.INPUT) && block.graph().node(n) == null) {
                throw new IllegalArgumentException("network '" + network.name() + "' has no node '" + n + "'");
            }
        }
        TorchRuntime.noGrad();
        long[] in = network.architecture().inputShape();
        long[] shape = new long[in.length + 1];
        shape[0] = samples.size();
        System.arraycopy(in, 0, shape, 1, in.length);
        float[] x = new float[samples.size() * samples.sampleSize()];
        samples.copyFeatures(0, samples.size(), x, 0);
        Map<String, float[]> out = new LinkedHashMap<>();
        try (NDManager scope = network.manager().newSubManager()) {
            NDArray input = scope.create(FloatBuffer.wrap(x), new Shape(shape));
            Map<String, NDArray> values = block.run(new ParameterStore(scope, false), input, false, nodes);
            for (String n : nodes) {
                out.put(n, values.get(n).toFloatArray());
            }
        }
        return out;
    }
}
