package dev.compresso.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.compresso.data.DataSplit;
import dev.compresso.data.Samples;
import dev.compresso.data.Synthetic;
import dev.compresso.eval.ExperimentLog;
import dev.compresso.model.Network;
import dev.compresso.model.Op;
import dev.compresso.model.Zoo;
import dev.compresso.onnx.OnnxException;
import dev.compresso.onnx.OnnxRuntimeSession;
import dev.compresso.onnx.proto.Onnx;
import dev.compresso.quantize.Quantization;
import dev.compresso.train.TrainOptions;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** int8 QDQ export, with ONNX Runtime as the reference and the ONNX checker on the files. */
@Tag("engine")
class Int8ExportTest {

    static DataSplit data;
    static Network base;
    static Network q8;

    @TempDir
    Path dir;

    @BeforeAll
    static void train() {
        data = Synthetic.squares(512, 400, 28, 4, 9);
        try (Network init = Network.create(Zoo.resnet(14), 1)) {
            base = init.train(data, TrainOptions.epochs(1).batchSize(64).quiet().log(new ExperimentLog()));
        }
        q8 = base.quantize(Quantization.weightsTo(8).perChannel().activations(8).foldBatchNorm());
    }

    @AfterAll
    static void close() {
        q8.close();
        base.close();
    }

    static double ortTop1(Path file, Samples test) {
        float[] logits = new float[test.size() * 10];
        int n = 0;
        try (OnnxRuntimeSession s = OnnxRuntimeSession.open(file, 1)) {
            for (int from = 0; from < test.size(); from += 100) {
                int to = Math.min(test.size(), from + 100);
                float[] x = new float[(to - from) * test.sampleSize()];
                test.copyFeatures(from, to, x, 0);
                float[] y = s.run(x, new long[] {to - from, 1, 28, 28});
                System.arraycopy(y, 0, logits, n, y.length);
                n += y.length;
            }
        }
        return (double) dev.compresso.onnx.OnnxTestAccess.top1(java.util.Arrays.copyOf(logits, n), test) / test.size();
    }

    @Test
    void int8FileRunsInOnnxRuntimeWithInt8KernelsScoresTheSameAndIsSmaller() throws Exception {
        assertTrue(q8.architecture().graph().nodes().stream().noneMatch(n -> n.op() instanceof Op.BatchNorm), "folded first");
        assertTrue(q8.architecture().graph().nodes().stream().anyMatch(n -> n.op() instanceof Op.Quantize));
        Path int8 = q8.exportInt8(dir.resolve("q8.onnx").toString());
        Path fp32 = base.exportOnnx(dir.resolve("fp32.onnx").toString());
        dev.compresso.onnx.OnnxTestAccess.checker(int8);
        double ours = q8.evaluation().top1();
        double ort = ortTop1(int8, data.test());
        assertEquals(ours, ort, 0.005, "ONNX Runtime's top-1 on the int8 file vs Compresso's evaluation");
        double ratio = (double) Files.size(fp32) / Files.size(int8);
        assertTrue(ratio >= 3.5, "fp32 " + Files.size(fp32) + " bytes / int8 " + Files.size(int8) + " = " + ratio);

        // ONNX Runtime's optimized graph runs convolutions as QLinearConv
        Path optimized = dir.resolve("optimized.onnx");
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.EXTENDED_OPT);
            o.setOptimizedModelFilePath(optimized.toString());
            OrtEnvironment.getEnvironment().createSession(int8.toString(), o).close();
        }
        Map<String, Integer> ops = new HashMap<>();
        for (Onnx.Node n : Onnx.Model.parseFrom(Files.readAllBytes(optimized)).getGraph().getNodeList()) {
            ops.merge(n.getOpType(), 1, Integer::sum);
        }
        long convs = q8.architecture().graph().nodes().stream().filter(n -> n.op() instanceof Op.Conv).count();
        assertEquals(convs, (long) ops.getOrDefault("QLinearConv", 0), ops.toString());
        assertFalse(ops.containsKey("Conv"), ops.toString());
    }

    @Test
    void exportedLevelsTimesScalesAreTheEvaluatedWeights() throws IOException {
        Path int8 = q8.exportInt8(dir.resolve("q8.onnx").toString());
        Onnx.Graph g = Onnx.Model.parseFrom(Files.readAllBytes(int8)).getGraph();
        Map<String, Onnx.Tensor> init = new HashMap<>();
        for (Onnx.Tensor t : g.getInitializerList()) {
            init.put(t.getName(), t);
        }
        int checked = 0;
        for (String p : q8.parameterNames()) {
            if (!p.endsWith("_weight")) {
                continue;
            }
            Onnx.Tensor levels = init.get(p + "_int8");
            assertEquals(Onnx.Tensor.DataType.INT8_VALUE, levels.getDataType(), p);
            byte[] q = levels.getRawData().toByteArray();
            ByteBuffer sb = init.get(p + "_scale").getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            float[] scales = new float[sb.remaining() / 4];
            sb.asFloatBuffer().get(scales);
            float[] w = q8.weights(p);
            int per = w.length / scales.length;
            for (int i = 0; i < w.length; i++) {
                assertEquals(w[i], q[i] * scales[i / per], 0f, p + "[" + i + "]");
            }
            checked++;
        }
        assertTrue(checked >= 8, "checked " + checked);
    }

    @Test
    void wrongBitsUncalibratedActivationsAndUnquantizedModelsAreRefusedWithTheFix() {
        String fix = "quantize(weightsTo(8).perChannel().activations(8))";
        try (Network w4 = base.quantize(Quantization.weightsTo(4).perChannel().activations(8));
                Network w8 = base.quantize(Quantization.weightsTo(8).perChannel());
                Network a4 = base.quantize(Quantization.weightsTo(8).perChannel().activations(4))) {
            for (Network bad : new Network[] {w4, w8, a4, base}) {
                Path f = dir.resolve(bad.name() + ".onnx");
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> bad.exportInt8(f.toString()));
                assertTrue(e.getMessage().contains(fix) && e.getMessage().contains(bad.name()), e.getMessage());
                assertFalse(Files.exists(f), "nothing written");
            }
            assertTrue(assertThrows(IllegalArgumentException.class, () -> w8.exportInt8(dir.resolve("x.onnx").toString()))
                    .getMessage().contains("never calibrated"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> w4.exportInt8(dir.resolve("x.onnx").toString()))
                    .getMessage().contains("quantized to 4 bits"));
        }
    }

    @Test
    void aFileOnnxRuntimeRefusesIsReportedWithItsMessageAndKept() throws IOException, OrtException {
        Path int8 = q8.exportInt8(dir.resolve("q8.onnx").toString());
        byte[] b = Files.readAllBytes(int8);
        Path broken = dir.resolve("broken.onnx");
        Files.write(broken, java.util.Arrays.copyOf(b, b.length / 2));
        OnnxException e = assertThrows(OnnxException.class, () -> OnnxRuntimeSession.open(broken, 1));
        assertTrue(e.getMessage().contains("ONNX Runtime cannot load") && e.getMessage().contains("kept for inspection"), e.getMessage());
        assertTrue(Files.exists(broken));
    }
}
