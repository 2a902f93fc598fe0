package dev.compresso.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.CRC32C;

/**
 * Writes and reads packed model files, the Deep Compression format: per tensor, the sparse
 * structure as relative indices with filler zeros, the non-zeros as codebook codes, both
 * canonical-Huffman coded, and the codebook; biases raw. Every section carries a CRC32C. The
 * layout is specified in {@code FORMAT.md} next to this class.
 *
 * <pre>{@code
 * var rows = PackedFile.write(path, architecture, tensors, PackedFile.Options.defaults());
 * System.out.print(LayerBreakdown.table("breakdown", rows, Files.size(path)).printAll());
 * var back = PackedFile.read(path);   // values bit for bit equal, zeros read as +0.0
 * }</pre>
 */
public final class PackedFile {

    /** The four bytes every packed file starts with. */
    static final byte[] MAGIC = {'C', 'M', 'P', 'R'};
    /** The format version this code writes, and the newest it reads. */
    public static final int FORMAT_VERSION = 4;
    static final int HEADER_BYTES = 16;
    /** Largest file this reader accepts (the largest Java byte array). */
    static final long MAX_FILE_BYTES = Integer.MAX_VALUE - 8;

    private static final String FIX_TRUNCATED = "the file is truncated (an interrupted copy or download?);"
            + " copy it again or re-pack the model";
    private static final String FIX_DAMAGED = "the file is damaged (a flipped bit or a partial overwrite);"
            + " restore it from a copy or re-pack the model";

    private PackedFile() {}

    /** What a packed file holds: the caller's architecture bytes and the tensors, in file order. */
    public record Contents(byte[] architecture, List<Tensor> tensors) {}

    /**
     * Writes a packed file atomically: the bytes go to a temporary file in the same folder, which is
     * flushed to disk and then renamed over {@code file}. On any failure the temporary file is
     * deleted and an existing {@code file} is left as it was.
     *
     * @param file where to write; its folder must exist
     * @param architecture opaque bytes that describe how to rebuild the model (may be empty)
     * @param tensors the tensors to store, at least one, with distinct names
     * @param options index widths and which tensors to store raw
     * @return one breakdown row per tensor, in order
     * @throws IOException if the file cannot be written
     * @throws IllegalArgumentException if the tensors or options are not valid
     */
    public static List<LayerBreakdown> write(Path file, byte[] architecture, List<Tensor> tensors, Options options)
            throws IOException {
        return write(file, architecture, tensors, options, () -> { });
    }

    /** As {@link #write(Path, byte[], List, Options)}, running {@code afterSection} after each section (for tests). */
    static List<LayerBreakdown> write(Path file, byte[] architecture, List<Tensor> tensors, Options options,
            Runnable afterSection) throws IOException {
        check(file, architecture, tensors, options);
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        Path tmp = dir.resolve("." + target.getFileName() + "."
                + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
        List<LayerBreakdown> rows = new ArrayList<>();
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
                header.put(MAGIC).putShort((short) FORMAT_VERSION).putShort((short) 0).putInt(tensors.size());
                CRC32C crc = new CRC32C();
                crc.update(header.array(), 0, 12);
                header.putInt((int) crc.getValue()).flip();
                long size = writeFully(ch, header);
                afterSection.run();
                size += writeSection(ch, architecture);
                afterSection.run();
                for (Tensor t : tensors) {
                    TensorCodec.Encoded e = TensorCodec.encode(t, options.indexBitsFor(t.name()), options.rawFor(t));
                    size += writeSection(ch, e.payload());
                    if (size > MAX_FILE_BYTES) {
                        throw new IllegalArgumentException("the packed file would exceed " + MAX_FILE_BYTES
                                + " bytes, the largest this format reads; store the model in several files");
                    }
                    rows.add(e.breakdown());
                    afterSection.run();
                }
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (Throwable e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true); // make the rename durable; not possible on every platform
        } catch (IOException ignored) {
            // the data is already safe in the file; only the rename may be lost on power failure
        }
        return List.copyOf(rows);
    }

