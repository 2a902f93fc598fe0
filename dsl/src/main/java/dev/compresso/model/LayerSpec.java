package dev.compresso.model;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;

/**
 * One layer of a sequential architecture, declared rather than built, so that an architecture can
 * be written into a packed file, read back and rebuilt, and changed (fewer neurons) by structural
 * techniques. Each spec has a one-line text form, for example {@code dense 300} or {@code conv 20 5 1 0}.
 */
public sealed interface LayerSpec {

    /** A new DJL block for this layer. */
    Block build();

    /** The one-line text form. */
    String encode();

    /**
     * A fully connected layer with {@code units} outputs, with a bias unless {@code bias} is false
     * (low-rank factorization inserts bias-free projections). Text form {@code dense 300} or {@code
     * dense 64 nobias}.
     */
    record Dense(int units, boolean bias) implements LayerSpec {
        /** Checks the size. */
        public Dense {
            positive("dense units", units);
        }

        /** A fully connected layer with a bias. */
        public Dense(int units) {
            this(units, true);
        }

        @Override
        public Block build() {
            return Linear.builder().setUnits(units).optBias(bias).build();
        }

        @Override
        public String encode() {
            return "dense " + units + (bias ? "" : " nobias");
        }
    }

    /** A 2-D convolution with square kernels: {@code filters} outputs, kernel, stride and padding. */
    record Conv(int filters, int kernel, int stride, int padding) implements LayerSpec {
        /** Checks the sizes. */
        public Conv {
            positive("conv filters", filters);
            positive("conv kernel", kernel);
            positive("conv stride", stride);
            if (padding < 0) {
                throw new IllegalArgumentException("conv padding=" + padding + " must be ≥ 0");
            }
        }

        @Override
        public Block build() {
            return Conv2d.builder()
                    .setKernelShape(new Shape(kernel, kernel))
                    .optStride(new Shape(stride, stride))
                    .optPadding(new Shape(padding, padding))
                    .setFilters(filters)
                    .build();
        }

        @Override
        public String encode() {
            return "conv " + filters + " " + kernel + " " + stride + " " + padding;
        }
    }

    /** ReLU. */
    record Relu() implements LayerSpec {
        @Override
        public Block build() {
            return Activation.reluBlock();
        }

        @Override
        public String encode() {
            return "relu";
        }
    }

    /**
     * ReLU followed by simulated unsigned quantization of the activations to {@code bits} over
     * {@code [0, max]}. The rounding passes gradients straight through (straight-through
     * estimator), so the layer trains.
     */
    record QuantRelu(int bits, float max) implements LayerSpec {
        /** Checks the range. */
        public QuantRelu {
            if (bits < 2 || bits > 16) {
                throw new IllegalArgumentException("activation bits=" + bits + " must be in 2 to 16");
            }
            if (!(max > 0) || Float.isInfinite(max)) {
                throw new IllegalArgumentException("activation range max=" + max + " must be finite and > 0");
            }
        }

        @Override
        public Block build() {
            float scale = max / ((1 << bits) - 1);
            float top = (1 << bits) - 1;
            return new ai.djl.nn.LambdaBlock(list -> {
                ai.djl.ndarray.NDArray r = Activation.relu(list.singletonOrThrow());
                ai.djl.ndarray.NDArray q = r.div(scale).round().clip(0, top).mul(scale);
                return new ai.djl.ndarray.NDList(r.add(q.sub(r).stopGradient()));
            }, "quantRelu");
        }

        @Override
        public String encode() {
            return "relu-quant " + bits + " " + max;
        }
    }

    /** 2-D max pooling with a square window and stride. */
    record MaxPool(int kernel, int stride) implements LayerSpec {
        /** Checks the sizes. */
        public MaxPool {
            positive("maxpool kernel", kernel);
            positive("maxpool stride", stride);
        }

        @Override
        public Block build() {
            return Pool.maxPool2dBlock(new Shape(kernel, kernel), new Shape(stride, stride));
        }

