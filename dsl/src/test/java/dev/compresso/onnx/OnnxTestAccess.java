package dev.compresso.onnx;

import java.nio.file.Path;

/** Lets tests in other packages run the ONNX checker of {@link OnnxTest}. */
public final class OnnxTestAccess {

    private OnnxTestAccess() {}

    /** Runs the ONNX checker on {@code file}; see {@code OnnxTest.checker}. */
    public static void checker(Path file) {
        OnnxTest.checker(file);
    }
}
