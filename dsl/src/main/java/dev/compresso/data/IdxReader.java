package dev.compresso.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;

/**
 * Reads IDX files, the format of MNIST and Fashion-MNIST, raw or gzip-compressed.
 *
 * <p>An IDX file starts with a magic number {@code 0x0000TTDD}: two zero bytes, a type byte
 * ({@code 0x08} for unsigned bytes, the only type these data sets use) and the number of
 * dimensions. Then each dimension as a big-endian int, then the data.
 */
public final class IdxReader {

    private static final int UNSIGNED_BYTE = 0x08;

    private IdxReader() {}

    /** The content of one IDX file: its dimensions and its unsigned bytes, row-major. */
    public record Idx(int[] dims, byte[] data) {

        /** Number of items along the first dimension. */
        public int count() {
            return dims[0];
        }

        /** Number of values per item (the product of all dimensions after the first). */
        public int itemSize() {
            int size = 1;
            for (int i = 1; i < dims.length; i++) {
                size *= dims[i];
            }
            return size;
        }
    }

    /**
     * Reads an IDX file of unsigned bytes; a {@code .gz} file (detected by content) is decompressed.
     *
     * @param file the file to read
     * @return its dimensions and data
     * @throws IOException if the file cannot be read, or is not a complete IDX file of unsigned bytes
     */
    public static Idx read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(
                    file.toString(), null, "no such IDX file; check the path or the data folder");
        }
        try (InputStream in = open(file);
                DataInputStream data = new DataInputStream(in)) {
            int magic;
            try {
                magic = data.readInt();
            } catch (EOFException e) {
                throw corrupt(file, "it ends before the 4-byte magic number");
            }
            int type = (magic >>> 8) & 0xff;
            int rank = magic & 0xff;
            if ((magic >>> 16) != 0 || type != UNSIGNED_BYTE || rank < 1 || rank > 4) {
                throw corrupt(
                        file,
                        String.format(
                                "magic 0x%08x is not an IDX magic for unsigned bytes (expected"
                                        + " 0x00000801 to 0x00000804)",
                                magic));
            }
            int[] dims = new int[rank];
            long total = 1;
            for (int i = 0; i < rank; i++) {
                try {
                    dims[i] = data.readInt();
                } catch (EOFException e) {
                    throw corrupt(file, "it ends inside the header, at dimension " + (i + 1));
                }
                if (dims[i] < 0) {
                    throw corrupt(file, "dimension " + (i + 1) + " is negative: " + dims[i]);
                }
                total *= dims[i];
            }
            if (total > Integer.MAX_VALUE - 16) {
                throw corrupt(file, "its header announces " + total + " values, too many for one array");
            }
            byte[] bytes = new byte[(int) total];
            int read = data.readNBytes(bytes, 0, bytes.length);
            if (read < bytes.length) {
                throw corrupt(
                        file,
                        "the header announces "
                                + Arrays.toString(dims)
                                + " = "
                                + total
                                + " bytes of data, but only "
                                + read
                                + " follow: the file is truncated");
            }
            return new Idx(dims, bytes);
        } catch (java.util.zip.ZipException e) {
            throw corrupt(file, "its gzip stream is damaged (" + e.getMessage() + ")");
        } catch (EOFException e) {
            throw corrupt(file, "its gzip stream ends early: the file is truncated");
        }
    }

    private static InputStream open(Path file) throws IOException {
        InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        raw.mark(2);
        int b1 = raw.read();
        int b2 = raw.read();
        raw.reset();
        if (b1 == 0x1f && b2 == 0x8b) {
            return new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16);
        }
        return raw;
    }

    private static IOException corrupt(Path file, String why) {
        return new CorruptDataException(
                "IDX file "
                        + file
                        + " is not usable: "
                        + why
                        + ". Replace it with a good copy (for Fashion-MNIST: reinstall the Debian"
                        + " package dataset-fashion-mnist, or delete the file so that Compresso"
                        + " fetches it again).");
    }

    /** A data file that exists but whose content is damaged or of the wrong format. */
    public static final class CorruptDataException extends IOException {
        private static final long serialVersionUID = 1L;

        CorruptDataException(String message) {
            super(message);
        }
    }
}
