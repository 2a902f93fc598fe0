package dev.compresso.store;

import java.util.Arrays;

/**
 * Canonical Huffman coding with a length limit. Code lengths come from the package-merge algorithm
 * (Larmore and Hirschberg 1990), which gives the optimal prefix code whose longest code is at most
 * {@code maxLength}; when the limit does not bind this is an ordinary Huffman code. Codes are
 * assigned canonically (as in DEFLATE, RFC 1951 §3.2.2), so a table is just the length per symbol.
 */
final class Huffman {

    /** Longest code this format allows. */
    static final int MAX_LENGTH = 24;

    private Huffman() {}

    /**
     * Optimal code lengths for the given symbol frequencies, none longer than {@code maxLength}.
     * Unused symbols (frequency 0) get length 0; a lone used symbol gets length 1.
     */
    static int[] codeLengths(long[] freq, int maxLength) {
        int[] lengths = new int[freq.length];
        int n = 0;
        for (long f : freq) {
            if (f < 0 || f >= (1L << 46)) {
                throw new IllegalArgumentException("frequency " + f + " must be in 0..2^46-1");
            }
            if (f > 0) {
                n++;
            }
        }
        if (n == 0) {
            return lengths;
        }
        if (n > (1L << maxLength)) {
            throw new IllegalArgumentException(n + " symbols do not fit in codes of at most " + maxLength + " bits");
        }
        // Leaves sorted by (frequency, symbol); frequencies stay below 2^46, symbols below 2^17.
        long[] keyed = new long[n];
        int k = 0;
        for (int s = 0; s < freq.length; s++) {
            if (freq[s] > 0) {
                keyed[k++] = (freq[s] << 17) | s;
            }
        }
        Arrays.sort(keyed);
        int[] sym = new int[n];
        long[] w = new long[n];
        for (int i = 0; i < n; i++) {
            sym[i] = (int) (keyed[i] & ((1 << 17) - 1));
            w[i] = keyed[i] >>> 17;
        }
        if (n == 1) {
            lengths[sym[0]] = 1;
            return lengths;
        }
        // Package-merge: level 0 is the leaves; level t merges the leaves with the pairs ("packages")
        // of level t-1. Only whether each item is a leaf is kept, which is enough to count lengths.
        int levels = Math.min(maxLength, n - 1);
        boolean[][] leaf = new boolean[levels][];
        int[] size = new int[levels];
        size[0] = n;
        long[] prev = w;
        for (int t = 1; t < levels; t++) {
            int packages = size[t - 1] / 2;
            long[] cur = new long[n + packages];
            boolean[] isLeaf = new boolean[n + packages];
            int i = 0;
            int j = 0;
            int o = 0;
            while (i < n || j < packages) {
                if (j >= packages || (i < n && w[i] <= prev[2 * j] + prev[2 * j + 1])) {
                    cur[o] = w[i++];
                    isLeaf[o++] = true;
                } else {
                    cur[o++] = prev[2 * j] + prev[2 * j + 1];
                    j++;
                }
            }
            leaf[t] = isLeaf;
            size[t] = o;
            prev = cur;
        }
        // Select the first 2n-2 items of the last level; walk down, counting leaf appearances.
        int m = 2 * n - 2;
        for (int t = levels - 1; t >= 1; t--) {
            int leaves = 0;
            for (int i = 0; i < m; i++) {
                if (leaf[t][i]) {
                    leaves++;
                }
            }
            for (int i = 0; i < leaves; i++) {
                lengths[sym[i]]++;
            }
            m = 2 * (m - leaves);
        }
        for (int i = 0; i < m; i++) {
            lengths[sym[i]]++;
        }
        return lengths;
    }

    /** Canonical code of each symbol (0 for unused symbols), to be written most significant bit first. */
    static int[] canonicalCodes(int[] lengths) {
        int[] count = new int[MAX_LENGTH + 2];
        for (int l : lengths) {
            count[l]++;
        }
        count[0] = 0;
        int[] next = new int[MAX_LENGTH + 2];
        int code = 0;
        for (int l = 1; l <= MAX_LENGTH; l++) {
            code = (code + count[l - 1]) << 1;
            next[l] = code;
        }
        int[] codes = new int[lengths.length];
        for (int s = 0; s < lengths.length; s++) {
            if (lengths[s] > 0) {
                codes[s] = next[lengths[s]]++;
            }
        }
        return codes;
    }

