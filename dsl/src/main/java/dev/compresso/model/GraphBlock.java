package dev.compresso.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
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
        Map<String, NDArray> values = run(ps, inputs.singletonOrThrow(), training);
        return new NDList(values.get(graph.output()));
    }

    /** Every value of one pass, by name: the input, each node's output. */
    Map<String, NDArray> run(ParameterStore ps, NDArray x, boolean training) {
        long batch = x.getShape().get(0);
        long[] shape = new long[sample.length + 1];
        shape[0] = batch;
        System.arraycopy(sample, 0, shape, 1, sample.length);
        Map<String, NDArray> values = new HashMap<>();
        values.put(Graph.INPUT, x.reshape(shape));
        List<Graph.Node> nodes = graph.nodes();
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
            values.put(n.name(), n.op().forward(in, p, training, batch));
        }
        return values;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        long batch = inputShapes[0].get(0);
        return new Shape[] {new Shape(graph.shapes(batch).get(graph.output()))};
    }
}
