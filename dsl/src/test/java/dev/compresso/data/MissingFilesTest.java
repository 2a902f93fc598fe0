package dev.compresso.data;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.compresso.Compresso;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every loader names a missing file and says that it does not exist. No engine needed. */
class MissingFilesTest {

    @TempDir
    Path dir;

    @Test
    void loadersSayTheFileDoesNotExistAndNameIt() throws IOException {
        String gone = dir.resolve("gone").toString();
        for (Runnable r : new Runnable[] {() -> Compresso.onnx(gone + ".onnx"), () -> Compresso.load(gone + ".cmpr"),
                () -> Compresso.csv(gone + ".csv", "label"), () -> Compresso.idx(gone)}) {
            RuntimeException e = assertThrows(RuntimeException.class, r::run);
            assertTrue(e.getMessage().contains("does not exist") && e.getMessage().contains("gone"), e.getMessage());
        }
        IllegalArgumentException t = assertThrows(IllegalArgumentException.class, () -> Compresso.torchscript(gone + ".pt", 4));
        assertTrue(t.getMessage().contains("does not exist") && t.getMessage().contains("gone.pt"), t.getMessage());
    }

    @Test
    void aFolderWithoutIdxFilesListsWhatIsMissing() throws IOException {
        Files.writeString(dir.resolve("readme.txt"), "no images here");
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> Compresso.idx(dir.toString()));
        assertTrue(e.getMessage().startsWith("data folder " + dir.toAbsolutePath() + " holds none of the MNIST-layout files"
                + " train-images-idx3-ubyte, ") && e.getMessage().endsWith("holds all four (each raw or .gz)"), e.getMessage());
        Files.write(dir.resolve("train-images-idx3-ubyte"), new byte[0]);
        Files.write(dir.resolve("t10k-labels-idx1-ubyte.gz"), new byte[0]);
        e = assertThrows(UncheckedIOException.class, () -> Compresso.idx(dir.toString()));
        assertTrue(e.getMessage().contains(" lacks train-labels-idx1-ubyte, t10k-images-idx3-ubyte of the MNIST-layout files"),
                e.getMessage());
        assertTrue(!e.getMessage().contains("Exception"), "no exception class in the message: " + e.getMessage());
    }
}
