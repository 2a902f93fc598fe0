package dev.compresso.lowrank;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class SvdTest {

    @Test
    void knownSingularValues() {
        // [[3, 0], [4, 5]] has singular values √45 and √5
        Svd s = Svd.of(new float[] {3, 0, 4, 5}, 2, 2);
        assertArrayEquals(new double[] {Math.sqrt(45), Math.sqrt(5)}, s.values(), 1e-9);
        // a diagonal matrix, out of order: values sorted, vectors are the axes
        Svd d = Svd.of(new float[] {1, 0, 0, 0, 3, 0}, 2, 3);
        assertArrayEquals(new double[] {3, 1}, d.values(), 1e-12);
        assertEquals(1, Math.abs(d.right(0)[1]), 1e-12);
        assertEquals(1, Math.abs(d.left(0)[1]), 1e-12);
    }

    @Test
    void rankOneMatrixIsReproducedByRankOne() {
        float[] u = {1, 2, 3};
        float[] v = {4, -1, 0, 2};
        float[] w = new float[12];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 4; j++) {
                w[i * 4 + j] = u[i] * v[j];
            }
        }
        Svd s = Svd.of(w, 3, 4);
        assertEquals(Math.sqrt(14) * Math.sqrt(21), s.values()[0], 1e-9);
        assertEquals(0, s.values()[1], 1e-6);
        assertArrayEquals(w, product(s.factors(1), 3, 4, 1), 1e-5f);
        assertEquals(1, s.rankForEnergy(0.999));
    }

    @Test
    void fullRankReconstructsTallAndWide() {
        Random rnd = new Random(1);
        for (int[] dims : new int[][] {{7, 5}, {5, 7}, {6, 6}}) {
            float[] w = new float[dims[0] * dims[1]];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) rnd.nextGaussian();
            }
            Svd s = Svd.of(w, dims[0], dims[1]);
            int k = Math.min(dims[0], dims[1]);
            assertArrayEquals(w, product(s.factors(k), dims[0], dims[1], k), 1e-4f);
            double[] v = s.values();
            for (int i = 1; i < v.length; i++) {
                assertTrue(v[i - 1] >= v[i]);
            }
            // orthonormal right vectors
            for (int a = 0; a < k; a++) {
                for (int b = 0; b < k; b++) {
                    double dot = 0;
                    for (int c = 0; c < dims[1]; c++) {
                        dot += s.right(a)[c] * s.right(b)[c];
                    }
                    assertEquals(a == b ? 1 : 0, dot, 1e-9);
                }
            }
        }
    }

    @Test
    void truncationErrorIsTheDroppedEnergy() {
        // Eckart–Young: ‖W − W_r‖_F² = Σ_{i>r} σ_i²
        Random rnd = new Random(2);
        float[] w = new float[8 * 10];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rnd.nextGaussian();
        }
        Svd s = Svd.of(w, 8, 10);
        float[] approx = product(s.factors(3), 8, 10, 3);
        double err = 0;
        for (int i = 0; i < w.length; i++) {
            err += (w[i] - approx[i]) * (w[i] - approx[i]);
        }
        double dropped = 0;
        for (int i = 3; i < 8; i++) {
            dropped += s.values()[i] * s.values()[i];
        }
        assertEquals(dropped, err, 1e-3 * dropped);
    }

    @Test
    void energyPicksSmallestRank() {
        double[] sigma = {3, 2, 1, 0}; // energies 9, 4, 1 of 14
        assertEquals(1, Svd.rankForEnergy(sigma, 9.0 / 14));
        assertEquals(2, Svd.rankForEnergy(sigma, 9.5 / 14));
        assertEquals(3, Svd.rankForEnergy(sigma, 1.0));
        assertEquals("energy=0.0 must be in (0, 1]: the share of Σσ² to keep, for example energy(0.9)",
                assertThrows(IllegalArgumentException.class, () -> Svd.rankForEnergy(sigma, 0)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Svd.rankForEnergy(sigma, 1.5));
    }

    @Test
    void layerSizedMatrixReconstructsAtFullRank() {
        Random rnd = new Random(3);
        float[] w = new float[300 * 784];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rnd.nextGaussian() * 0.05f;
        }
        Svd s = Svd.of(w, 300, 784);
        assertEquals(300, s.maxRank());
        float[] approx = product(s.factors(300), 300, 784, 300);
        double err = 0;
        for (int i = 0; i < w.length; i++) {
            err = Math.max(err, Math.abs(w[i] - approx[i]));
        }
        assertTrue(err < 1e-4, "max reconstruction error " + err);
    }

    @Test
    void badShapeAndRank() {
        assertThrows(IllegalArgumentException.class, () -> Svd.of(new float[5], 2, 3));
        Svd s = Svd.of(new float[] {1, 2, 3, 4}, 2, 2);
        assertEquals("rank=3 must be in [1, 2] for a 2×2 matrix",
                assertThrows(IllegalArgumentException.class, () -> s.factors(3)).getMessage());
    }

    /** second · first, each as {@link Svd#factors} returns them. */
    static float[] product(float[][] f, int rows, int cols, int r) {
        float[] out = new float[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                double s = 0;
                for (int k = 0; k < r; k++) {
                    s += (double) f[1][i * r + k] * f[0][k * cols + j];
                }
                out[i * cols + j] = (float) s;
            }
        }
        return out;
    }
}
