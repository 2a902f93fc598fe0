package dev.compresso.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The one DJL block that executes a {@link Graph}: it owns every node's parameters (named {@code
 * NODE_SUFFIX}, in node order, so a chain's names and initial weights equal those of the same chain
 * of DJL blocks) and walks the nodes in order with DJL's ops. Training mode reaches every op, so
 * BatchNorm uses batch statistics and updates its running ones, and dropout is active.
 */
final class GraphBlock extends AbstractBlock {

    private final Graph graph;
    private final List<List<Parameter>> nodeParams = new ArrayList<>();
    private final long[] sample;

    GraphBlock(Graph graph) {
        this.graph = graph;
        this.sample = graph.inputShape();
        for (Graph.Node n : graph.nodes()) {
            List<Parameter> list = new ArrayList<>();
            for (Op.ParamSpec p : n.op().parameters()) {
                Parameter.Builder b = Parameter.builder()
                        .setName(n.name() + "_" + p.suffix())
                        .setType(p.type())
                        .optShape(new Shape(p.shape()));
                if (p.type() == Parameter.Type.OTHER) {
                    b.optInitializer(Initializer.ZEROS);
                }
                if (p.type() == Parameter.Type.RUNNING_MEAN || p.type() == Parameter.Type.RUNNING_VAR) {
                    b.optRequiresGrad(false);
                }
                list.add(addParameter(b.build()));
            }
            nodeParams.add(list);
        }
    }

    Graph graph() {
        return graph;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        Map<String, NDArray> values = run(ps, inputs.singletonOrThrow(), training, Set.of(graph.output()));
        return new NDList(values.get(graph.output()));
    }

    /**
     * The values of one pass, by name: the input and each node's output. Without gradient recording
     * (evaluation, calibration) a value is freed once its last consumer has run, unless {@code keep}
     * names it, so a pass holds the values alive at one time rather than all of them: a quantized
     * mobilenetV2() evaluated at batch 1000 otherwise held 17 GB. While gradients are recorded every
     * value stays, as backward needs them.
     *
     * @param keep the values the caller reads afterwards; only those (and the input) are in the map
     *     when values are freed
     */
    Map<String, NDArray> run(ParameterStore ps, NDArray x, boolean training, Set<String> keep) {
        long batch = x.getShape().get(0);
        long[] shape = new long[sample.length + 1];
        shape[0] = batch;
        System.arraycopy(sample, 0, shape, 1, sample.length);
        Map<String, NDArray> values = new HashMap<>();
        values.put(Graph.INPUT, x.reshape(shape));
        List<Graph.Node> nodes = graph.nodes();
        boolean free = !TorchRuntime.recordingGradients();
        NDManager pass = x.getManager();
        // the last node that reads each array (ops such as dropout in inference return their input itself)
        Map<NDArray, Integer> lastUse = new java.util.IdentityHashMap<>();
        Map<String, Integer> lastReader = free ? lastReaders(nodes) : Map.of();
        for (int i = 0; i < nodes.size(); i++) {
            Graph.Node n = nodes.get(i);
            List<NDArray> in = new ArrayList<>(n.inputs().size());
            for (String name : n.inputs()) {
                in.add(values.get(name));
            }
            if (in.isEmpty()) {
                in.add(x); // ops without inputs create their value in the pass's manager
            }
            List<NDArray> p = new ArrayList<>();
            for (Parameter param : nodeParams.get(i)) {
                p.add(ps.getValue(param, x.getDevice(), training));
            }
            NDArray y = free ? forwardScoped(n.op(), in, p, training, batch, pass) : n.op().forward(in, p, training, batch);
            values.put(n.name(), y);
            if (free) {
                // a parameter's array (a stored tensor is its own value) or the caller's input is never freed
                boolean owned = y != x && y != values.get(Graph.INPUT) && p.stream().noneMatch(a -> a == y);
                lastUse.merge(y, !owned || keep.contains(n.name()) ? Integer.MAX_VALUE : lastReader.getOrDefault(n.name(), i), Math::max);
                for (String name : n.inputs()) {
                    NDArray v = values.get(name);
                    if (v != null && !name.equals(Graph.INPUT) && lastUse.getOrDefault(v, Integer.MAX_VALUE) <= i
                            && !keep.contains(name)) {
                        values.values().removeIf(a -> a == v); // with the names it has as an alias
                        lastUse.remove(v);
                        v.close();
                    }
                }
            }
        }
        return values;
    }

    /**
     * One op's forward with its temporaries freed as soon as it returns: its inputs are moved for
     * the call into a manager of their own, in which DJL creates everything the op computes from
     * them, and only the result is kept, in the pass's manager. A fake-quantization op creates six
     * activation-sized temporaries; left in the pass's manager until the pass ends, they held
     * 9-13 GB for a quantized mobilenetV2() at batch 1000. Parameters are not moved: another thread
     * may be reading them.
     */
    private static NDArray forwardScoped(Op op, List<NDArray> in, List<NDArray> p, boolean training, long batch, NDManager pass) {
        try (NDManager scope = pass.newSubManager()) {
            Set<NDArray> moved = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
            for (NDArray a : in) {
                if (moved.add(a)) {
                    a.tempAttach(scope); // back to its own manager when the scope closes
                }
            }
            NDArray y = op.forward(in, p, training, batch);
            if (!moved.contains(y) && p.stream().noneMatch(a -> a == y)) {
                y.attach(pass);
            }
            return y;
        }
    }

    /** For each value, the index of the last node that reads it. */
    private static Map<String, Integer> lastReaders(List<Graph.Node> nodes) {
        Map<String, Integer> last = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            for (String name : nodes.get(i).inputs()) {
                last.put(name, i);
            }
        }
        return last;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        long batch = inputShapes[0].get(0);
        return new Shape[] {new Shape(graph.shapes(batch).get(graph.output()))};
    }
}
