package dev.compresso.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SamplesTest {

    private static Samples counting(int n) {
        float[] x = new float[n * 2];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            x[2 * i] = i;
            x[2 * i + 1] = -i;
            y[i] = i % 3;
        }
        return Samples.of(x, y, new long[] {2}, 3);
    }

    @Test
    void shuffleIsSeededAndKeepsPairs() {
        Samples s = counting(50);
        Samples a = s.shuffle(7);
        Samples b = s.shuffle(7);
        Samples c = s.shuffle(8);
        assertArrayEquals(a.labels(), b.labels());
        assertFalse(Arrays.equals(a.labels(), c.labels()));
        for (int i = 0; i < a.size(); i++) {
            int original = (int) a.features(i)[0];
            assertEquals(-original, a.features(i)[1]);
            assertEquals(original % 3, a.label(i));
        }
        assertNotEquals(0f, a.features(0)[0] + a.features(1)[0] + a.features(2)[0] - 3);
    }

    @Test
    void copyFeaturesOfARangeGoesWhereItIsAsked() {
        Samples s = counting(6);
        int size = s.sampleSize();
        float[] out = new float[5 * size];
        Arrays.fill(out, -1);
        s.copyFeatures(2, 5, out, size); // samples 2, 3, 4 after one row left alone
        for (int c = 0; c < size; c++) {
            assertEquals(-1f, out[c]);
            assertEquals(-1f, out[4 * size + c]);
        }
        for (int r = 0; r < 3; r++) {
            assertArrayEquals(s.features(2 + r), Arrays.copyOfRange(out, (1 + r) * size, (2 + r) * size));
        }
    }

    @Test
    void permutationIsAPermutation() {
        int[] p = Samples.permutation(1000, 3);
        int[] sorted = p.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < sorted.length; i++) {
            assertEquals(i, sorted[i]);
        }
    }

    @Test
    void standardizeGivesZeroMeanUnitStd() {
        Samples s = counting(40);
        Samples z = s.standardize((float) s.mean(), (float) s.std());
        assertEquals(0, z.mean(), 1e-5);
        assertEquals(1, z.std(), 1e-5);
    }

    @Test
    void sliceAndBadRanges() {
        Samples s = counting(10);
        assertEquals(4, s.slice(3, 7).size());
        assertEquals(3f, s.slice(3, 7).features(0)[0]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.head(11));
        assertTrue(e.getMessage().contains("[0, 10]"), e.getMessage());
    }

    @Test
    void inconsistentArraysAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Samples.of(new float[5], new int[2], new long[] {2}, 2));
        assertTrue(e.getMessage().contains("one label per sample"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Samples.of(new float[2], new int[] {4}, new long[] {2}, 3));
        assertTrue(e.getMessage().contains("label 4"), e.getMessage());
    }

    @Test
    void splitSubsetNormalizeUsesTrainStatistics() {
        DataSplit d = DataSplit.of("c", counting(30), counting(10), List.of());
        DataSplit small = d.subset(20, 5);
        assertEquals(20, small.train().size());
        assertEquals("c[20/5]", small.name());
        DataSplit n = d.normalize();
        assertEquals(0, n.train().mean(), 1e-5);
        double mean = d.train().mean();
        double std = d.train().std();
        assertEquals((3 - mean) / std, n.test().features(3)[0], 1e-5);
        assertEquals(1, n.test().std() * std / d.test().std(), 1e-5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> d.subset(31, 1));
        assertTrue(e.getMessage().contains("nTrain=31") && e.getMessage().contains("[1, 30]"), e.getMessage());
    }

    @Test
    void syntheticSetsAreReproducible() {
        DataSplit a = Synthetic.blobs(100, 20, 5, 4, 1);
        DataSplit b = Synthetic.blobs(100, 20, 5, 4, 1);
        assertArrayEquals(a.train().features(17), b.train().features(17));
        assertEquals(4, a.classes());
        DataSplit sq = Synthetic.squares(30, 10, 12, 3, 1);
        assertArrayEquals(new long[] {1, 12, 12}, sq.sampleShape());
    }

    @Test
    void csvBecomesASplit(@TempDir Path dir) throws IOException {
        StringBuilder sb = new StringBuilder("a,b,kind\n");
        for (int i = 0; i < 50; i++) {
            sb.append(i).append(',').append(i * 0.5).append(',').append(i % 2 == 0 ? "even" : "odd").append('\n');
        }
        Path f = Files.writeString(dir.resolve("pairs.csv"), sb);
        DataSplit d = Csv.read(f, "kind", 0.2, 1);
        assertEquals(40, d.train().size());
        assertEquals(10, d.test().size());
        assertEquals(List.of("even", "odd"), d.classNames());
        for (int i = 0; i < d.train().size(); i++) {
            float[] x = d.train().features(i);
            assertEquals(x[0] * 0.5f, x[1], 1e-6);
            assertEquals(((int) x[0]) % 2, d.train().label(i));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Csv.read(f, "klass", 0.2, 1));
        assertTrue(e.getMessage().contains("[a, b, kind]"), e.getMessage());
    }
}
