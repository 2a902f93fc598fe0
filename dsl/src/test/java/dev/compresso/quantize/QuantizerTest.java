package dev.compresso.quantize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class QuantizerTest {

    private static Set<Float> distinct(float[] v) {
        Set<Float> s = new HashSet<>();
        for (float x : v) {
            s.add(x);
        }
        return s;
    }

    private static float[] gaussian(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    @Test
    void symmetricUsesAtMostTwoToTheBitsMinusOneLevelsAndKeepsZero() {
        float[] v = gaussian(10_000, 1);
        v[17] = 0f;
        for (int bits = 2; bits <= 16; bits++) {
            float[] q = Quantizer.fakeQuantize(v, 1, bits, true, false);
            assertTrue(distinct(q).size() <= (1 << bits) - 1, "bits " + bits);
            assertEquals(0, Float.floatToRawIntBits(q[17]), "zero stays +0.0");
        }
        float[] q8 = Quantizer.fakeQuantize(v, 1, 8, true, false);
        float max = 0;
        for (float x : v) {
            max = Math.max(max, Math.abs(x));
        }
        float step = max / 127;
        for (int i = 0; i < v.length; i++) {
            assertTrue(Math.abs(v[i] - q8[i]) <= step / 2 + 1e-6, "rounding error at most half a step");
        }
    }

    @Test
    void asymmetricHasAZeroPointAndCoversTheRange() {
        float[] v = {0f, 0.5f, 1f, 2f, 3f};
        float[] q = Quantizer.fakeQuantize(v, 1, 2, false, false);
        // 4 levels over [0, 3]: 0, 1, 2, 3
        assertArrayEquals(new float[] {0f, 0f, 1f, 2f, 3f}, q, 1e-6f);
        float[] shifted = {-1f, 0f, 5f};
        float[] qs = Quantizer.fakeQuantize(shifted, 1, 8, false, false);
        assertEquals(0f, qs[1]);
        assertEquals(5f, qs[2], 5f / 255);
    }

    @Test
    void perChannelScalesEachRowOnItsOwn() {
        float[] v = {100f, -50f, 25f, 0.01f, -0.02f, 0.03f};
        float[] perTensor = Quantizer.fakeQuantize(v, 2, 4, true, false);
        float[] perChannel = Quantizer.fakeQuantize(v, 2, 4, true, true);
        assertArrayEquals(new float[] {0, 0, 0}, new float[] {perTensor[3], perTensor[4], perTensor[5]}, 0f);
        assertEquals(0.03f, perChannel[5], 1e-6f);
        assertEquals(-0.02f, perChannel[4], 0.003f);
    }

    @Test
    void equalValuesStayEqualSoClustersSurvive() {
        float[] v = {0.3f, 0.3f, -0.7f, -0.7f, 0f, 0.11f};
        float[] q = Quantizer.fakeQuantize(v, 1, 3, true, false);
        assertEquals(q[0], q[1]);
        assertEquals(q[2], q[3]);
        assertTrue(distinct(q).size() <= distinct(v).size());
    }

    @Test
    void badInputIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Quantizer.fakeQuantize(new float[4], 1, 1, true, false));
        assertTrue(e.getMessage().contains("bits=1 must be in 2 to 16"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Quantizer.fakeQuantize(new float[4], 1, 17, true, false));
        assertThrows(IllegalArgumentException.class, () -> Quantizer.fakeQuantize(new float[5], 2, 8, true, false));
        assertEquals(99f, Quantizer.percentile(new float[] {1, 2, 99, 3}, 100));
        assertEquals(2f, Quantizer.percentile(new float[] {1, 2, 99, 3}, 50));
    }
}
