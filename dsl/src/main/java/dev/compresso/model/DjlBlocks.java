package dev.compresso.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Turns an initialized DJL block tree (SequentialBlock, ParallelBlock and DJL's standard layers)
 * into a {@link Graph} with the same parameter names. What a lambda block or a parallel block's join
 * computes is not visible in DJL, so it is found by running the block on a probe batch and comparing
 * with the candidates (ReLU, sigmoid, flatten, pooling...; sum or concatenation); every piece is
 * checked this way, so a converted graph computes what the block computes.
 */
final class DjlBlocks {

    /** A block that has no graph form; the message names it. */
    static final class NotConvertible extends Exception {
        private static final long serialVersionUID = 1L;

        NotConvertible(String message) {
            super(message);
        }
    }

    private final GraphBuilder g;
    private final ParameterStore ps;

    private DjlBlocks(long[] inputShape, NDManager manager) {
        this.g = new GraphBuilder(inputShape);
        this.ps = new ParameterStore(manager, false);
    }

    /**
     * Converts {@code root} (initialized for {@code inputShape}) to a graph.
     *
     * @throws NotConvertible naming the first block in the way
     */
    static Graph convert(Block root, long[] inputShape, NDManager manager) throws NotConvertible {
        DjlBlocks c = new DjlBlocks(inputShape, manager);
        long[] shape = new long[inputShape.length + 1];
        shape[0] = 2;
        System.arraycopy(inputShape, 0, shape, 1, inputShape.length);
        try (NDManager scope = manager.newSubManager()) {
            NDArray probe = scope.randomNormal(new Shape(shape));
            Value out = c.walk(root, "", new Value(Graph.INPUT, probe));
            if (out.name().equals(Graph.INPUT)) {
                throw new NotConvertible("the block computes nothing (an identity)");
            }
            return c.g.build();
        }
    }

    /** A value of the graph being built, with its probe batch. */
    private record Value(String name, NDArray probe) {}

    private Value walk(Block b, String path, Value in) throws NotConvertible {
        String where = path.isEmpty() ? "the root block" : "block '" + path + "'";
        if (b instanceof SequentialBlock) {
            Value v = in;
            for (Pair<String, Block> child : b.getChildren()) {
                v = walk(child.getValue(), join(path, child.getKey()), v);
            }
            return v;
        }
        NDArray expected = b.forward(ps, new NDList(in.probe()), false).singletonOrThrow();
        if (b instanceof ParallelBlock) {
            List<Value> branches = new ArrayList<>();
            for (Pair<String, Block> child : b.getChildren()) {
                branches.add(walk(child.getValue(), join(path, child.getKey()), in));
            }
            String[] names = branches.stream().map(Value::name).toArray(String[]::new);
            NDList outs = new NDList(branches.stream().map(Value::probe).toList());
            NDArray sum = outs.get(0);
            boolean sameShapes = true;
            for (int i = 1; i < outs.size(); i++) {
                sameShapes &= outs.get(i).getShape().equals(outs.get(0).getShape());
                sum = sameShapes ? sum.add(outs.get(i)) : sum;
            }
            if (sameShapes && close(sum, expected)) {
                Value v = branches.get(0);
                for (int i = 1; i < branches.size(); i++) {
                    String name = join(path, i == branches.size() - 1 ? "add" : "add" + i);
                    g.add(name, new Op.Binary(Op.BinaryKind.ADD), v.name(), branches.get(i).name());
                    v = new Value(name, null);
                }
                return new Value(v.name(), expected);
            }
            for (int axis = 1; axis < expected.getShape().dimension(); axis++) {
                try {
                    if (close(NDArrays.concat(outs, axis), expected)) {
                        return new Value(g.add(join(path, "concat"), new Op.Concat(axis, names.length), names), expected);
                    }
                } catch (RuntimeException e) {
                    // shapes do not join along this axis
                }
            }
            throw new NotConvertible(where + " (ParallelBlock) joins its branches with a function that is neither a sum nor a"
                    + " concatenation; write the join as a sum or a concatenation, or bring the model in through ONNX");
        }
        long[] x = in.probe().getShape().getShape();
        Op op = layer(b, x, expected, in.probe(), where);
        if (op == null) {
            return new Value(in.name(), expected); // identity
        }
        String name = path.isEmpty() ? b.getClass().getSimpleName() : path;
        g.add(name, op, in.name());
        if (op instanceof Op.GlobalPool) {
            g.add(name + ".flatten", new Op.Flatten(1), name); // DJL's global pooling drops the spatial axes
        }
        return new Value(g.last(), expected);
    }

    /** The op for a leaf block, or null for an identity. */
    private Op layer(Block b, long[] x, NDArray expected, NDArray in, String where) throws NotConvertible {
        Map<String, long[]> p = parameterShapes(b);
        Op op;
        if (b instanceof Linear) {
            long[] w = p.get("weight");
            op = new Op.Linear((int) w[0], (int) w[1], p.containsKey("bias"));
        } else if (b instanceof Conv2d c) {
            long[] w = p.get("weight");
            long[] k = c.getKernelShape().getShape();
            long[] s = c.getStride().getShape();
            long[] pad = c.getPadding().getShape();
            long[] d = c.getDilation().getShape();
            op = new Op.Conv((int) w[0], (int) x[1], new int[] {(int) k[0], (int) k[1]}, new int[] {(int) s[0], (int) s[1]},
                    new int[] {(int) pad[0], (int) pad[1], (int) pad[0], (int) pad[1]}, new int[] {(int) d[0], (int) d[1]},
                    c.getGroups(), p.containsKey("bias"));
        } else if (b instanceof BatchNorm) {
            if (!p.containsKey("gamma") || !p.containsKey("beta") || (int) field(b, "axis") != 1) {
                throw new NotConvertible(where + " (BatchNorm) normalizes another axis than 1 or has no scale or shift;"
                        + " use BatchNorm.builder() with its defaults");
            }
            op = new Op.BatchNorm((int) p.get("gamma")[0], (float) field(b, "epsilon"), (float) field(b, "momentum"));
        } else if (b instanceof Dropout) {
            op = new Op.Dropout((float) field(b, "rate"));
        } else if (b instanceof LambdaBlock) {
            op = lambda(x, expected, in);
            if (op == null && close(in, expected)) {
                return null;
            }
            if (op == null) {
                throw new NotConvertible(where + " is a lambda block ('" + ((LambdaBlock) b).getName() + "') whose function"
                        + " Compresso cannot identify; it recognizes ReLU, ReLU6, sigmoid, tanh, flatten, identity and 2-D"
                        + " max, average and global pooling. Use one of those or bring the model in through ONNX");
            }
            return op;
        } else {
            throw new NotConvertible(where + " (" + b.getClass().getName() + ") has no graph form; Compresso converts"
                    + " SequentialBlock, ParallelBlock (sum or concatenation), Linear, Conv2d, BatchNorm, Dropout and lambda"
                    + " blocks for activations, flatten and pooling. Bring other models in through ONNX (onnx(\"model.onnx\"))");
        }
        return op;
    }

    /** Identifies a lambda block by what it computed on the probe. */
    private static Op lambda(long[] x, NDArray expected, NDArray in) {
        long[] y = expected.getShape().getShape();
        if (java.util.Arrays.equals(x, y)) {
            if (close(in, expected)) {
                return null;
            }
            Op[] candidates = {new Op.Unary(Op.UnaryKind.RELU), new Op.Clip(0f, 6f), new Op.Unary(Op.UnaryKind.SIGMOID),
                    new Op.Unary(Op.UnaryKind.TANH)};
            for (Op op : candidates) {
                if (close(op.forward(List.of(in), List.of(), false, x[0]), expected)) {
                    return op;
                }
            }
            return null;
        }
        if (y.length == 2 && Op.count(y) == Op.count(x)) {
            return new Op.Flatten(1);
        }
        if (x.length == 4 && y.length == 2 && y[1] == x[1]) {
            Op.GlobalPool avg = new Op.GlobalPool(false);
            NDArray a = avg.forward(List.of(in), List.of(), false, x[0]).reshape(y);
            if (close(a, expected)) {
                return avg;
            }
            Op.GlobalPool max = new Op.GlobalPool(true);
            if (close(max.forward(List.of(in), List.of(), false, x[0]).reshape(y), expected)) {
                return max;
            }
        }
        if (x.length == 4 && y.length == 4 && y[1] == x[1]) {
            for (boolean isMax : new boolean[] {true, false}) {
                for (int k = 1; k <= 7; k++) {
                    for (int s = 1; s <= k; s++) {
                        for (int pad = 0; pad <= k / 2; pad++) {
                            for (boolean ceil : new boolean[] {false, true}) {
                                for (boolean countPad : isMax ? new boolean[] {false} : new boolean[] {true, false}) {
                                    Op.Pool2d op;
                                    try {
                                        op = new Op.Pool2d(isMax, new int[] {k, k}, new int[] {s, s}, new int[] {pad, pad, pad, pad},
                                                ceil, countPad);
                                        if (!java.util.Arrays.equals(op.outputShape(List.of(x), x[0]), y)) {
                                            continue;
                                        }
                                        if (close(op.forward(List.of(in), List.of(), false, x[0]), expected)) {
                                            return op;
                                        }
                                    } catch (RuntimeException e) {
                                        // not this window
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return null;
    }

    private static boolean close(NDArray a, NDArray b) {
        if (!a.getShape().equals(b.getShape())) {
            return false;
        }
        float[] u = a.toFloatArray();
        float[] v = b.toFloatArray();
        for (int i = 0; i < u.length; i++) {
            if (Math.abs(u[i] - v[i]) > 1e-5f * Math.max(1f, Math.abs(v[i]))) {
                return false;
            }
        }
        return true;
    }

    private static Map<String, long[]> parameterShapes(Block b) {
        Map<String, long[]> m = new java.util.HashMap<>();
        for (Pair<String, Parameter> p : b.getDirectParameters()) {
            m.put(p.getKey(), p.getValue().getArray().getShape().getShape());
        }
        return m;
    }

    /** A private setting of a DJL layer that DJL has no getter for (epsilon, momentum, rate). */
    private static Object field(Block b, String name) throws NotConvertible {
        try {
            java.lang.reflect.Field f = b.getClass().getDeclaredField(name);
            f.setAccessible(true);
            return f.get(b);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new NotConvertible("cannot read the " + name + " of " + b.getClass().getSimpleName() + " (" + e + ")");
        }
    }

    private static String join(String path, String key) {
        return path.isEmpty() ? key : path + "_" + key;
    }
}
