package dev.compresso.prune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class MasksTest {

    @Test
    void prunesTheSmallestMagnitudesExactly() {
        float[] w = {0.5f, -0.1f, 0.3f, -0.9f, 0.05f, 0.2f};
        assertArrayEquals(new float[] {1, 0, 1, 1, 0, 0}, Masks.smallest(w, 3));
        assertArrayEquals(new float[] {1, 1, 1, 1, 1, 1}, Masks.smallest(w, 0));
        assertArrayEquals(new float[] {0, 0, 0, 0, 0, 0}, Masks.smallest(w, 6));
    }

    @Test
    void tiesAreBrokenByPositionSoTheCountIsExact() {
        float[] w = {0, 0, 0, 0, 1, 1};
        float[] m = Masks.smallest(w, 2);
        assertArrayEquals(new float[] {0, 0, 1, 1, 1, 1}, m);
        float[] same = new float[100];
        java.util.Arrays.fill(same, 0.3f);
        assertEquals(37, Masks.zeros(Masks.smallest(same, 37)));
    }

    @Test
    void globalUsesOneThresholdAcrossArrays() {
        float[][] w = {{0.1f, 0.2f, 0.3f}, {5f, 6f, 0.15f}};
        float[][] m = Masks.smallest(w, 3);
        assertArrayEquals(new float[] {0, 0, 1}, m[0]);
        assertArrayEquals(new float[] {1, 1, 0}, m[1]);
    }

    @Test
    void randomWeightsGetTheRequestedSparsity() {
        Random r = new Random(1);
        float[] w = new float[10_000];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian();
        }
        float[] m = Masks.smallest(w, 9200);
        assertEquals(9200, Masks.zeros(m));
        float maxPruned = 0;
        float minKept = Float.MAX_VALUE;
        for (int i = 0; i < w.length; i++) {
            if (m[i] == 0) {
                maxPruned = Math.max(maxPruned, Math.abs(w[i]));
            } else {
                minKept = Math.min(minKept, Math.abs(w[i]));
            }
        }
        assertTrue(maxPruned <= minKept);
    }

    @Test
    void countOutOfRangeIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Masks.smallest(new float[3], 4));
        assertTrue(e.getMessage().contains("[0, 3]"), e.getMessage());
    }

    @Test
    void rowNormsAndLargest() {
        float[] w = {1, -1, 0, 3, 0, 0, 0.5f, 0.5f, 0.5f};
        assertArrayEquals(new double[] {2, 3, 1.5}, Masks.rowNorms(w, 3, true), 1e-9);
        assertArrayEquals(new double[] {Math.sqrt(2), 3, Math.sqrt(0.75)}, Masks.rowNorms(w, 3, false), 1e-6);
        assertArrayEquals(new int[] {0, 1}, Masks.largest(new double[] {2, 3, 1.5}, 2));
        assertArrayEquals(new int[] {0, 2}, Masks.largest(new double[] {5, 1, 5}, 2));
    }
}
