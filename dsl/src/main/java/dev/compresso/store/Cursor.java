package dev.compresso.store;

/**
 * Reads big-endian fields from an in-memory file, checking every read against a bound and turning
 * every problem into a {@link PackedFileException} that names the file, section and offset.
 */
final class Cursor {

    /** Fix for a section whose checksum matched but whose contents break the format's rules. */
    static final String FIX_INVALID = "the checksum matches, so the writer broke the format rules;"
            + " re-pack the model with PackedFile.write";

    final byte[] buf;
    final String file;
    String section;
    int pos;
    int end;
    /** The file's format version, once the header is read. */
    int version;

    Cursor(byte[] buf, String file) {
        this.buf = buf;
        this.file = file;
        this.end = buf.length;
        this.section = "header";
    }

    PackedFileException fail(long at, String problem, String fix) {
        return new PackedFileException(file, section, at, problem, fix);
    }

    /** An error for a field that breaks the format's rules, at the field's offset. */
    PackedFileException invalid(long at, String problem) {
        return fail(at, problem, FIX_INVALID);
    }

    int remaining() {
        return end - pos;
    }

    void need(long bytes, String what) throws PackedFileException {
        if (bytes < 0 || bytes > end - pos) {
            throw invalid(pos, what + " needs " + bytes + " bytes but only " + (end - pos)
                    + " remain in the section");
        }
    }

    int u8(String what) throws PackedFileException {
        need(1, what);
        return buf[pos++] & 0xFF;
    }

    int u16(String what) throws PackedFileException {
        need(2, what);
        int v = ((buf[pos] & 0xFF) << 8) | (buf[pos + 1] & 0xFF);
        pos += 2;
        return v;
    }

    long u32(String what) throws PackedFileException {
        need(4, what);
        long v = u32At(buf, pos);
        pos += 4;
        return v;
    }

    long u64(String what) throws PackedFileException {
        need(8, what);
        long v = (u32At(buf, pos) << 32) | u32At(buf, pos + 4);
        pos += 8;
        return v;
    }

    static long u32At(byte[] b, int at) {
        return ((long) (b[at] & 0xFF) << 24) | ((b[at + 1] & 0xFF) << 16) | ((b[at + 2] & 0xFF) << 8) | (b[at + 3] & 0xFF);
    }
}
