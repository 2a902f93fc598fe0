package dev.compresso.onnx;

import java.nio.file.Path;

/** Lets tests in other packages run the ONNX checker of {@link OnnxTest}. */
public final class OnnxTestAccess {

    private OnnxTestAccess() {}

    /** Runs the ONNX checker on {@code file}; see {@code OnnxTest.checker}. */
    public static void checker(Path file) {
        OnnxTest.checker(file);
    }

    /** The number of samples whose largest logit is their label; see {@code OnnxTest.top1}. */
    public static int top1(float[] logits, dev.compresso.data.Samples s) {
        return OnnxTest.top1(logits, s);
    }
}
