package dev.compresso.data;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Writes small IDX files for tests. */
final class IdxFiles {

    private IdxFiles() {}

    static byte[] idx(int[] dims, byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(0x0800 | dims.length);
            for (int d : dims) {
                out.writeInt(d);
            }
            out.write(data);
        }
        return bytes.toByteArray();
    }

    static Path write(Path file, byte[] content, boolean gzip) throws IOException {
        try (OutputStream out = gzip ? new GZIPOutputStream(Files.newOutputStream(file)) : Files.newOutputStream(file)) {
            out.write(content);
        }
        return file;
    }

    /** Writes a tiny MNIST-layout folder: n train and m test images of 4×4 pixels, labels i % 10. */
    static void mnistFolder(Path dir, int n, int m, boolean gzip) throws IOException {
        String ext = gzip ? ".gz" : "";
        write(dir.resolve("train-images-idx3-ubyte" + ext), idx(new int[] {n, 4, 4}, pixels(n)), gzip);
        write(dir.resolve("train-labels-idx1-ubyte" + ext), idx(new int[] {n}, labels(n)), gzip);
        write(dir.resolve("t10k-images-idx3-ubyte" + ext), idx(new int[] {m, 4, 4}, pixels(m)), gzip);
        write(dir.resolve("t10k-labels-idx1-ubyte" + ext), idx(new int[] {m}, labels(m)), gzip);
    }

    static byte[] pixels(int n) {
        byte[] px = new byte[n * 16];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (i * 37);
        }
        return px;
    }

    static byte[] labels(int n) {
        byte[] y = new byte[n];
        for (int i = 0; i < n; i++) {
            y[i] = (byte) (i % 10);
        }
        return y;
    }
}
