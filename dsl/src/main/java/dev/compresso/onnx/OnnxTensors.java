package dev.compresso.onnx;

import com.google.protobuf.ByteString;
import dev.compresso.onnx.OnnxImport.Known;
import dev.compresso.onnx.proto.Onnx;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/** Reads and writes ONNX tensors: raw little-endian data or the typed repeated fields. */
final class OnnxTensors {

    private OnnxTensors() {}

    static Known read(Onnx.Tensor t, String file) {
        long[] dims = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
        int n = (int) OnnxImport.count(dims);
        if (t.getDataLocation() == 1 || t.getExternalDataCount() > 0) {
            throw new OnnxException(file + ": tensor '" + t.getName() + "' keeps its data in an external file; export the model"
                    + " as one file (torch.onnx.export writes one file below 2 GB; onnx.save_model(m, f, save_as_external_data=False))");
        }
        double[] v = new double[n];
        ByteBuffer raw = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        boolean hasRaw = !t.getRawData().isEmpty();
        int type = t.getDataType();
        boolean integer;
        switch (type) {
            case Onnx.Tensor.DataType.FLOAT_VALUE -> {
                integer = false;
                if (hasRaw) {
                    need(raw, 4L * n, t, file);
                    for (int i = 0; i < n; i++) {
                        v[i] = raw.getFloat();
                    }
                } else {
                    need(t.getFloatDataCount(), n, t, file);
                    for (int i = 0; i < n; i++) {
                        v[i] = t.getFloatData(i);
                    }
                }
            }
            case Onnx.Tensor.DataType.DOUBLE_VALUE -> {
                integer = false;
                if (hasRaw) {
                    need(raw, 8L * n, t, file);
                    for (int i = 0; i < n; i++) {
                        v[i] = raw.getDouble();
                    }
                } else {
                    need(t.getDoubleDataCount(), n, t, file);
                    for (int i = 0; i < n; i++) {
                        v[i] = t.getDoubleData(i);
                    }
                }
            }
            case Onnx.Tensor.DataType.INT64_VALUE -> {
                integer = true;
                if (hasRaw) {
                    need(raw, 8L * n, t, file);
                    for (int i = 0; i < n; i++) {
                        v[i] = raw.getLong();
                    }
                } else {
                    need(t.getInt64DataCount(), n, t, file);
                    for (int i = 0; i < n; i++) {
                        v[i] = t.getInt64Data(i);
                    }
                }
            }
            case Onnx.Tensor.DataType.INT32_VALUE, Onnx.Tensor.DataType.INT8_VALUE, Onnx.Tensor.DataType.UINT8_VALUE,
                    Onnx.Tensor.DataType.BOOL_VALUE, Onnx.Tensor.DataType.INT16_VALUE -> {
                integer = true;
                int width = type == Onnx.Tensor.DataType.INT32_VALUE ? 4 : type == Onnx.Tensor.DataType.INT16_VALUE ? 2 : 1;
                if (hasRaw) {
                    need(raw, (long) width * n, t, file);
                    for (int i = 0; i < n; i++) {
                        v[i] = width == 4 ? raw.getInt() : width == 2 ? raw.getShort()
                                : type == Onnx.Tensor.DataType.UINT8_VALUE ? (raw.get() & 0xFF) : raw.get();
                    }
                } else {
                    need(t.getInt32DataCount(), n, t, file);
                    for (int i = 0; i < n; i++) {
                        v[i] = t.getInt32Data(i);
                    }
                }
            }
            default -> throw new OnnxException(file + ": tensor '" + t.getName() + "' has element type " + type
                    + ", which Compresso does not read (it reads float32, float64, int64, int32, int16, int8, uint8 and bool)");
        }
        return new Known(dims, v, integer);
    }

    private static void need(ByteBuffer raw, long bytes, Onnx.Tensor t, String file) {
        if (raw.remaining() != bytes) {
            throw new OnnxException(file + ": tensor '" + t.getName() + "' of shape " + t.getDimsList() + " holds " + raw.remaining()
                    + " bytes instead of " + bytes + "; the file is truncated or damaged");
        }
    }

    private static void need(int have, int n, Onnx.Tensor t, String file) {
        if (have != n) {
            throw new OnnxException(file + ": tensor '" + t.getName() + "' of shape " + t.getDimsList() + " holds " + have
                    + " values instead of " + n + "; the file is damaged");
        }
    }

    static Onnx.Tensor floats(String name, long[] dims, float[] values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return raw(name, dims, Onnx.Tensor.DataType.FLOAT_VALUE, b);
    }

    private static Onnx.Tensor raw(String name, long[] dims, int type, ByteBuffer b) {
        b.flip();
        return Onnx.Tensor.newBuilder().setName(name).setDataType(type)
                .addAllDims(Arrays.stream(dims).boxed().toList()).setRawData(ByteString.copyFrom(b)).build();
    }

    static Onnx.Tensor longs(String name, long[] dims, long[] values) {
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            b.putLong(v);
        }
        return raw(name, dims, Onnx.Tensor.DataType.INT64_VALUE, b);
    }

    static Onnx.Tensor bytes(String name, long[] dims, int type, byte[] values) {
        return Onnx.Tensor.newBuilder().setName(name).setDataType(type).addAllDims(Arrays.stream(dims).boxed().toList())
                .setRawData(ByteString.copyFrom(values)).build();
    }

    static Onnx.Tensor ints(String name, long[] dims, int[] values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : values) {
            b.putInt(v);
        }
        return raw(name, dims, Onnx.Tensor.DataType.INT32_VALUE, b);
    }
}
