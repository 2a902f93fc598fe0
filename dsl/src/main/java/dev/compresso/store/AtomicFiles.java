package dev.compresso.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/** Whole-file writes that either land completely or leave nothing: a temporary file beside the target, synced, then renamed. */
public final class AtomicFiles {

    private AtomicFiles() {}

    /**
     * Writes {@code bytes} to {@code file} atomically, creating its folder.
     *
     * @param file the target
     * @param bytes the content
     * @param what what the file is, for the error message (for example {@code ONNX model})
     * @throws UncheckedIOException if it cannot be written; no partial file is left behind
     */
    public static void write(Path file, byte[] bytes, String what) {
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        Path tmp = dir.resolve("." + target.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
        try {
            Files.createDirectories(dir);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the temporary file is hidden and named as such; nothing more to do
            }
            throw new UncheckedIOException("cannot write " + what + " to " + target + " (" + e + "); check that the folder exists"
                    + " or can be created, is writable and has space", e);
        }
    }
}
