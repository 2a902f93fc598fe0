package dev.compresso.onnx;

import dev.compresso.onnx.OnnxImport.Known;
import dev.compresso.onnx.proto.Onnx;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Computes, at import time, the ONNX nodes whose inputs are all known: the shape arithmetic that
 * exporters write (Shape → Gather → Unsqueeze → Concat), casts, and small constant expressions.
 * Hand-written because it is small and runs on plain arrays; ONNX Runtime is not needed for it.
 */
final class Folding {

    private Folding() {}

    static Known fold(Onnx.Node n, List<Known> in, int opset) {
        String type = n.getOpType();
        return switch (type) {
            case "Identity" -> in.get(0);
            case "Cast" -> cast(in.get(0), (int) OnnxImport.attrI(n, "to", 1));
            case "Add", "Sub", "Mul", "Div", "Pow", "Equal", "Greater", "Less" -> binary(type, in.get(0), in.get(1));
            case "Mod" -> binary(OnnxImport.attrI(n, "fmod", 0) == 1 ? "Fmod" : "Mod", in.get(0), in.get(1));
            case "Sqrt", "Neg", "Reciprocal", "Abs", "Exp", "Erf", "Relu", "Sigmoid", "Tanh", "Floor", "Ceil" -> unary(type, in.get(0));
            case "Where" -> where(in.get(0), in.get(1), in.get(2));
            case "Clip" -> {
                double lo = in.size() > 1 && in.get(1) != null ? in.get(1).values()[0]
                        : OnnxImport.attrF(n, "min", Float.NEGATIVE_INFINITY);
                double hi = in.size() > 2 && in.get(2) != null ? in.get(2).values()[0]
                        : OnnxImport.attrF(n, "max", Float.POSITIVE_INFINITY);
                double[] v = in.get(0).values().clone();
                for (int i = 0; i < v.length; i++) {
                    v[i] = Math.min(hi, Math.max(lo, v[i]));
                }
                yield new Known(in.get(0).dims(), v, in.get(0).integer());
            }
            case "Unsqueeze", "Squeeze" -> {
                long[] axes = in.size() > 1 && in.get(1) != null ? in.get(1).longs() : OnnxImport.attrInts(n, "axes", null);
                long[] dims = type.equals("Squeeze") ? squeeze(in.get(0).dims(), axes) : unsqueeze(in.get(0).dims(), axes);
                yield new Known(dims, in.get(0).values(), in.get(0).integer());
            }
            case "Reshape" -> new Known(reshapeTarget(in.get(0).dims(), in.get(1).longs(), OnnxImport.attrI(n, "allowzero", 0) == 1),
                    in.get(0).values(), in.get(0).integer());
            case "Flatten" -> {
                long[] d = in.get(0).dims();
                int axis = OnnxImport.axis(OnnxImport.attrI(n, "axis", 1), Math.max(1, d.length));
                yield new Known(new long[] {OnnxImport.count(Arrays.copyOf(d, axis)),
                        OnnxImport.count(Arrays.copyOfRange(d, axis, d.length))}, in.get(0).values(), in.get(0).integer());
            }
            case "Concat" -> concat(in, (int) OnnxImport.attrI(n, "axis", 0));
            case "Gather" -> gather(in.get(0), in.get(1), (int) OnnxImport.attrI(n, "axis", 0));
            case "Slice" -> slice(in);
            case "ConstantOfShape" -> {
                long[] dims = in.get(0).longs();
                Onnx.Attribute v = OnnxImport.attr(n, "value");
                Known fill = v == null ? new Known(new long[] {1}, new double[] {0}, false) : OnnxTensors.read(v.getT(), "");
                double[] values = new double[(int) OnnxImport.count(dims)];
                Arrays.fill(values, fill.values()[0]);
                yield new Known(dims, values, fill.integer());
            }
            case "Range" -> {
                double start = in.get(0).values()[0];
                double limit = in.get(1).values()[0];
                double delta = in.get(2).values()[0];
                int count = (int) Math.max(0, Math.ceil((limit - start) / delta));
                double[] v = new double[count];
                for (int i = 0; i < count; i++) {
                    v[i] = start + i * delta;
                }
                yield new Known(new long[] {count}, v, in.get(0).integer());
            }
            case "Transpose" -> transpose(in.get(0), OnnxImport.attrInts(n, "perm", null));
            case "ScatterND" -> scatterNd(in.get(0), in.get(1), in.get(2));
            case "Not" -> {
                double[] v = in.get(0).values().clone();
                for (int i = 0; i < v.length; i++) {
                    v[i] = v[i] != 0 ? 0 : 1;
                }
                yield new Known(in.get(0).dims(), v, true);
            }
            case "And", "Or" -> binary(type, in.get(0), in.get(1));
            case "Expand" -> expand(in.get(0), in.get(1).longs());
            default -> throw new OnnxException("node '" + n.getName() + "' (" + n.getOpType() + ") has only stored inputs, and"
                    + " Compresso cannot compute " + n.getOpType() + " at load time; supported operators: "
                    + String.join(", ", OnnxImport.SUPPORTED));
        };
    }

