package dev.compresso.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.PriorityQueue;
import java.util.Random;
import org.junit.jupiter.api.Test;

class HuffmanTest {

    /** Encodes the symbols with canonical codes and decodes them back; returns the stream bits. */
    private static long roundTrip(int[] symbols, long[] freq, int maxLength) {
        int[] lengths = Huffman.codeLengths(freq, maxLength);
        assertNull(Huffman.check(lengths));
        for (int s = 0; s < freq.length; s++) {
            assertEquals(freq[s] > 0, lengths[s] > 0, "symbol " + s + " used iff it has a code");
            assertTrue(lengths[s] <= maxLength);
        }
        int[] codes = Huffman.canonicalCodes(lengths);
        BitWriter w = new BitWriter();
        for (int s : symbols) {
            w.write(codes[s], lengths[s]);
        }
        byte[] bytes = w.toByteArray();
        assertEquals(Huffman.cost(freq, lengths), w.bits());
        Huffman.Decoder d = new Huffman.Decoder(lengths, bytes, 0, bytes.length);
        for (int i = 0; i < symbols.length; i++) {
            assertEquals(symbols[i], d.next(), "symbol " + i);
        }
        assertTrue(d.restIsZero());
        assertEquals(w.bits(), d.bitsRead(0));
        return w.bits();
    }

    private static long[] histogram(int[] symbols, int alphabet) {
        long[] f = new long[alphabet];
        for (int s : symbols) {
            f[s]++;
        }
        return f;
    }

    /** Total cost of an unrestricted Huffman code, by the textbook merge of the two lightest trees. */
    private static long huffmanCost(long[] freq) {
        PriorityQueue<Long> q = new PriorityQueue<>();
        for (long f : freq) {
            if (f > 0) {
                q.add(f);
            }
        }
        if (q.size() == 1) {
            return q.peek();
        }
        long cost = 0;
        while (q.size() > 1) {
            long a = q.poll() + q.poll();
            cost += a;
            q.add(a);
        }
        return cost;
    }

    @Test
    void randomDistributionsRoundTripAndMatchHuffman() {
        Random r = new Random(1);
        for (int trial = 0; trial < 200; trial++) {
            int alphabet = 1 + r.nextInt(trial < 150 ? 70 : 5000);
            int n = 1 + r.nextInt(3000);
            double skew = r.nextDouble() * 3;
            int[] symbols = new int[n];
            for (int i = 0; i < n; i++) {
                symbols[i] = (int) Math.min(alphabet - 1, Math.floor(alphabet * Math.pow(r.nextDouble(), 1 + skew)));
            }
            long[] freq = histogram(symbols, alphabet);
            long bits = roundTrip(symbols, freq, Huffman.MAX_LENGTH);
            assertEquals(huffmanCost(freq), bits, "trial " + trial + ": optimal when the limit does not bind");
            int used = 0;
            for (long f : freq) {
                used += f > 0 ? 1 : 0;
            }
            long fixed = (long) n * TensorCodec.symbolBits(Math.max(2, used));
            assertTrue(bits <= fixed, "Huffman " + bits + " ≤ fixed width " + fixed);
        }
    }

    @Test
    void singleSymbolGetsOneBit() {
        long[] freq = new long[40];
        freq[17] = 5;
        int[] lengths = Huffman.codeLengths(freq, Huffman.MAX_LENGTH);
        assertEquals(1, lengths[17]);
        assertEquals(5, roundTrip(new int[] {17, 17, 17, 17, 17}, freq, Huffman.MAX_LENGTH));
    }

    @Test
    void equalFrequenciesGiveFixedWidth() {
        int[] symbols = new int[64 * 10];
        for (int i = 0; i < symbols.length; i++) {
            symbols[i] = i % 64;
        }
        long[] freq = histogram(symbols, 64);
        int[] lengths = Huffman.codeLengths(freq, Huffman.MAX_LENGTH);
        for (int l : lengths) {
            assertEquals(6, l);
        }
        roundTrip(symbols, freq, Huffman.MAX_LENGTH);
        // 5 equal symbols: lengths 2,2,2,3,3
        int[] five = Huffman.codeLengths(new long[] {7, 7, 7, 7, 7}, 24);
        assertEquals(12, java.util.Arrays.stream(five).sum());
    }