    private static void check(Path file, byte[] architecture, List<Tensor> tensors, Options options) {
        if (file == null || architecture == null || tensors == null || options == null) {
            throw new IllegalArgumentException("file, architecture, tensors and options must not be null;"
                    + " pass new byte[0] for no architecture and Options.defaults() for the defaults");
        }
        if (tensors.isEmpty()) {
            throw new IllegalArgumentException("tensors is empty; a packed file holds at least one tensor");
        }
        if (architecture.length > MAX_FILE_BYTES - HEADER_BYTES - 8) {
            throw new IllegalArgumentException("architecture has " + architecture.length + " bytes, too many for one file");
        }
        Set<String> names = new HashSet<>();
        for (Tensor t : tensors) {
            if (t == null) {
                throw new IllegalArgumentException("tensors contains null");
            }
            if (t.name().getBytes(StandardCharsets.UTF_8).length > 0xFFFF) {
                throw new IllegalArgumentException("tensor name '" + t.name().substring(0, 40)
                        + "…' is longer than 65,535 bytes of UTF-8; shorten it");
            }
            if (!names.add(t.name())) {
                throw new IllegalArgumentException("tensor name '" + t.name() + "' appears twice; names must be unique");
            }
        }
        for (String n : options.named()) {
            if (!names.contains(n)) {
                throw new IllegalArgumentException("options name tensor '" + n + "', which is not among the tensors "
                        + names + "; fix the name");
            }
        }
    }

    private static long writeSection(FileChannel ch, byte[] payload) throws IOException {
        ByteBuffer length = ByteBuffer.allocate(4).putInt(payload.length).flip();
        CRC32C crc = new CRC32C();
        crc.update(length.array());
        crc.update(payload);
        ByteBuffer sum = ByteBuffer.allocate(4).putInt((int) crc.getValue()).flip();
        return writeFully(ch, length) + writeFully(ch, ByteBuffer.wrap(payload)) + writeFully(ch, sum);
    }

