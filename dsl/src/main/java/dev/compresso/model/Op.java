package dev.compresso.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.pooling.Pool;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One typed operation of a {@link Graph}: its attributes, the parameter tensors it owns, how its
 * output shape follows from its inputs' shapes, and how it computes with DJL's ops. The set is closed
 * (a sealed interface of records); each op has a one-line text form such as {@code conv out=16 in=3
 * kernel=3,3 stride=1,1 pads=1,1,1,1 dilation=1,1 groups=1 bias=true}, which is what packed files store.
 *
 * <p>Shapes always include the batch axis first. Ops whose ONNX form names a whole shape (reshape,
 * expand) say per axis whether that dimension scales with the batch, so a graph imported at batch 1
 * trains at any batch size.
 */
public sealed interface Op {

    /** The layer type shown in summaries and used by selectors, for example {@code Conv2d} or {@code Linear}. */
    String type();

    /** The parameters this op owns, in order: a name suffix, a shape and DJL's parameter type. */
    default List<ParamSpec> parameters() {
        return List.of();
    }

    /** The number of inputs it takes. */
    default int arity() {
        return 1;
    }

    /**
     * The output shape for the given input shapes.
     *
     * @param in the input shapes, batch axis first
     * @param batch the batch size the shapes were made with
     * @return the output shape
     * @throws IllegalArgumentException if the inputs do not fit this op
     */
    long[] outputShape(List<long[]> in, long batch);

    /**
     * Computes the output.
     *
     * @param in the inputs
     * @param params this op's parameter arrays, in the order of {@link #parameters()}
     * @param training whether this is a training pass (dropout active, batch statistics)
     * @param batch the batch size of the graph's input
     * @return the output
     */
    NDArray forward(List<NDArray> in, List<NDArray> params, boolean training, long batch);

    /** The one-line text form, keyword first. */
    String encode();

    /** A parameter an op owns. */
    record ParamSpec(String suffix, long[] shape, Parameter.Type type) {}

    // ------------------------------------------------------------------ layers with parameters

    /**
     * A 2-D convolution, weight {@code [out, in / groups, kh, kw]}. Pads are ONNX's: begin and end of
     * each spatial axis, {@code [top, left, bottom, right]}.
     */
    record Conv(int out, int in, int[] kernel, int[] stride, int[] pads, int[] dilation, int groups, boolean bias) implements Op {
        /** Checks the attributes. */
        public Conv {
            positive("conv out", out);
            positive("conv in", in);
            positive("conv groups", groups);
            if (in % groups != 0 || out % groups != 0) {
                throw new IllegalArgumentException("conv groups=" + groups + " must divide in=" + in + " and out=" + out);
            }
            check(kernel.length == 2 && stride.length == 2 && dilation.length == 2 && pads.length == 4,
                    "conv needs 2 kernel, stride and dilation values and 4 pads");
        }

        @Override
        public String type() {
            return "Conv2d";
        }

        @Override
        public List<ParamSpec> parameters() {
            ParamSpec w = new ParamSpec("weight", new long[] {out, in / groups, kernel[0], kernel[1]}, Parameter.Type.WEIGHT);
            return bias ? List.of(w, new ParamSpec("bias", new long[] {out}, Parameter.Type.BIAS)) : List.of(w);
        }

        @Override
        public long[] outputShape(List<long[]> s, long batch) {
            long[] x = rank(s.get(0), 4, "conv");
            check(x[1] == in, "conv takes " + in + " channels but gets " + x[1]);
            long h = (x[2] + pads[0] + pads[2] - dilation[0] * (kernel[0] - 1L) - 1) / stride[0] + 1;
            long w = (x[3] + pads[1] + pads[3] - dilation[1] * (kernel[1] - 1L) - 1) / stride[1] + 1;
            check(h >= 1 && w >= 1, "conv kernel " + Arrays.toString(kernel) + " is larger than its padded input " + Arrays.toString(x));
            return new long[] {x[0], out, h, w};
        }

        @Override
        public NDArray forward(List<NDArray> in, List<NDArray> p, boolean training, long batch) {
            NDArray x = in.get(0);
            int[] sym = {pads[0], pads[1]};
            if (pads[0] != pads[2] || pads[1] != pads[3]) {
                x = x.pad(new Shape(pads[1], pads[3], pads[0], pads[2]), 0);
                sym = new int[] {0, 0};
            }
            return ai.djl.nn.convolutional.Conv2d.conv2d(x, p.get(0), bias ? p.get(1) : null, new Shape(stride[0], stride[1]),
                    new Shape(sym[0], sym[1]), new Shape(dilation[0], dilation[1]), groups).singletonOrThrow();
        }

        @Override
        public String encode() {
            return "conv out=" + out + " in=" + in + " kernel=" + ints(kernel) + " stride=" + ints(stride) + " pads=" + ints(pads)
                    + " dilation=" + ints(dilation) + " groups=" + groups + " bias=" + bias;
        }

        /** True if every input channel has its own filters (groups = in = out). */
        public boolean depthwise() {
            return groups > 1 && groups == in && groups == out;
        }
    }

    /**
     * A fully connected layer over the last axis, weight {@code [units, in]} as in DJL's {@code
     * Linear} and ONNX's Gemm with transB=1.
     */
    record Linear(int units, int in, boolean bias) implements Op {
        /** Checks the sizes. */
        public Linear {
            positive("linear units", units);
            positive("linear in", in);
        }

        @Override
        public String type() {
            return "Linear";
        }

        @Override
        public List<ParamSpec> parameters() {
            ParamSpec w = new ParamSpec("weight", new long[] {units, in}, Parameter.Type.WEIGHT);
            return bias ? List.of(w, new ParamSpec("bias", new long[] {units}, Parameter.Type.BIAS)) : List.of(w);
        }

