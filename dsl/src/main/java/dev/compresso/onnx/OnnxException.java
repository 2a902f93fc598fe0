package dev.compresso.onnx;

/** An ONNX file that Compresso cannot read or write; the message names the file, the node and the fix. */
public final class OnnxException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    OnnxException(String message) {
        super(message);
    }

    OnnxException(String message, Throwable cause) {
        super(message, cause);
    }
}
