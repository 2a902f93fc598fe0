package dev.compresso.store;

import java.io.IOException;

/**
 * A packed file that cannot be read: wrong magic, a newer format version, a truncated file, a
 * checksum mismatch, or contents that break the format's rules. The message names the file, the
 * section, the byte offset, the problem and the fix; {@link #section()} and {@link #offset()}
 * give the first two to code.
 */
public final class PackedFileException extends IOException {

    private static final long serialVersionUID = 1L;

    private final String section;
    private final long offset;

    PackedFileException(String file, String section, long offset, String problem, String fix) {
        super(file + ": " + section + " at byte " + offset + ": " + problem + "; " + fix);
        this.section = section;
        this.offset = offset;
    }

    /** The section where reading failed, e.g. {@code "header"} or {@code "tensor section 2 of 6 ('fc1.weight')"}. */
    public String section() {
        return section;
    }

    /** Byte offset from the start of the file where the problem was found. */
    public long offset() {
        return offset;
    }
}
