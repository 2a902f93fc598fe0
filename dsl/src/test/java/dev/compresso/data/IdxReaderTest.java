package dev.compresso.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {

    @TempDir Path dir;

    @Test
    void readsRawAndGzipAlike() throws IOException {
        byte[] content = IdxFiles.idx(new int[] {3, 2, 2}, new byte[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, (byte) 255});
        IdxReader.Idx raw = IdxReader.read(IdxFiles.write(dir.resolve("a"), content, false));
        IdxReader.Idx gz = IdxReader.read(IdxFiles.write(dir.resolve("a.gz"), content, true));
        assertArrayEquals(new int[] {3, 2, 2}, raw.dims());
        assertEquals(3, raw.count());
        assertEquals(4, raw.itemSize());
        assertArrayEquals(raw.data(), gz.data());
        assertEquals(255, raw.data()[11] & 0xff);
    }

    @Test
    void rejectsBadMagicNamingTheFile() throws IOException {
        Path f = IdxFiles.write(dir.resolve("bad"), new byte[] {0x12, 0x34, 0x56, 0x78, 0, 0, 0, 1, 9}, false);
        IOException e = assertThrows(IOException.class, () -> IdxReader.read(f));
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("0x12345678"), e.getMessage());
        assertTrue(e.getMessage().contains("Replace it"), e.getMessage());
    }

    @Test
    void rejectsTruncatedDataWithCounts() throws IOException {
        byte[] content = IdxFiles.idx(new int[] {10, 4, 4}, new byte[160]);
        Path f = IdxFiles.write(dir.resolve("cut"), Arrays.copyOf(content, content.length - 7), false);
        IOException e = assertThrows(IOException.class, () -> IdxReader.read(f));
        assertTrue(e.getMessage().contains("160 bytes of data, but only 153"), e.getMessage());
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void rejectsTruncatedGzipStream() throws IOException {
        byte[] content = IdxFiles.idx(new int[] {1000}, new byte[1000]);
        Path gz = IdxFiles.write(dir.resolve("full.gz"), content, true);
        byte[] zipped = Files.readAllBytes(gz);
        Path cut = IdxFiles.write(dir.resolve("cut.gz"), Arrays.copyOf(zipped, zipped.length / 2), false);
        IOException e = assertThrows(IOException.class, () -> IdxReader.read(cut));
        assertTrue(e.getMessage().contains("cut.gz"), e.getMessage());
    }

    @Test
    void rejectsHeaderCutShort() throws IOException {
        Path f = IdxFiles.write(dir.resolve("hdr"), new byte[] {0, 0, 8, 3, 0, 0}, false);
        IOException e = assertThrows(IOException.class, () -> IdxReader.read(f));
        assertTrue(e.getMessage().contains("inside the header"), e.getMessage());
    }

    @Test
    void missingFileSaysSo() {
        Path f = dir.resolve("nope");
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> IdxReader.read(f));
        assertTrue(e.getMessage().contains("nope"), e.getMessage());
    }
}