        @Override
        public String encode() {
            return "maxpool " + kernel + " " + stride;
        }
    }

    /** Flattens every sample to one vector. */
    record Flatten() implements LayerSpec {
        @Override
        public Block build() {
            return Blocks.batchFlattenBlock();
        }

        @Override
        public String encode() {
            return "flatten";
        }
    }

    /**
     * Parses the text form.
     *
     * @param line for example {@code dense 300}
     * @return the spec
     * @throws IllegalArgumentException if the line is not a known layer; the message lists the forms
     */
    static LayerSpec decode(String line) {
        String[] t = line.trim().split("\\s+");
        try {
            return switch (t[0]) {
                case "dense" -> {
                    if (t.length > 3 || (t.length == 3 && !t[2].equals("nobias"))) {
                        throw new IllegalArgumentException("bad dense options");
                    }
                    yield new Dense(Integer.parseInt(t[1]), t.length == 2);
                }
                case "conv" -> new Conv(Integer.parseInt(t[1]), Integer.parseInt(t[2]), Integer.parseInt(t[3]), Integer.parseInt(t[4]));
                case "relu" -> new Relu();
                case "relu-quant" -> new QuantRelu(Integer.parseInt(t[1]), Float.parseFloat(t[2]));
                case "maxpool" -> new MaxPool(Integer.parseInt(t[1]), Integer.parseInt(t[2]));
                case "flatten" -> new Flatten();
                default -> throw new IllegalArgumentException("unknown layer");
            };
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(
                    "layer '" + line + "' is not one of: dense UNITS [nobias], conv FILTERS KERNEL STRIDE PADDING, relu, relu-quant BITS MAX,"
                            + " maxpool KERNEL STRIDE, flatten", e);
        }
    }

    /**
     * The layer list of a graph that is a chain of these six kinds named as {@link
     * Architecture#sequential} names them, or null if it is not one.
     */
    static java.util.List<LayerSpec> fromChain(Graph graph) {
        if (!graph.isChain()) {
            return null;
        }
        java.util.List<LayerSpec> specs = new java.util.ArrayList<>();
        for (int i = 0; i < graph.nodes().size(); i++) {
            Graph.Node n = graph.nodes().get(i);
            Op op = n.op();
            LayerSpec spec = null;
            if (op instanceof Op.Linear l) {
                spec = new Dense(l.units(), l.bias());
            } else if (op instanceof Op.Conv c && c.groups() == 1 && c.bias() && c.kernel()[0] == c.kernel()[1]
                    && c.stride()[0] == c.stride()[1] && c.dilation()[0] == 1 && c.dilation()[1] == 1
                    && java.util.Arrays.stream(c.pads()).allMatch(v -> v == c.pads()[0])) {
                spec = new Conv(c.out(), c.kernel()[0], c.stride()[0], c.pads()[0]);
            } else if (op instanceof Op.Unary u && u.kind() == Op.UnaryKind.RELU) {
                spec = new Relu();
            } else if (op instanceof Op.QuantRelu q) {
                spec = new QuantRelu(q.bits(), q.max());
            } else if (op instanceof Op.Pool2d p && p.max() && !p.ceil() && p.kernel()[0] == p.kernel()[1]
                    && p.stride()[0] == p.stride()[1] && java.util.Arrays.stream(p.pads()).allMatch(v -> v == 0)) {
                spec = new MaxPool(p.kernel()[0], p.stride()[0]);
            } else if (op instanceof Op.Flatten f && f.axis() == 1) {
                spec = new Flatten();
            }
            String djl = spec instanceof Dense ? "Linear" : spec instanceof Conv ? "Conv2d" : "LambdaBlock";
            if (spec == null || !n.name().equals(String.format("%02d%s", i + 1, djl))) {
                return null;
            }
            specs.add(spec);
        }
        return specs;
    }

    private static void positive(String what, int v) {
        if (v < 1) {
            throw new IllegalArgumentException(what + "=" + v + " must be ≥ 1");
        }
    }
}