        @Override
        public long[] outputShape(List<long[]> s, long batch) {
            long[] x = s.get(0);
            check(x.length >= 2 && x[x.length - 1] == in, "linear takes " + in + " features on the last axis but gets " + Arrays.toString(x));
            long[] y = x.clone();
            y[y.length - 1] = units;
            return y;
        }

        @Override
        public NDArray forward(List<NDArray> in, List<NDArray> p, boolean training, long batch) {
            return ai.djl.nn.core.Linear.linear(in.get(0), p.get(0), bias ? p.get(1) : null).singletonOrThrow();
        }

        @Override
        public String encode() {
            return "linear units=" + units + " in=" + in + " bias=" + bias;
        }
    }

    /**
     * Batch normalization over axis 1 with learned scale ({@code gamma}) and shift ({@code beta}),
     * and running statistics that training updates. Momentum is DJL's and ONNX's: the weight of the
     * old running value (0.9 is PyTorch's 0.1).
     */
    record BatchNorm(int channels, float epsilon, float momentum) implements Op {
        /** Checks the sizes. */
        public BatchNorm {
            positive("batchnorm channels", channels);
            check(epsilon > 0, "batchnorm epsilon=" + epsilon + " must be > 0");
            check(momentum >= 0 && momentum < 1, "batchnorm momentum=" + momentum + " must be in [0, 1)");
        }

        @Override
        public String type() {
            return "BatchNorm";
        }

        @Override
        public List<ParamSpec> parameters() {
            long[] c = {channels};
            return List.of(new ParamSpec("gamma", c, Parameter.Type.GAMMA), new ParamSpec("beta", c, Parameter.Type.BETA),
                    new ParamSpec("runningMean", c, Parameter.Type.RUNNING_MEAN),
                    new ParamSpec("runningVar", c, Parameter.Type.RUNNING_VAR));
        }

        @Override
        public long[] outputShape(List<long[]> s, long batch) {
            long[] x = s.get(0);
            check(x.length >= 2 && x[1] == channels, "batchnorm over " + channels + " channels gets " + Arrays.toString(x));
            return x.clone();
        }

        @Override
        public NDArray forward(List<NDArray> in, List<NDArray> p, boolean training, long batch) {
            // axis -1 is DJL's direct path to torch.batch_norm (channels on axis 1)
            return ai.djl.nn.norm.BatchNorm.batchNorm(in.get(0), p.get(2), p.get(3), p.get(0), p.get(1), -1, momentum, epsilon, training)
                    .singletonOrThrow();
        }

        @Override
        public String encode() {
            return "batchnorm channels=" + channels + " epsilon=" + epsilon + " momentum=" + momentum;
        }
    }

    /** Layer normalization over the trailing axes {@code normalized} with a scale and a shift (ONNX LayerNormalization). */
    record LayerNorm(long[] normalized, float epsilon) implements Op {
        /** Checks the sizes. */
        public LayerNorm {
            check(normalized.length >= 1, "layernorm needs the normalized shape");
        }

        @Override
        public String type() {
            return "LayerNorm";
        }

        @Override
        public List<ParamSpec> parameters() {
            return List.of(new ParamSpec("gamma", normalized, Parameter.Type.GAMMA), new ParamSpec("beta", normalized, Parameter.Type.BETA));
        }

        @Override
        public long[] outputShape(List<long[]> s, long batch) {
            long[] x = s.get(0);
            check(x.length > normalized.length && Arrays.equals(Arrays.copyOfRange(x, x.length - normalized.length, x.length), normalized),
                    "layernorm over " + Arrays.toString(normalized) + " gets " + Arrays.toString(x));
            return x.clone();
        }

        @Override
        public NDArray forward(List<NDArray> in, List<NDArray> p, boolean training, long batch) {
            return ai.djl.nn.norm.LayerNorm.layerNorm(in.get(0), new Shape(normalized), p.get(0), p.get(1), epsilon).singletonOrThrow();
        }

        @Override
        public String encode() {
            return "layernorm normalized=" + longs(normalized) + " epsilon=" + epsilon;
        }
    }

    /** A learned tensor with no input, such as a class token or a positional embedding. */
    record Tensor(long[] shape) implements Op {
        @Override
        public String type() {
            return "Tensor";
        }

        @Override
        public int arity() {
            return 0;
        }

        @Override
        public List<ParamSpec> parameters() {
            return List.of(new ParamSpec("weight", shape, Parameter.Type.OTHER));
        }

        @Override
        public long[] outputShape(List<long[]> s, long batch) {
            return shape.clone();
        }

        @Override
        public NDArray forward(List<NDArray> in, List<NDArray> p, boolean training, long batch) {
            return p.get(0);
        }

        @Override
        public String encode() {
            return "tensor shape=" + longs(shape);
        }
    }

    /** A fixed tensor, stored in the graph itself: small constants such as an epsilon or an exponent. */
    record Constant(long[] shape, float[] values) implements Op {
        /** Checks the size. */
        public Constant {
            check(count(shape) == values.length, "constant of shape " + Arrays.toString(shape) + " has " + values.length + " values");
        }

        @Override
        public String type() {
            return "Constant";
        }

        @Override
        public int arity() {
            return 0;
        }

        @Override
        public long[] outputShape(List<long[]> s, long batch) {
            return shape.clone();
        }

        @Override
        public NDArray forward(List<NDArray> in, List<NDArray> p, boolean training, long batch) {
            // the graph block passes its input as in[0] so the constant lands in the pass's manager
            return in.get(0).getManager().create(values, new Shape(shape));
        }