    // ---------------------------------------------------------------- shapes

    static long[] reshapeTarget(long[] from, long[] to, boolean allowZero) {
        long[] t = to.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < t.length; i++) {
            if (t[i] == 0 && !allowZero) {
                t[i] = from[i];
            }
            if (t[i] == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException("reshape target " + Arrays.toString(to) + " has two -1");
                }
                infer = i;
            } else {
                known *= t[i];
            }
        }
        long total = OnnxImport.count(from);
        if (infer >= 0) {
            t[infer] = known == 0 ? 0 : total / known;
        }
        if (OnnxImport.count(t) != total) {
            throw new IllegalArgumentException("reshape of " + Arrays.toString(from) + " to " + Arrays.toString(to) + " changes the size");
        }
        return t;
    }

    static long[] squeeze(long[] dims, long[] axes) {
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < dims.length; i++) {
            boolean drop = false;
            if (axes == null) {
                drop = dims[i] == 1;
            } else {
                for (long a : axes) {
                    drop |= OnnxImport.axis(a, dims.length) == i;
                }
            }
            if (!drop) {
                out.add(dims[i]);
            }
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    static long[] unsqueeze(long[] dims, long[] axes) {
        int rank = dims.length + axes.length;
        boolean[] added = new boolean[rank];
        for (long a : axes) {
            added[OnnxImport.axis(a, rank)] = true;
        }
        long[] out = new long[rank];
        for (int i = 0, j = 0; i < rank; i++) {
            out[i] = added[i] ? 1 : dims[j++];
        }
        return out;
    }

    // ---------------------------------------------------------------- values

    private static Known cast(Known x, int to) {
        boolean integer = to != Onnx.Tensor.DataType.FLOAT_VALUE && to != Onnx.Tensor.DataType.DOUBLE_VALUE
                && to != Onnx.Tensor.DataType.FLOAT16_VALUE;
        double[] v = x.values().clone();
        if (integer) {
            for (int i = 0; i < v.length; i++) {
                v[i] = to == Onnx.Tensor.DataType.BOOL_VALUE ? (v[i] != 0 ? 1 : 0) : (long) v[i];
            }
        }
        return new Known(x.dims(), v, integer);
    }

    private static Known unary(String type, Known x) {
        double[] v = new double[x.size()];
        for (int i = 0; i < v.length; i++) {
            double a = x.values()[i];
            v[i] = switch (type) {
                case "Sqrt" -> Math.sqrt(a);
                case "Neg" -> -a;
                case "Reciprocal" -> 1 / a;
                case "Abs" -> Math.abs(a);
                case "Exp" -> Math.exp(a);
                case "Relu" -> Math.max(0, a);
                case "Sigmoid" -> 1 / (1 + Math.exp(-a));
                case "Tanh" -> Math.tanh(a);
                case "Floor" -> Math.floor(a);
                case "Ceil" -> Math.ceil(a);
                default -> throw new OnnxException(type + " of stored values is not supported");
            };
        }
        return new Known(x.dims(), v, x.integer());
    }

    private static Known binary(String type, Known a, Known b) {
        long[] dims = broadcast(a.dims(), b.dims());
        int n = (int) OnnxImport.count(dims);
        double[] v = new double[n];
        boolean integer = a.integer() && b.integer();
        boolean compare = type.equals("Equal") || type.equals("Greater") || type.equals("Less") || type.equals("And")
                || type.equals("Or");
        if (!compare && !List.of("Add", "Sub", "Mul", "Div", "Pow", "Mod", "Fmod", "And", "Or").contains(type)) {
            throw new OnnxException(type + " of stored values is not supported");
        }
        for (int i = 0; i < n; i++) {
            double x = a.values()[source(i, dims, a.dims())];
            double y = b.values()[source(i, dims, b.dims())];
            v[i] = switch (type) {
                case "Add" -> x + y;
                case "Sub" -> x - y;
                case "Mul" -> x * y;
                case "Div" -> integer ? (long) x / (long) y : x / y;
                case "Pow" -> Math.pow(x, y);
                case "Equal" -> x == y ? 1 : 0;
                case "Greater" -> x > y ? 1 : 0;
                case "Fmod" -> x % y;
                case "And" -> x != 0 && y != 0 ? 1 : 0;
                case "Or" -> x != 0 || y != 0 ? 1 : 0;
                case "Mod" -> x - Math.floor(x / y) * y;
                default -> x < y ? 1 : 0;
            };
        }
        return new Known(dims, v, integer || compare);
    }

    private static Known where(Known c, Known a, Known b) {
        long[] dims = broadcast(broadcast(c.dims(), a.dims()), b.dims());
        int n = (int) OnnxImport.count(dims);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = c.values()[source(i, dims, c.dims())] != 0 ? a.values()[source(i, dims, a.dims())]
                    : b.values()[source(i, dims, b.dims())];
        }
        return new Known(dims, v, a.integer() && b.integer());
    }

    private static Known expand(Known x, long[] shape) {
        long[] dims = broadcast(x.dims(), shape);
        int n = (int) OnnxImport.count(dims);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = x.values()[source(i, dims, x.dims())];
        }
        return new Known(dims, v, x.integer());
    }

    private static Known concat(List<Known> in, int axisAttr) {
        long[] first = in.get(0).dims();
        int axis = OnnxImport.axis(axisAttr, Math.max(1, first.length));
        long[] dims = first.length == 0 ? new long[] {0} : first.clone();
        dims[axis] = 0;
        for (Known k : in) {
            dims[axis] += k.dims().length == 0 ? 1 : k.dims()[axis];
        }
        long outer = OnnxImport.count(Arrays.copyOf(dims, axis));
        double[] v = new double[(int) OnnxImport.count(dims)];
        int pos = 0;
        for (long o = 0; o < outer; o++) {
            for (Known k : in) {
                long[] d = k.dims().length == 0 ? new long[] {1} : k.dims();
                int chunk = (int) OnnxImport.count(Arrays.copyOfRange(d, axis, d.length));
                System.arraycopy(k.values(), (int) (o * chunk), v, pos, chunk);
                pos += chunk;
            }
        }
        return new Known(dims, v, in.get(0).integer());
    }

    private static Known gather(Known x, Known idx, int axisAttr) {
        long[] d = x.dims();
        int axis = OnnxImport.axis(axisAttr, d.length);
        long outer = OnnxImport.count(Arrays.copyOf(d, axis));
        long inner = OnnxImport.count(Arrays.copyOfRange(d, axis + 1, d.length));
        long[] indices = idx.longs();
        long[] dims = new long[d.length - 1 + idx.dims().length];
        System.arraycopy(d, 0, dims, 0, axis);
        System.arraycopy(idx.dims(), 0, dims, axis, idx.dims().length);
        System.arraycopy(d, axis + 1, dims, axis + idx.dims().length, d.length - axis - 1);
        double[] v = new double[(int) OnnxImport.count(dims)];
        int pos = 0;
        for (long o = 0; o < outer; o++) {
            for (long i : indices) {
                long j = i < 0 ? i + d[axis] : i;
                for (long r = 0; r < inner; r++) {
                    v[pos++] = x.values()[(int) ((o * d[axis] + j) * inner + r)];
                }
            }
        }
        return new Known(dims, v, x.integer());
    }

    private static Known slice(List<Known> in) {
        Known x = in.get(0);
        long[] d = x.dims();
        long[] starts = in.get(1).longs();
        long[] ends = in.get(2).longs();
        long[] axes = in.size() > 3 && in.get(3) != null ? in.get(3).longs() : null;
        long[] steps = in.size() > 4 && in.get(4) != null ? in.get(4).longs() : null;
        long[] lo = new long[d.length];
        long[] st = new long[d.length];
        long[] dims = d.clone();
        Arrays.fill(st, 1);
        for (int i = 0; i < starts.length; i++) {
            int a = OnnxImport.axis(axes == null ? i : axes[i], d.length);
            long step = steps == null ? 1 : steps[i];
            if (step == 0) {
                throw new OnnxException("slice step 0 is not allowed");
            }
            long s = starts[i] < 0 ? starts[i] + d[a] : starts[i];
            long e = ends[i] < 0 ? ends[i] + d[a] : ends[i];
            if (step > 0) {
                s = Math.max(0, Math.min(s, d[a]));
                e = Math.max(0, Math.min(e, d[a]));
                dims[a] = Math.max(0, (e - s + step - 1) / step);
            } else {
                s = Math.max(-1, Math.min(s, d[a] - 1));
                e = Math.max(-1, Math.min(e, d[a] - 1));
                dims[a] = Math.max(0, (s - e + (-step) - 1) / (-step));
            }
            lo[a] = s;
            st[a] = step;
        }
        int n = (int) OnnxImport.count(dims);
        double[] v = new double[n];
        long[] idx = new long[d.length];
        for (int i = 0; i < n; i++) {
            long rem = i;
            long src = 0;
            for (int a = d.length - 1; a >= 0; a--) {
                idx[a] = rem % dims[a];
                rem /= dims[a];
            }
            for (int a = 0; a < d.length; a++) {
                src = src * d[a] + lo[a] + idx[a] * st[a];
            }
            v[i] = x.values()[(int) src];
        }
        return new Known(dims, v, x.integer());
    }

    private static Known scatterNd(Known data, Known indices, Known updates) {
        long[] d = data.dims();
        long[] id = indices.dims();
        int k = (int) id[id.length - 1];
        long tuples = OnnxImport.count(Arrays.copyOf(id, id.length - 1));
        int slice = (int) OnnxImport.count(Arrays.copyOfRange(d, k, d.length));
        double[] v = data.values().clone();
        long[] idx = indices.longs();
        for (int t = 0; t < tuples; t++) {
            long offset = 0;
            for (int i = 0; i < k; i++) {
                long j = idx[t * k + i];
                offset = offset * d[i] + (j < 0 ? j + d[i] : j);
            }
            System.arraycopy(updates.values(), t * slice, v, (int) (offset * slice), slice);
        }
        return new Known(d, v, data.integer());
    }

    private static Known transpose(Known x, long[] perm) {
        long[] d = x.dims();
        int r = d.length;
        long[] p = perm != null ? perm : new long[r];
        if (perm == null) {
            for (int i = 0; i < r; i++) {
                p[i] = r - 1 - i;
            }
        }
        long[] dims = new long[r];
        for (int i = 0; i < r; i++) {
            dims[i] = d[(int) p[i]];
        }
        int n = x.size();
        double[] v = new double[n];
        long[] idx = new long[r];
        for (int i = 0; i < n; i++) {
            long rem = i;
            for (int a = r - 1; a >= 0; a--) {
                idx[a] = rem % dims[a];
                rem /= dims[a];
            }
            long[] srcIdx = new long[r];
            for (int a = 0; a < r; a++) {
                srcIdx[(int) p[a]] = idx[a];
            }
            long src = 0;
            for (int a = 0; a < r; a++) {
                src = src * d[a] + srcIdx[a];
            }
            v[i] = x.values()[(int) src];
        }
        return new Known(dims, v, x.integer());
    }

    private static long[] broadcast(long[] a, long[] b) {
        int n = Math.max(a.length, b.length);
        long[] y = new long[n];
        for (int i = 0; i < n; i++) {
            long x = i - (n - a.length) >= 0 ? a[i - (n - a.length)] : 1;
            long z = i - (n - b.length) >= 0 ? b[i - (n - b.length)] : 1;
            if (x != z && x != 1 && z != 1) {
                throw new IllegalArgumentException("shapes " + Arrays.toString(a) + " and " + Arrays.toString(b) + " do not broadcast");
            }
            y[i] = Math.max(x, z);
        }
        return y;
    }

    /** The flat index in a broadcast operand of shape {@code from} for flat index {@code i} of {@code dims}. */
    private static int source(int i, long[] dims, long[] from) {
        long rem = i;
        long src = 0;
        long stride = 1;
        for (int a = dims.length - 1, b = from.length - 1; a >= 0; a--, b--) {
            long coord = rem % dims[a];
            rem /= dims[a];
            if (b >= 0) {
                if (from[b] != 1) {
                    src += coord * stride;
                }
                stride *= from[b];
            }
        }
        return (int) src;
    }
}
