package dev.compresso.onnx;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Map;

/**
 * An ONNX file loaded in ONNX Runtime (its Java API), on a fixed number of threads: the reference
 * runtime for exported models, and the peer that speed measurements compare against.
 */
public final class OnnxRuntimeSession implements AutoCloseable {

    private final OrtSession session;
    private final String input;
    private final Path file;

    private OnnxRuntimeSession(OrtSession session, Path file) throws OrtException {
        this.session = session;
        this.file = file;
        this.input = session.getInputNames().iterator().next();
    }

    /**
     * Loads {@code file} with all graph optimizations on.
     *
     * @param file the ONNX file
     * @param threads intra-op threads, ≥ 1
     * @return the session
     * @throws OnnxException if ONNX Runtime refuses the file; the message is ONNX Runtime's, and the
     *     file stays for inspection
     */
    public static OnnxRuntimeSession open(Path file, int threads) {
        try {
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            OrtSession.SessionOptions options = new OrtSession.SessionOptions();
            options.setIntraOpNumThreads(threads);
            options.setInterOpNumThreads(1);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            return new OnnxRuntimeSession(env.createSession(file.toString(), options), file);
        } catch (OrtException e) {
            throw new OnnxException("ONNX Runtime cannot load " + file + ": " + e.getMessage()
                    + "; the file is kept for inspection (check it with python3 -c \"import onnx; onnx.checker.check_model('"
                    + file + "', full_check=True)\")", e);
        }
    }

    /**
     * Runs a batch.
     *
     * @param x the inputs, row-major
     * @param shape their shape, batch first
     * @return the output values, row-major
     */
    public float[] run(float[] x, long[] shape) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape);
                OrtSession.Result r = session.run(Map.of(input, t))) {
            OnnxTensor out = (OnnxTensor) r.get(0);
            FloatBuffer b = out.getFloatBuffer();
            float[] v = new float[b.remaining()];
            b.get(v);
            return v;
        } catch (OrtException e) {
            throw new OnnxException("ONNX Runtime failed to run " + file + ": " + e.getMessage(), e);
        }
    }

    /** The input's shape as the file declares it (-1 for a dynamic axis). */
    public long[] inputShape() {
        try {
            NodeInfo info = session.getInputInfo().get(input);
            return ((ai.onnxruntime.TensorInfo) info.getInfo()).getShape();
        } catch (OrtException e) {
            throw new OnnxException(e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new OnnxException("closing the ONNX Runtime session of " + file + ": " + e.getMessage(), e);
        }
    }
}