    private static long writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        long n = b.remaining();
        while (b.hasRemaining()) {
            ch.write(b);
        }
        return n;
    }

    /**
     * Reads a packed file and verifies all of it: magic, version, every checksum, every length and
     * the coded streams. Values come back bit for bit as written, except that zeros (+0.0 and −0.0
     * alike) read as +0.0.
     *
     * @param file the packed file
     * @return the architecture bytes and the tensors
     * @throws PackedFileException if the file is not a valid packed file (the message names the section and offset)
     * @throws IOException if the file cannot be read
     */
    public static Contents read(Path file) throws IOException {
        List<TensorCodec.Decoded> decoded = new ArrayList<>();
        byte[] architecture = parse(file, decoded);
        List<Tensor> tensors = new ArrayList<>(decoded.size());
        for (TensorCodec.Decoded d : decoded) {
            tensors.add(d.tensor());
        }
        return new Contents(architecture, List.copyOf(tensors));
    }

    /**
     * The breakdown of an existing packed file, equal to what {@link #write} returned. The file is
     * verified and decoded as by {@link #read}.
     *
     * @param file the packed file
     * @return one row per tensor
     * @throws IOException as for {@link #read}
     */
    public static List<LayerBreakdown> breakdown(Path file) throws IOException {
        List<TensorCodec.Decoded> decoded = new ArrayList<>();
        parse(file, decoded);
        List<LayerBreakdown> rows = new ArrayList<>(decoded.size());
        for (TensorCodec.Decoded d : decoded) {
            rows.add(d.breakdown());
        }
        return List.copyOf(rows);
    }

    private static byte[] parse(Path file, List<TensorCodec.Decoded> out) throws IOException {
        String name = file.toString();
        long size = Files.size(file);
        if (size > MAX_FILE_BYTES) {
            throw new PackedFileException(name, "header", 0, "the file has " + size + " bytes, more than the "
                    + MAX_FILE_BYTES + " a packed file may have", "this is not a packed file, or a damaged one");
        }
        return parse(Files.readAllBytes(file), name, out);
    }

    /** Parses a whole file held in memory; package-private for the fuzz tests. */
    static byte[] parse(byte[] buf, String name, List<TensorCodec.Decoded> out) throws PackedFileException {
        Cursor c = new Cursor(buf, name);
        int n = buf.length;
        for (int i = 0; i < MAGIC.length; i++) {
            if (i >= n) {
                throw c.fail(n, "the file ends after " + n + " bytes, inside the magic", FIX_TRUNCATED);
            }
            if (buf[i] != MAGIC[i]) {
                throw c.fail(0, "the file starts with " + hex(buf, 0, Math.min(n, 4))
                        + ", not the magic 'CMPR'; it is not a Compresso packed file",
                        "pass a file written by PackedFile.write (dev.compresso.store)");
            }
        }
        if (n < 6) {
            throw c.fail(n, "the file ends after " + n + " bytes, inside the format version", FIX_TRUNCATED);
        }
        int version = ((buf[4] & 0xFF) << 8) | (buf[5] & 0xFF);
        if (version > FORMAT_VERSION) {
            throw c.fail(4, "written by a newer Compresso (format " + version + "); this one reads up to "
                    + FORMAT_VERSION, "upgrade Compresso to read it");
        }
        if (version < 1) {
            throw c.fail(4, "format version 0 does not exist", FIX_DAMAGED);
        }
        c.version = version;
        if (n < HEADER_BYTES) {
            throw c.fail(n, "the file ends after " + n + " bytes, inside the " + HEADER_BYTES + "-byte header",
                    FIX_TRUNCATED);
        }
        CRC32C crc = new CRC32C();
        crc.update(buf, 0, 12);
        long stored = Cursor.u32At(buf, 12);
        if (stored != crc.getValue()) {
            throw c.fail(0, "header checksum mismatch (stored " + hex32(stored) + ", computed "
                    + hex32(crc.getValue()) + ")", FIX_DAMAGED);
        }
        int flags = ((buf[6] & 0xFF) << 8) | (buf[7] & 0xFF);
        if (flags != 0) {
            throw c.fail(6, "unknown flags 0x" + Integer.toHexString(flags) + " (format " + FORMAT_VERSION
                    + " defines none)", "upgrade Compresso, or re-pack the model if the file is damaged");
        }
        long count = Cursor.u32At(buf, 8);
        if (count < 1 || count > (n - HEADER_BYTES - 8) / 8) {
            throw c.fail(8, "the header announces " + count + " tensor sections; a file of " + n
                    + " bytes has room for 1.." + Math.max(0, (n - HEADER_BYTES - 8) / 8), FIX_TRUNCATED);
        }
        c.pos = HEADER_BYTES;
        c.section = "architecture section";
        int architectureEnd = frame(c, n);
        byte[] architecture = java.util.Arrays.copyOfRange(buf, c.pos, c.end);
        c.pos = architectureEnd;
        for (int i = 0; i < count; i++) {
            c.section = "tensor section " + (i + 1) + " of " + count;
            c.end = n;
            int sectionEnd = frame(c, n);
            out.add(TensorCodec.decode(c));
            c.pos = sectionEnd;
            c.end = n;
        }
        if (c.pos != n) {
            c.section = "end of file";
            throw c.fail(c.pos, (n - c.pos) + " unexpected bytes after the last section", FIX_DAMAGED);
        }
        return architecture;
    }

    /**
     * Checks the framed section at c.pos (length, payload, CRC32C over length and payload) and
     * narrows the cursor to the payload; returns the offset just after the section.
     */
    private static int frame(Cursor c, int n) throws PackedFileException {
        int at = c.pos;
        if (n - at < 4) {
            throw c.fail(at, "the file ends " + (at == n ? "where the section should start" : "inside the section's length"),
                    FIX_TRUNCATED);
        }
        long length = Cursor.u32At(c.buf, at);
        if (length > n - at - 8L) {
            throw c.fail(at, "the section claims " + length + " bytes plus 8 of framing but only " + (n - at)
                    + " remain in the file", FIX_TRUNCATED + " (or its length field is damaged)");
        }
        int payload = at + 4;
        int sumAt = payload + (int) length;
        CRC32C crc = new CRC32C();
        crc.update(c.buf, at, 4 + (int) length);
        long stored = Cursor.u32At(c.buf, sumAt);
        if (stored != crc.getValue()) {
            throw c.fail(at, "checksum mismatch (stored " + hex32(stored) + ", computed " + hex32(crc.getValue())
                    + ") over the " + length + "-byte section", FIX_DAMAGED);
        }
        c.pos = payload;
        c.end = sumAt;
        return sumAt + 4;
    }

    private static String hex32(long v) {
        return String.format("0x%08x", v);
    }

    private static String hex(byte[] b, int from, int to) {
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < to; i++) {
            sb.append(String.format("%02x", b[i] & 0xFF));
        }
        return sb.length() == 0 ? "nothing" : "0x" + sb;
    }

    /**
     * How tensors are stored: the width b of the relative indices, per file or per tensor, and which
     * tensors keep raw fp32 non-zeros instead of a codebook. By default each tensor gets the width
     * and mode that give the fewest bytes; {@code indexBits(5)} reproduces Deep Compression's fully
     * connected layers ({@code 8} its convolutions). Immutable; each method returns a changed copy.
     */
    public static final class Options {
        private static final Options DEFAULTS = new Options(0, Map.of(), Set.of());

        private final int indexBits;
        private final Map<String, Integer> perTensor;
        private final Set<String> raw;

        private Options(int indexBits, Map<String, Integer> perTensor, Set<String> raw) {
            this.indexBits = indexBits;
            this.perTensor = perTensor;
            this.raw = raw;
        }

        /**
         * For each tensor, the index width (1..16) and mode (codebook or raw) that give the fewest
         * bytes. Unshared biases, whose values are all distinct, come out raw.
         */
        public static Options defaults() {
            return DEFAULTS;
        }

        /**
         * The relative index width for every tensor without its own.
         *
         * @param bits in 1..16
         * @return the changed options
         */
        public Options indexBits(int bits) {
            return new Options(checkBits(bits, ""), perTensor, raw);
        }

        /**
         * The relative index width for one tensor, e.g. 8 for a convolution's weight.
         *
         * @param tensor the tensor's name
         * @param bits in 1..16
         * @return the changed options
         */
        public Options indexBits(String tensor, int bits) {
            Map<String, Integer> m = new HashMap<>(perTensor);
            m.put(tensor, checkBits(bits, " for tensor '" + tensor + "'"));
            return new Options(indexBits, Map.copyOf(m), raw);
        }

        /**
         * Stores these tensors' non-zeros as raw fp32 instead of codebook codes.
         *
         * @param tensors tensor names
         * @return the changed options
         */
        public Options raw(String... tensors) {
            Set<String> s = new LinkedHashSet<>(raw);
            s.addAll(List.of(tensors));
            return new Options(indexBits, perTensor, Set.copyOf(s));
        }

        private static int checkBits(int bits, String where) {
            if (bits < 1 || bits > 16) {
                throw new IllegalArgumentException("indexBits=" + bits + where
                        + " must be in 1..16 (Deep Compression used 5 for fully connected layers, 8 for convolutions)");
            }
            return bits;
        }

        int indexBitsFor(String tensor) {
            return perTensor.getOrDefault(tensor, indexBits);
        }

        boolean rawFor(Tensor t) {
            return raw.contains(t.name());
        }

        Set<String> named() {
            Set<String> s = new HashSet<>(perTensor.keySet());
            s.addAll(raw);
            return s;
        }

        @Override
        public String toString() {
            return "Options[indexBits=" + (indexBits == 0 ? "best" : indexBits) + ", perTensor=" + perTensor + ", raw=" + raw + "]";
        }
    }
}