    /** Total bits of the coded stream: sum of frequency times length. */
    static long cost(long[] freq, int[] lengths) {
        long bits = 0;
        for (int s = 0; s < freq.length; s++) {
            bits += freq[s] * lengths[s];
        }
        return bits;
    }

    /**
     * Why these lengths cannot be a prefix code, or null if they can: each length in 0..MAX_LENGTH,
     * at least one symbol used, and the Kraft sum at most 1.
     */
    static String check(int[] lengths) {
        long kraft = 0;
        int used = 0;
        for (int s = 0; s < lengths.length; s++) {
            int l = lengths[s];
            if (l < 0 || l > MAX_LENGTH) {
                return "code length " + l + " of symbol " + s + " is outside 0.." + MAX_LENGTH;
            }
            if (l > 0) {
                used++;
                kraft += 1L << (MAX_LENGTH - l);
            }
        }
        if (used == 0) {
            return "the code table has no symbols";
        }
        if (kraft > (1L << MAX_LENGTH)) {
            return "the code lengths are over-subscribed (Kraft sum " + (double) kraft / (1L << MAX_LENGTH) + " > 1)";
        }
        return null;
    }

    /** Decodes canonical codes bit by bit from a byte array, most significant bit first. */
    static final class Decoder {
        /** Returned by {@link #next} when the stream ends inside a code. */
        static final int END = -1;
        /** Returned by {@link #next} when the bits match no code (possible only for incomplete codes). */
        static final int INVALID = -2;

        private final int[] firstCode = new int[MAX_LENGTH + 1];
        private final int[] count = new int[MAX_LENGTH + 1];
        private final int[] offset = new int[MAX_LENGTH + 1];
        private final int[] symbols;
        private final int maxLength;
        private final byte[] buf;
        private final long limit;
        private long pos;

        /** A decoder for lengths that passed {@link #check}, over {@code bytes} bytes of buf at start. */
        Decoder(int[] lengths, byte[] buf, int start, int bytes) {
            int used = 0;
            int max = 0;
            for (int l : lengths) {
                if (l > 0) {
                    count[l]++;
                    used++;
                    max = Math.max(max, l);
                }
            }
            maxLength = max;
            symbols = new int[used];
            int code = 0;
            int idx = 0;
            for (int l = 1; l <= MAX_LENGTH; l++) {
                code = (code + count[l - 1]) << 1;
                firstCode[l] = code;
                offset[l] = idx;
                idx += count[l];
            }
            int[] fill = offset.clone();
            for (int s = 0; s < lengths.length; s++) {
                if (lengths[s] > 0) {
                    symbols[fill[lengths[s]]++] = s;
                }
            }
            this.buf = buf;
            this.pos = (long) start * 8;
            this.limit = ((long) start + bytes) * 8;
        }

        /** The next symbol, or {@link #END} or {@link #INVALID}. */
        int next() {
            int code = 0;
            for (int l = 1; l <= maxLength; l++) {
                if (pos >= limit) {
                    return END;
                }
                int bit = (buf[(int) (pos >>> 3)] >>> (7 - (int) (pos & 7))) & 1;
                pos++;
                code = (code << 1) | bit;
                int i = code - firstCode[l];
                if (i >= 0 && i < count[l]) {
                    return symbols[offset[l] + i];
                }
            }
            return INVALID;
        }

        /** Bits consumed so far, counted from the stream start. */
        long bitsRead(int start) {
            return pos - (long) start * 8;
        }

        /** Whether the bits after the current position, up to the stream end, are all zero. */
        boolean restIsZero() {
            for (long p = pos; p < limit; p++) {
                if (((buf[(int) (p >>> 3)] >>> (7 - (int) (p & 7))) & 1) != 0) {
                    return false;
                }
            }
            return true;
        }
    }
}
