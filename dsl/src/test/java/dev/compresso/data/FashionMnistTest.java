package dev.compresso.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FashionMnistTest {

    @TempDir Path dir;

    @Test
    void takesTheFirstFolderThatHasAllFourFiles() throws IOException {
        Path empty = Files.createDirectory(dir.resolve("empty"));
        Path full = Files.createDirectory(dir.resolve("full"));
        IdxFiles.mnistFolder(full, 20, 5, true);
        DataSplit split = FashionMnist.locate(List.of(dir.resolve("missing"), empty, full), dir.resolve("cache"), false);
        assertEquals(20, split.train().size());
        assertEquals(5, split.test().size());
        assertArrayEquals(new long[] {1, 4, 4}, split.sampleShape());
        assertEquals(10, split.classes());
        assertEquals(3, split.train().label(3));
        float[] first = split.train().features(0);
        assertEquals(0f, first[0]);
        assertEquals(37 / 255f, first[1], 1e-6);
    }

    @Test
    void rawFilesWorkToo() throws IOException {
        IdxFiles.mnistFolder(dir, 12, 3, false);
        assertEquals(12, FashionMnist.load(dir, "raw", List.of()).train().size());
    }

    @Test
    void notFoundListsEveryPlaceAndTheFix() throws IOException {
        Path partial = Files.createDirectory(dir.resolve("partial"));
        IdxFiles.mnistFolder(partial, 2, 2, false);
        Files.delete(partial.resolve("t10k-labels-idx1-ubyte"));
        UncheckedIOException e = assertThrows(UncheckedIOException.class,
                () -> FashionMnist.locate(List.of(dir.resolve("nowhere"), partial), dir.resolve("cache"), false));
        String msg = e.getMessage();
        assertTrue(msg.contains(dir.resolve("nowhere") + " (no such folder)"), msg);
        assertTrue(msg.contains(partial + " (missing t10k-labels-idx1-ubyte)"), msg);
        assertTrue(msg.contains("apt-get install dataset-fashion-mnist"), msg);
        assertTrue(msg.contains("COMPRESSO_DATA"), msg);
    }

    @Test
    void wrongFolderNamesIt() {
        UncheckedIOException e = assertThrows(UncheckedIOException.class,
                () -> FashionMnist.load(dir.resolve("typo"), "x", List.of()));
        assertTrue(e.getMessage().contains("typo") && e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void labelCountMismatchIsReported() throws IOException {
        IdxFiles.mnistFolder(dir, 10, 4, false);
        IdxFiles.write(dir.resolve("train-labels-idx1-ubyte"), IdxFiles.idx(new int[] {9}, IdxFiles.labels(9)), false);
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> FashionMnist.load(dir, "x", List.of()));
        assertTrue(e.getMessage().contains("9 labels") && e.getMessage().contains("10 images"), e.getMessage());
    }

    @Test
    void candidatesEndWithTheDebianFolder() {
        List<Path> c = FashionMnist.candidates();
        assertEquals(Path.of("/usr/share/datasets/fashion-mnist"), c.get(c.size() - 1));
        assertTrue(c.contains(FashionMnist.userCache()));
    }
}