        @Override
        public String encode() {
            ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : values) {
                b.putFloat(v);
            }
            return "constant shape=" + longs(shape) + " values=" + Base64.getEncoder().encodeToString(b.array());
        }
    }

    // ------------------------------------------------------------------ element-wise

    /** Element-wise functions of one input. */
    enum UnaryKind { RELU, SIGMOID, TANH, ERF, SQRT, EXP, NEG, ABS, RECIPROCAL, IDENTITY }

    /** An element-wise function of one input: ReLU, sigmoid, tanh, erf, square root, and a few more. */
    record Unary(UnaryKind kind) implements Op {
        @Override
        public String type() {
            return kind.name().charAt(0) + kind.name().substring(1).toLowerCase(java.util.Locale.ROOT);
        }

        @Override
        public long[] outputShape(List<long[]> s, long batch) {
            return s.get(0).clone();
        }

        @Override
        public NDArray forward(List<NDArray> in, List<NDArray> p, boolean training, long batch) {
            NDArray x = in.get(0);
            return switch (kind) {
                case RELU -> Activation.relu(x);
                case SIGMOID -> Activation.sigmoid(x);
                case TANH -> x.tanh();
                case ERF -> x.erf();
                case SQRT -> x.sqrt();
                case EXP -> x.exp();
                case NEG -> x.neg();
                case ABS -> x.abs();
                case RECIPROCAL -> x.getManager().create(1f).div(x);
                case IDENTITY -> x;
            };
        }

        @Override
        public String encode() {
            return kind.name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Clips to {@code [min, max]} (ReLU6 is clip 0..6). */
    record Clip(float min, float max) implements Op {
        @Override
        public String type() {
            return "Clip";
        }

        @Override
        public long[] outputShape(List<long[]> s, long batch) {
            return s.get(0).clone();
        }

        @Override
        public NDArray forward(List<NDArray> in, List<NDArray> p, boolean training, long batch) {
            return in.get(0).clip(min, max);
        }

        @Override
        public String encode() {
            return "clip min=" + min + " max=" + max;
        }
    }

    /** {@code max(0, min(1, alpha x + beta))}; ONNX HardSigmoid (PyTorch's has alpha 1/6, beta 1/2). */
    record HardSigmoid(float alpha, float beta) implements Op {
        @Override
        public String type() {
            return "HardSigmoid";
        }

        @Override
        public long[] outputShape(List<long[]> s, long batch) {
            return s.get(0).clone();
        }

        @Override
        public NDArray forward(List<NDArray> in, List<NDArray> p, boolean training, long batch) {
            return in.get(0).mul(alpha).add(beta).clip(0f, 1f);
        }

        @Override
        public String encode() {
            return "hardsigmoid alpha=" + alpha + " beta=" + beta;
        }
    }

    /** {@code x · hardsigmoid(x)} with alpha 1/6, beta 1/2 (ONNX HardSwish). */
    record HardSwish() implements Op {
        @Override
        public String type() {
            return "HardSwish";
        }

        @Override
        public long[] outputShape(List<long[]> s, long batch) {
            return s.get(0).clone();
        }

        @Override
        public NDArray forward(List<NDArray> in, List<NDArray> p, boolean training, long batch) {
            NDArray x = in.get(0);
            return x.mul(x.div(6f).add(0.5f).clip(0f, 1f));
        }

        @Override
        public String encode() {
            return "hardswish";
        }
    }

    /** Functions of two inputs with NumPy broadcasting. */
    enum BinaryKind { ADD, SUB, MUL, DIV, POW }

    /** An element-wise function of two inputs, broadcasting: residual adds, squeeze-excitation multiplies. */
    record Binary(BinaryKind kind) implements Op {
        @Override
        public String type() {
            return kind.name().charAt(0) + kind.name().substring(1).toLowerCase(java.util.Locale.ROOT);
        }

        @Override
        public int arity() {
            return 2;
        }

        @Override
        public long[] outputShape(List<long[]> s, long batch) {
            return broadcast(s.get(0), s.get(1));
        }

        @Override
        public NDArray forward(List<NDArray> in, List<NDArray> p, boolean training, long batch) {
            NDArray a = in.get(0);
            NDArray b = in.get(1);
            return switch (kind) {
                case ADD -> a.add(b);
                case SUB -> a.sub(b);
                case MUL -> a.mul(b);
                case DIV -> a.div(b);
                case POW -> a.pow(b);
            };
        }

        @Override
        public String encode() {
            return kind.name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Matrix product of two computed tensors with batch broadcasting (attention scores, values). */
    record MatMul() implements Op {
        @Override
        public String type() {
            return "MatMul";
        }

        @Override
        public int arity() {
            return 2;
        }

        @Override
        public long[] outputShape(List<long[]> s, long batch) {
            long[] a = s.get(0);
            long[] b = s.get(1);
            check(a.length >= 2 && b.length >= 2 && a[a.length - 1] == b[b.length - 2],
                    "matmul of " + Arrays.toString(a) + " and " + Arrays.toString(b) + " does not fit");
            long[] lead = broadcast(Arrays.copyOf(a, a.length - 2), Arrays.copyOf(b, b.length - 2));
            long[] y = Arrays.copyOf(lead, lead.length + 2);
            y[lead.length] = a[a.length - 2];
            y[lead.length + 1] = b[b.length - 1];
            return y;
        }

        @Override
        public NDArray forward(List<NDArray> in, List<NDArray> p, boolean training, long batch) {
            return in.get(0).matMul(in.get(1));
        }

        @Override
        public String encode() {
            return "matmul";
        }
    }

    /** Softmax along one axis. */
    record Softmax(int axis) implements Op {
        @Override
        public String type() {
            return "Softmax";
        }

        @Override
        public long[] outputShape(List<long[]> s, long batch) {
            return s.get(0).clone();
        }

        @Override
        public NDArray forward(List<NDArray> in, List<NDArray> p, boolean training, long batch) {
            return in.get(0).softmax(axis);
        }

        @Override
        public String encode() {
            return "softmax axis=" + axis;
        }
    }

    /** Dropout at rate {@code rate} in training, the identity in evaluation. */
    record Dropout(float rate) implements Op {
        /** Checks the rate. */
        public Dropout {
            check(rate >= 0 && rate < 1, "dropout rate=" + rate + " must be in [0, 1)");
        }

        @Override
        public String type() {
            return "Dropout";
        }

        @Override
        public long[] outputShape(List<long[]> s, long batch) {
            return s.get(0).clone();
        }

        @Override
        public NDArray forward(List<NDArray> in, List<NDArray> p, boolean training, long batch) {
            return training && rate > 0 ? ai.djl.nn.norm.Dropout.dropout(in.get(0), rate, true).singletonOrThrow() : in.get(0);
        }

        @Override
        public String encode() {
            return "dropout rate=" + rate;
        }
    }

    /**
     * ReLU followed by simulated unsigned quantization of the activations to {@code bits} over
     * {@code [0, max]}; the rounding passes gradients straight through, so it trains.
     */
    record QuantRelu(int bits, float max) implements Op {
        /** Checks the range. */
        public QuantRelu {
            check(bits >= 2 && bits <= 16, "activation bits=" + bits + " must be in 2 to 16");
            check(max > 0 && !Float.isInfinite(max), "activation range max=" + max + " must be finite and > 0");
        }

        @Override
        public String type() {
            return "QuantRelu";
        }

        @Override
        public long[] outputShape(List<long[]> s, long batch) {
            return s.get(0).clone();
        }

        @Override
        public NDArray forward(List<NDArray> in, List<NDArray> p, boolean training, long batch) {
            float scale = max / ((1 << bits) - 1);
            float top = (1 << bits) - 1;
            NDArray r = Activation.relu(in.get(0));
            NDArray q = r.div(scale).round().clip(0, top).mul(scale);
            return r.add(q.sub(r).stopGradient());
        }

        @Override
        public String encode() {
            return "relu-quant bits=" + bits + " max=" + max;
        }
    }

    /**
     * Simulated unsigned quantization of any value to {@code bits} over levels {@code [0, 2^bits−1]}
     * with a zero point: {@code (clip(round(x / scale) + zeroPoint) − zeroPoint) · scale}, ONNX's
     * QuantizeLinear then DequantizeLinear. Calibrated activation quantization puts it where int8
     * kernels read and write values that no ReLU bounds (convolution inputs and outputs); the
     * rounding passes gradients straight through, so it trains.
     */
    record Quantize(int bits, float scale, int zeroPoint) implements Op {
        /** Checks the grid. */
        public Quantize {
            check(bits >= 2 && bits <= 16, "activation bits=" + bits + " must be in 2 to 16");
            check(scale > 0 && !Float.isInfinite(scale), "quantization scale=" + scale + " must be finite and > 0");
            check(zeroPoint >= 0 && zeroPoint < (1 << bits), "zero point=" + zeroPoint + " must be in [0, " + ((1 << bits) - 1) + "]");
        }

        @Override
        public String type() {
            return "Quantize";
        }

        @Override
        public long[] outputShape(List<long[]> s, long batch) {
            return s.get(0).clone();
        }

        @Override
        public NDArray forward(List<NDArray> in, List<NDArray> p, boolean training, long batch) {
            NDArray x = in.get(0);
            NDArray q = x.div(scale).round().add(zeroPoint).clip(0, (1 << bits) - 1).sub(zeroPoint).mul(scale);
            return x.add(q.sub(x).stopGradient());
        }

        @Override
        public String encode() {
            return "quant bits=" + bits + " scale=" + scale + " zero=" + zeroPoint;
        }
    }

    // ------------------------------------------------------------------ pooling and reductions

    /** 2-D max or average pooling; pads as in {@link Conv}. */
    record Pool2d(boolean max, int[] kernel, int[] stride, int[] pads, boolean ceil, boolean countIncludePad) implements Op {
        /** Checks the sizes. */
        public Pool2d {
            check(kernel.length == 2 && stride.length == 2 && pads.length == 4, "pooling needs 2 kernel and stride values and 4 pads");
            check(pads[0] == pads[2] && pads[1] == pads[3], "pooling pads " + Arrays.toString(pads) + " must be symmetric");
        }

        @Override
        public String type() {
            return max ? "MaxPool" : "AvgPool";
        }

        @Override
        public long[] outputShape(List<long[]> s, long batch) {
            long[] x = rank(s.get(0), 4, "pooling");
            return new long[] {x[0], x[1], out(x[2], 0), out(x[3], 1)};
        }

        private long out(long size, int axis) {
            long span = size + 2L * pads[axis] - kernel[axis];
            long o = (ceil ? Math.floorDiv(span + stride[axis] - 1, stride[axis]) : Math.floorDiv(span, stride[axis])) + 1;
            if (ceil && (o - 1) * stride[axis] >= size + pads[axis]) {
                o--; // the last window must start inside the input or its left padding
            }
            check(o >= 1, "pooling window " + kernel[axis] + " is larger than its input " + size);
            return o;
        }

        @Override
        public NDArray forward(List<NDArray> in, List<NDArray> p, boolean training, long batch) {
            Shape k = new Shape(kernel[0], kernel[1]);
            Shape st = new Shape(stride[0], stride[1]);
            Shape pd = new Shape(pads[0], pads[1]);
            return max ? Pool.maxPool2d(in.get(0), k, st, pd, ceil) : Pool.avgPool2d(in.get(0), k, st, pd, ceil, countIncludePad);
        }

        @Override
        public String encode() {
            return (max ? "maxpool" : "avgpool") + " kernel=" + ints(kernel) + " stride=" + ints(stride) + " pads=" + ints(pads)
                    + " ceil=" + ceil + " countpad=" + countIncludePad;
        }
    }

    /** Mean or max over the spatial axes, keeping them as size 1 (ONNX GlobalAveragePool). */
    record GlobalPool(boolean max) implements Op {
        @Override
        public String type() {
            return max ? "GlobalMaxPool" : "GlobalAvgPool";
        }

        @Override
        public long[] outputShape(List<long[]> s, long batch) {
            long[] x = s.get(0);
            check(x.length >= 3, "global pooling needs spatial axes, gets " + Arrays.toString(x));
            long[] y = x.clone();
            Arrays.fill(y, 2, y.length, 1);
            return y;
        }

        @Override
        public NDArray forward(List<NDArray> in, List<NDArray> p, boolean training, long batch) {
            NDArray x = in.get(0);
            int[] axes = new int[x.getShape().dimension() - 2];
            for (int i = 0; i < axes.length; i++) {
                axes[i] = i + 2;
            }
            return reduce(x, axes, true, max ? "max" : "mean");
        }

        @Override
        public String encode() {
            return max ? "globalmaxpool" : "globalavgpool";
        }
    }

    /** Mean or sum over some axes (layer-norm decompositions, squeeze-excitation). */
    record Reduce(boolean mean, int[] axes, boolean keepDims) implements Op {
        @Override
        public String type() {
            return mean ? "ReduceMean" : "ReduceSum";
        }

        @Override
        public long[] outputShape(List<long[]> s, long batch) {
            long[] x = s.get(0);
            List<Long> y = new ArrayList<>();
            for (int i = 0; i < x.length; i++) {
                boolean reduced = false;
                for (int a : axes) {
                    reduced |= a == i;
                }
                if (!reduced) {
                    y.add(x[i]);
                } else if (keepDims) {
                    y.add(1L);
                }
            }
            return y.stream().mapToLong(Long::longValue).toArray();
        }

        @Override
        public NDArray forward(List<NDArray> in, List<NDArray> p, boolean training, long batch) {
            return reduce(in.get(0), axes, keepDims, mean ? "mean" : "sum");
        }

        @Override
        public String encode() {
            return (mean ? "reducemean" : "reducesum") + " axes=" + ints(axes) + " keepdims=" + keepDims;
        }
    }

    // ------------------------------------------------------------------ shape

    /** Flattens axes {@code axis..} into one (ONNX Flatten; axis 1 keeps the batch). */
    record Flatten(int axis) implements Op {
        @Override
        public String type() {
            return "Flatten";
        }

        @Override
        public long[] outputShape(List<long[]> s, long batch) {
            long[] x = s.get(0);
            long lead = count(Arrays.copyOf(x, axis));
            return new long[] {lead, count(Arrays.copyOfRange(x, axis, x.length))};
        }

        @Override
        public NDArray forward(List<NDArray> in, List<NDArray> p, boolean training, long batch) {
            NDArray x = in.get(0);
            long[] shape = x.getShape().getShape();
            return x.reshape(count(Arrays.copyOf(shape, axis)), -1);
        }

        @Override
        public String encode() {
            return "flatten axis=" + axis;
        }
    }

    /**
     * Reshapes to {@code shape}; an axis flagged in {@code perBatch} has {@code shape[i] × batch}
     * elements, so the op works at any batch size.
     */
    record Reshape(long[] shape, boolean[] perBatch) implements Op {
        /** Checks the parts. */
        public Reshape {
            check(shape.length == perBatch.length, "reshape needs a batch flag per axis");
        }

        @Override
        public String type() {
            return "Reshape";
        }

        long[] at(long batch) {
            long[] s = shape.clone();
            for (int i = 0; i < s.length; i++) {
                if (perBatch[i]) {
                    s[i] *= batch;
                }
            }
            return s;
        }

        @Override
        public long[] outputShape(List<long[]> s, long batch) {
            long[] y = at(batch);
            check(count(y) == count(s.get(0)), "reshape of " + Arrays.toString(s.get(0)) + " to " + Arrays.toString(y) + " changes the size");
            return y;
        }

        @Override
        public NDArray forward(List<NDArray> in, List<NDArray> p, boolean training, long batch) {
            return in.get(0).reshape(at(batch));
        }

        @Override
        public String encode() {
            return "reshape shape=" + longs(shape) + " perbatch=" + flags(perBatch);
        }
    }

    /** Broadcasts to {@code shape} (ONNX Expand), with per-batch axes as in {@link Reshape}. */
    record Expand(long[] shape, boolean[] perBatch) implements Op {
        @Override
        public String type() {
            return "Expand";
        }

        long[] at(long batch) {
            return new Reshape(shape, perBatch).at(batch);
        }

        @Override
        public long[] outputShape(List<long[]> s, long batch) {
            return broadcast(s.get(0), at(batch));
        }

        @Override
        public NDArray forward(List<NDArray> in, List<NDArray> p, boolean training, long batch) {
            NDArray x = in.get(0);
            return x.broadcast(new Shape(broadcast(x.getShape().getShape(), at(batch))));
        }

        @Override
        public String encode() {
            return "expand shape=" + longs(shape) + " perbatch=" + flags(perBatch);
        }
    }

    /**
     * Pads with a constant; {@code pads} is ONNX's: the begin of every axis, then the end of every
     * axis (the batch axis included, unpadded).
     */
    record Pad(long[] pads, float value) implements Op {
        @Override
        public String type() {
            return "Pad";
        }

        @Override
        public long[] outputShape(List<long[]> s, long batch) {
            long[] x = s.get(0);
            check(pads.length == 2 * x.length, "pad needs " + 2 * x.length + " values for a rank-" + x.length + " tensor");
            check(pads[0] == 0 && pads[x.length] == 0, "padding the batch axis is not supported");
            long[] y = x.clone();
            for (int i = 0; i < x.length; i++) {
                y[i] += pads[i] + pads[i + x.length];
                check(y[i] >= 1, "padding " + Arrays.toString(pads) + " empties axis " + i);
            }
            return y;
        }

        @Override
        public NDArray forward(List<NDArray> in, List<NDArray> p, boolean training, long batch) {
            int r = pads.length / 2;
            long[] torch = new long[2 * (r - 1)];
            for (int i = 0; i < r - 1; i++) {
                int axis = r - 1 - i; // PyTorch lists (begin, end) pairs from the last axis
                torch[2 * i] = pads[axis];
                torch[2 * i + 1] = pads[axis + r];
            }
            return in.get(0).pad(new Shape(torch), value);
        }

        @Override
        public String encode() {
            return "pad pads=" + longs(pads) + " value=" + value;
        }
    }

    /** Permutes the axes. */
    record Transpose(int[] perm) implements Op {
        @Override
        public String type() {
            return "Transpose";
        }

        @Override
        public long[] outputShape(List<long[]> s, long batch) {
            long[] x = s.get(0);
            check(perm.length == x.length, "transpose " + Arrays.toString(perm) + " of a rank-" + x.length + " tensor");
            long[] y = new long[x.length];
            for (int i = 0; i < y.length; i++) {
                y[i] = x[perm[i]];
            }
            return y;
        }

        @Override
        public NDArray forward(List<NDArray> in, List<NDArray> p, boolean training, long batch) {
            return in.get(0).transpose(perm);
        }

        @Override
        public String encode() {
            return "transpose perm=" + ints(perm);
        }
    }

    /** Joins its inputs along one axis. */
    record Concat(int axis, int inputs) implements Op {
        @Override
        public String type() {
            return "Concat";
        }

        @Override
        public int arity() {
            return inputs;
        }

        @Override
        public long[] outputShape(List<long[]> s, long batch) {
            long[] y = s.get(0).clone();
            for (int i = 1; i < s.size(); i++) {
                long[] x = s.get(i);
                check(x.length == y.length, "concat of ranks " + y.length + " and " + x.length);
                for (int d = 0; d < y.length; d++) {
                    check(d == axis || x[d] == y[d], "concat along " + axis + " of " + Arrays.toString(s.get(0)) + " and " + Arrays.toString(x));
                }
                y[axis] += x[axis];
            }
            return y;
        }

        @Override
        public NDArray forward(List<NDArray> in, List<NDArray> p, boolean training, long batch) {
            return NDArrays.concat(new NDList(in), axis);
        }

        @Override
        public String encode() {
            return "concat axis=" + axis + " inputs=" + inputs;
        }
    }

    /** Takes {@code start..end} in steps along one axis (ONNX Slice, and Split's parts). */
    record Slice(int axis, long start, long end, long step) implements Op {
        /** Checks the range. */
        public Slice {
            check(step > 0, "slice step=" + step + " must be > 0");
            check(start >= 0 && end > start, "slice " + start + ".." + end + " must be a non-empty range");
        }

        @Override
        public String type() {
            return "Slice";
        }

        @Override
        public long[] outputShape(List<long[]> s, long batch) {
            long[] y = s.get(0).clone();
            check(end <= y[axis], "slice " + start + ".." + end + " of an axis of " + y[axis]);
            y[axis] = (end - start + step - 1) / step;
            return y;
        }

        @Override
        public NDArray forward(List<NDArray> in, List<NDArray> p, boolean training, long batch) {
            return in.get(0).get(Op.at(axis, start + ":" + end + ":" + step));
        }

        @Override
        public String encode() {
            return "slice axis=" + axis + " start=" + start + " end=" + end + " step=" + step;
        }
    }

    /** Picks one index along an axis and drops the axis (ONNX Gather with a scalar index). */
    record Pick(int axis, long index) implements Op {
        @Override
        public String type() {
            return "Gather";
        }

        @Override
        public long[] outputShape(List<long[]> s, long batch) {
            long[] x = s.get(0);
            check(index >= 0 && index < x[axis], "gather index " + index + " of an axis of " + x[axis]);
            long[] y = new long[x.length - 1];
            for (int i = 0, j = 0; i < x.length; i++) {
                if (i != axis) {
                    y[j++] = x[i];
                }
            }
            return y;
        }

        @Override
        public NDArray forward(List<NDArray> in, List<NDArray> p, boolean training, long batch) {
            return in.get(0).get(Op.at(axis, Long.toString(index)));
        }

        @Override
        public String encode() {
            return "pick axis=" + axis + " index=" + index;
        }
    }

    /**
     * Takes the entries at stored indices along one axis (ONNX Gather with an index tensor): the axis
     * is replaced by the indices' shape, {@code out[.., i1.., ..] = x[.., indices[i1..], ..]}. Swin v2
     * looks its relative-position bias up this way from a table its small MLP computes, so gradients
     * flow back into the table (and the MLP).
     */
    record Gather(int axis, long[] indexShape, int[] indices) implements Op {
        /** Checks the indices. */
        public Gather {
            check(axis >= 0, "gather axis=" + axis + " must be ≥ 0");
            check(count(indexShape) == indices.length, "gather index shape " + Arrays.toString(indexShape) + " holds "
                    + count(indexShape) + " indices, but " + indices.length + " are given");
            for (int i : indices) {
                check(i >= 0, "gather index " + i + " must be ≥ 0 (negative indices are resolved at import)");
            }
        }

        @Override
        public String type() {
            return "Gather";
        }

        @Override
        public long[] outputShape(List<long[]> s, long batch) {
            long[] x = s.get(0);
            check(axis < x.length, "gather along axis " + axis + " of a rank-" + x.length + " tensor");
            for (int i : indices) {
                check(i < x[axis], "gather index " + i + " is outside an axis of " + x[axis]);
            }
            long[] y = new long[x.length - 1 + indexShape.length];
            System.arraycopy(x, 0, y, 0, axis);
            System.arraycopy(indexShape, 0, y, axis, indexShape.length);
            System.arraycopy(x, axis + 1, y, axis + indexShape.length, x.length - axis - 1);
            return y;
        }

        @Override
        public NDArray forward(List<NDArray> in, List<NDArray> p, boolean training, long batch) {
            // torch.gather along the middle axis of [outer, n, inner], the indices broadcast over outer and inner
            NDArray x = in.get(0);
            long[] shape = x.getShape().getShape();
            long outer = count(Arrays.copyOf(shape, axis));
            long inner = count(Arrays.copyOfRange(shape, axis + 1, shape.length));
            long[] idx = new long[indices.length];
            for (int i = 0; i < idx.length; i++) {
                idx[i] = indices[i];
            }
            NDArray index = x.getManager().create(idx, new Shape(1, idx.length, 1)).broadcast(outer, idx.length, inner);
            NDArray y = x.reshape(outer, shape[axis], inner).gather(index, 1);
            return y.reshape(outputShape(List.of(shape), batch));
        }

        @Override
        public String encode() {
            ByteBuffer b = ByteBuffer.allocate(4 * indices.length).order(ByteOrder.LITTLE_ENDIAN);
            for (int i : indices) {
                b.putInt(i);
            }
            return "gather axis=" + axis + " shape=" + longs(indexShape) + " indices=" + Base64.getEncoder().encodeToString(b.array());
        }
    }

    // ------------------------------------------------------------------ text form

    /**
     * Parses {@link #encode()}'s text.
     *
     * @param line for example {@code linear units=10 in=100 bias=true}
     * @return the op
     * @throws IllegalArgumentException if the line is not a known op; the message lists the keywords
     */
    static Op decode(String line) {
        String[] t = line.trim().split("\\s+");
        Map<String, String> a = new LinkedHashMap<>();
        for (int i = 1; i < t.length; i++) {
            int eq = t[i].indexOf('=');
            check(eq > 0, "attribute '" + t[i] + "' is not key=value");
            a.put(t[i].substring(0, eq), t[i].substring(eq + 1));
        }
        try {
            return switch (t[0]) {
                case "conv" -> new Conv(i(a, "out"), i(a, "in"), ia(a, "kernel"), ia(a, "stride"), ia(a, "pads"), ia(a, "dilation"),
                        i(a, "groups"), b(a, "bias"));
                case "linear" -> new Linear(i(a, "units"), i(a, "in"), b(a, "bias"));
                case "batchnorm" -> new BatchNorm(i(a, "channels"), f(a, "epsilon"), f(a, "momentum"));
                case "layernorm" -> new LayerNorm(la(a, "normalized"), f(a, "epsilon"));
                case "tensor" -> new Tensor(la(a, "shape"));
                case "constant" -> {
                    ByteBuffer bb = ByteBuffer.wrap(Base64.getDecoder().decode(get(a, "values"))).order(ByteOrder.LITTLE_ENDIAN);
                    float[] v = new float[bb.remaining() / 4];
                    bb.asFloatBuffer().get(v);
                    yield new Constant(la(a, "shape"), v);
                }
                case "clip" -> new Clip(f(a, "min"), f(a, "max"));
                case "hardsigmoid" -> new HardSigmoid(f(a, "alpha"), f(a, "beta"));
                case "hardswish" -> new HardSwish();
                case "matmul" -> new MatMul();
                case "softmax" -> new Softmax(i(a, "axis"));
                case "dropout" -> new Dropout(f(a, "rate"));
                case "relu-quant" -> new QuantRelu(i(a, "bits"), f(a, "max"));
                case "quant" -> new Quantize(i(a, "bits"), f(a, "scale"), i(a, "zero"));
                case "maxpool", "avgpool" -> new Pool2d(t[0].equals("maxpool"), ia(a, "kernel"), ia(a, "stride"), ia(a, "pads"),
                        b(a, "ceil"), b(a, "countpad"));
                case "globalavgpool", "globalmaxpool" -> new GlobalPool(t[0].equals("globalmaxpool"));
                case "reducemean", "reducesum" -> new Reduce(t[0].equals("reducemean"), ia(a, "axes"), b(a, "keepdims"));
                case "flatten" -> new Flatten(i(a, "axis"));
                case "reshape" -> new Reshape(la(a, "shape"), flags(get(a, "perbatch")));
                case "expand" -> new Expand(la(a, "shape"), flags(get(a, "perbatch")));
                case "transpose" -> new Transpose(ia(a, "perm"));
                case "pad" -> new Pad(la(a, "pads"), f(a, "value"));
                case "concat" -> new Concat(i(a, "axis"), i(a, "inputs"));
                case "slice" -> new Slice(i(a, "axis"), l(a, "start"), l(a, "end"), l(a, "step"));
                case "pick" -> new Pick(i(a, "axis"), l(a, "index"));
                case "gather" -> {
                    ByteBuffer bb = ByteBuffer.wrap(Base64.getDecoder().decode(get(a, "indices"))).order(ByteOrder.LITTLE_ENDIAN);
                    int[] v = new int[bb.remaining() / 4];
                    bb.asIntBuffer().get(v);
                    yield new Gather(i(a, "axis"), la(a, "shape"), v);
                }
                default -> {
                    for (UnaryKind k : UnaryKind.values()) {
                        if (k.name().toLowerCase(java.util.Locale.ROOT).equals(t[0])) {
                            yield new Unary(k);
                        }
                    }
                    for (BinaryKind k : BinaryKind.values()) {
                        if (k.name().toLowerCase(java.util.Locale.ROOT).equals(t[0])) {
                            yield new Binary(k);
                        }
                    }
                    throw new IllegalArgumentException("unknown op '" + t[0] + "'");
                }
            };
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("op '" + line + "' cannot be read: " + e.getMessage()
                    + "; the ops are conv, linear, batchnorm, layernorm, tensor, constant, relu, sigmoid, tanh, erf, sqrt, exp, neg,"
                    + " abs, reciprocal, identity, clip, hardsigmoid, hardswish, add, sub, mul, div, pow, matmul, softmax, dropout,"
                    + " relu-quant, quant, maxpool, avgpool, globalavgpool, globalmaxpool, reducemean, reducesum, flatten, reshape, expand,"
                    + " pad, transpose, concat, slice, pick, gather", e);
        }
    }

    // ------------------------------------------------------------------ helpers

    private static NDIndex at(int axis, String at) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < axis; i++) {
            sb.append(":,");
        }
        return new NDIndex(sb.append(at).toString());
    }

    /**
     * Reduces over {@code axes} with one native reduction: PyTorch's engine in DJL reduces one axis
     * at a time, so contiguous axes are merged first (exact), others reduced one by one.
     */
    private static NDArray reduce(NDArray x, int[] axes, boolean keepDims, String how) {
        int[] a = axes.clone();
        Arrays.sort(a);
        long[] shape = x.getShape().getShape();
        boolean contiguous = a[a.length - 1] - a[0] == a.length - 1;
        if (contiguous) {
            long[] merged = new long[shape.length - a.length + 1];
            for (int i = 0, j = 0; i < shape.length; i++) {
                if (i == a[0]) {
                    merged[j++] = count(Arrays.copyOfRange(shape, a[0], a[a.length - 1] + 1));
                } else if (i < a[0] || i > a[a.length - 1]) {
                    merged[j++] = shape[i];
                }
            }
            NDArray m = x.reshape(merged);
            NDArray r = how.equals("max") ? m.max(new int[] {a[0]}, false) : how.equals("sum") ? m.sum(new int[] {a[0]}, false)
                    : m.mean(new int[] {a[0]}, false);
            long[] out = shape.clone();
            for (int ax : a) {
                out[ax] = 1;
            }
            return keepDims ? r.reshape(out) : r;
        }
        NDArray r = x;
        for (int i = a.length - 1; i >= 0; i--) {
            int[] one = {a[i]};
            r = how.equals("max") ? r.max(one, keepDims) : how.equals("sum") ? r.sum(one, keepDims) : r.mean(one, keepDims);
        }
        return r;
    }

    /** NumPy broadcasting of two shapes. */
    static long[] broadcast(long[] a, long[] b) {
        int n = Math.max(a.length, b.length);
        long[] y = new long[n];
        for (int i = 0; i < n; i++) {
            long x = i - (n - a.length) >= 0 ? a[i - (n - a.length)] : 1;
            long z = i - (n - b.length) >= 0 ? b[i - (n - b.length)] : 1;
            check(x == z || x == 1 || z == 1, "shapes " + Arrays.toString(a) + " and " + Arrays.toString(b) + " do not broadcast");
            y[i] = Math.max(x, z);
        }
        return y;
    }

    /**
     * The number of elements of a shape.
     *
     * @param shape the sizes of the axes
     * @return their product (1 for a scalar)
     */
    static long count(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    private static long[] rank(long[] x, int r, String what) {
        check(x.length == r, what + " needs a rank-" + r + " input, gets " + Arrays.toString(x));
        return x;
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    private static void positive(String what, int v) {
        check(v >= 1, what + "=" + v + " must be ≥ 1");
    }

    private static String ints(int[] v) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < v.length; i++) {
            sb.append(i == 0 ? "" : ",").append(v[i]);
        }
        return sb.toString();
    }

    private static String longs(long[] v) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < v.length; i++) {
            sb.append(i == 0 ? "" : ",").append(v[i]);
        }
        return v.length == 0 ? "-" : sb.toString();
    }

    private static String flags(boolean[] v) {
        StringBuilder sb = new StringBuilder();
        for (boolean f : v) {
            sb.append(f ? 'b' : '.');
        }
        return v.length == 0 ? "-" : sb.toString();
    }

    private static boolean[] flags(String s) {
        if (s.equals("-")) {
            return new boolean[0];
        }
        boolean[] f = new boolean[s.length()];
        for (int i = 0; i < f.length; i++) {
            f[i] = s.charAt(i) == 'b';
        }
        return f;
    }

    private static String get(Map<String, String> a, String key) {
        String v = a.get(key);
        check(v != null, "missing attribute '" + key + "'");
        return v;
    }

    private static int i(Map<String, String> a, String key) {
        return Integer.parseInt(get(a, key));
    }

    private static long l(Map<String, String> a, String key) {
        return Long.parseLong(get(a, key));
    }

    private static float f(Map<String, String> a, String key) {
        return Float.parseFloat(get(a, key));
    }

    private static boolean b(Map<String, String> a, String key) {
        return Boolean.parseBoolean(get(a, key));
    }

    private static int[] ia(Map<String, String> a, String key) {
        return Arrays.stream(get(a, key).split(",")).mapToInt(Integer::parseInt).toArray();
    }

    private static long[] la(Map<String, String> a, String key) {
        String v = get(a, key);
        return v.equals("-") ? new long[0] : Arrays.stream(v.split(",")).mapToLong(Long::parseLong).toArray();
    }
}
