package dev.compresso.store;

import java.util.Arrays;

/** Appends bit fields, most significant bit first, to a growable byte buffer. */
final class BitWriter {
    private byte[] buf = new byte[64];
    private int size;
    private long acc;
    private int pending;
    private long bits;

    /** Appends the low {@code length} bits of {@code value}, length 0..32. */
    void write(int value, int length) {
        if (length == 0) {
            return;
        }
        acc = (acc << length) | (value & ((1L << length) - 1));
        pending += length;
        bits += length;
        while (pending >= 8) {
            pending -= 8;
            put((byte) (acc >>> pending));
        }
        acc &= (1L << pending) - 1;
    }

    /** Bits written so far, without padding. */
    long bits() {
        return bits;
    }

    /** The bytes written, the last one padded with zero bits. */
    byte[] toByteArray() {
        byte[] out = Arrays.copyOf(buf, size + (pending > 0 ? 1 : 0));
        if (pending > 0) {
            out[size] = (byte) (acc << (8 - pending));
        }
        return out;
    }

    private void put(byte b) {
        if (size == buf.length) {
            buf = Arrays.copyOf(buf, buf.length * 2);
        }
        buf[size++] = b;
    }
}
