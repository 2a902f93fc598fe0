package dev.compresso.share;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class KMeansTest {

    @Test
    void findsObviousClusters() {
        float[] v = {1.0f, 1.1f, 0.9f, 5.0f, 5.2f, 4.8f, -3f, -3.1f};
        for (KMeans.Init init : KMeans.Init.values()) {
            KMeans.Result r = KMeans.cluster(v, 3, init, 1, 50);
            assertArrayEquals(new float[] {-3.05f, 1.0f, 5.0f}, r.centroids(), 1e-5f, init.name());
            assertArrayEquals(new int[] {1, 1, 1, 2, 2, 2, 0, 0}, r.assignments(), init.name());
        }
    }

    @Test
    void everyValueGoesToItsNearestCentroid() {
        Random random = new Random(3);
        float[] v = new float[5000];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) random.nextGaussian();
        }
        KMeans.Result r = KMeans.cluster(v, 32, KMeans.Init.LINEAR, 1, 100);
        float[] c = r.centroids();
        for (int j = 1; j < c.length; j++) {
            assertTrue(c[j] >= c[j - 1], "sorted centroids");
        }
        for (int i = 0; i < v.length; i++) {
            float d = Math.abs(v[i] - c[r.assignments()[i]]);
            for (float cj : c) {
                assertTrue(d <= Math.abs(v[i] - cj) + 1e-6f, "value " + v[i] + " not at its nearest centroid");
            }
        }
        float[] q = r.quantized();
        double err = 0;
        for (int i = 0; i < v.length; i++) {
            err += (v[i] - q[i]) * (v[i] - q[i]);
        }
        assertTrue(err / v.length < 0.01, "32 centroids fit a unit Gaussian closely: " + err / v.length);
    }

    @Test
    void linearInitSpansTheRangeDensityFollowsTheMass() {
        float[] sorted = {0, 0, 0, 0, 0, 0, 0, 1, 2, 10};
        double[] lin = KMeans.initial(sorted, 3, KMeans.Init.LINEAR, new Random(1));
        assertArrayEquals(new double[] {0, 5, 10}, lin, 1e-12);
        double[] den = KMeans.initial(sorted, 2, KMeans.Init.DENSITY, new Random(1));
        assertArrayEquals(new double[] {0, 1}, den, 1e-12); // the 25 % and 75 % quantiles
    }

    @Test
    void badKIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KMeans.cluster(new float[] {1, 2}, 3, KMeans.Init.LINEAR, 1, 10));
        assertTrue(e.getMessage().contains("k=3") && e.getMessage().contains("[1, 2]"), e.getMessage());
        assertEquals(KMeans.Init.KMEANS_PLUS_PLUS, KMeans.Init.parse("kmeans++"));
        assertThrows(IllegalArgumentException.class, () -> KMeans.Init.parse("spectral"));
    }

    @Test
    void sharingSetsMembersToTheirMeanAndKeepsZeros() {
        float[] after = {1.1f, 0.9f, 7f, 0.3f, 3f};
        int[] assign = {0, 0, -1, 1, 1};
        float[] out = CodebookConstraint.share(after, assign, 2);
        assertArrayEquals(new float[] {1.0f, 1.0f, 0f, 1.65f, 1.65f}, out, 1e-6f);
        assertEquals(0, Float.floatToRawIntBits(out[2]), "pruned weights are +0.0");
    }
}