    @Test
    void skewedFrequenciesRespectTheLimit() {
        // Fibonacci frequencies make an unrestricted Huffman tree as deep as the alphabet.
        int alphabet = 40;
        long[] freq = new long[alphabet];
        freq[0] = 1;
        freq[1] = 1;
        for (int i = 2; i < alphabet; i++) {
            freq[i] = freq[i - 1] + freq[i - 2];
        }
        int[] unlimited = Huffman.codeLengths(freq, 60);
        assertEquals(alphabet - 1, java.util.Arrays.stream(unlimited).max().getAsInt());
        int[] limited = Huffman.codeLengths(freq, Huffman.MAX_LENGTH);
        assertEquals(Huffman.MAX_LENGTH, java.util.Arrays.stream(limited).max().getAsInt());
        long kraft = 0;
        for (int l : limited) {
            kraft += 1L << (Huffman.MAX_LENGTH - l);
        }
        assertEquals(1L << Huffman.MAX_LENGTH, kraft, "the limited code is complete");
        // a short stream using every symbol round-trips
        int[] symbols = new int[alphabet * 3];
        for (int i = 0; i < symbols.length; i++) {
            symbols[i] = (i * 7) % alphabet;
        }
        int[] lengths = Huffman.codeLengths(freq, Huffman.MAX_LENGTH);
        int[] codes = Huffman.canonicalCodes(lengths);
        BitWriter w = new BitWriter();
        for (int s : symbols) {
            w.write(codes[s], lengths[s]);
        }
        byte[] b = w.toByteArray();
        Huffman.Decoder d = new Huffman.Decoder(lengths, b, 0, b.length);
        for (int s : symbols) {
            assertEquals(s, d.next());
        }
    }

    @Test
    void lengthLimitedCodeIsOptimalAgainstBruteForce() {
        Random r = new Random(7);
        for (int trial = 0; trial < 40; trial++) {
            int n = 3 + r.nextInt(4);
            int limit = 3;
            long[] freq = new long[n];
            for (int i = 0; i < n; i++) {
                freq[i] = 1 + (long) Math.pow(2, r.nextInt(12));
            }
            long best = bruteForce(freq, limit, new int[n], 0);
            int[] lengths = Huffman.codeLengths(freq, limit);
            assertNull(Huffman.check(lengths));
            assertEquals(best, Huffman.cost(freq, lengths), "trial " + trial);
        }
    }

    private static long bruteForce(long[] freq, int limit, int[] lengths, int i) {
        if (i == freq.length) {
            double kraft = 0;
            for (int l : lengths) {
                kraft += Math.pow(2, -l);
            }
            return kraft <= 1 ? Huffman.cost(freq, lengths) : Long.MAX_VALUE;
        }
        long best = Long.MAX_VALUE;
        for (int l = 1; l <= limit; l++) {
            lengths[i] = l;
            best = Math.min(best, bruteForce(freq, limit, lengths, i + 1));
        }
        return best;
    }

    @Test
    void decoderReportsTheEndAndInvalidCodes() {
        int[] lengths = {1, 0, 0};
        byte[] b = {(byte) 0b0100_0000};
        Huffman.Decoder d = new Huffman.Decoder(lengths, b, 0, 1);
        assertEquals(0, d.next());
        assertEquals(Huffman.Decoder.INVALID, d.next(), "bit 1 is no code of an incomplete table");
        Huffman.Decoder e = new Huffman.Decoder(new int[] {1, 1}, new byte[0], 0, 0);
        assertEquals(Huffman.Decoder.END, e.next());
        assertTrue(Huffman.check(new int[] {1, 1, 1}).contains("over-subscribed"));
        assertTrue(Huffman.check(new int[] {0, 0}).contains("no symbols"));
        assertTrue(Huffman.check(new int[] {25}).contains("outside"));
    }

    @Test
    void canonicalCodesAreOrderedByLengthThenSymbol() {
        int[] lengths = {3, 3, 3, 3, 3, 2, 4, 4};
        int[] codes = Huffman.canonicalCodes(lengths);
        assertArrayEquals(new int[] {2, 3, 4, 5, 6, 0, 14, 15}, codes);
    }
}
