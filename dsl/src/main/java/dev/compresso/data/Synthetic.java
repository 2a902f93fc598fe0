package dev.compresso.data;

import java.util.List;
import java.util.Random;

/** Small synthetic data sets for tests and quick experiments; the same seed gives the same set. */
public final class Synthetic {

    private Synthetic() {}

    /**
     * Gaussian blobs: each class has a random centre in {@code features} dimensions and its samples
     * scatter around it with unit variance. Separable enough that a small MLP learns it in an epoch.
     *
     * @param nTrain training samples
     * @param nTest test samples
     * @param features values per sample
     * @param classes number of classes, ≥ 2
     * @param seed random seed
     * @return the split, named {@code blobs}
     */
    public static DataSplit blobs(int nTrain, int nTest, int features, int classes, long seed) {
        if (nTrain < 1 || nTest < 1 || features < 1) {
            throw new IllegalArgumentException(
                    "nTrain=" + nTrain + ", nTest=" + nTest + ", features=" + features + " must all be ≥ 1");
        }
        Random random = new Random(seed);
        float[][] centres = new float[classes][features];
        for (float[] c : centres) {
            for (int j = 0; j < features; j++) {
                c[j] = (float) (random.nextGaussian() * 3);
            }
        }
        return DataSplit.of(
                "blobs", blobSet(nTrain, centres, random), blobSet(nTest, centres, random), List.of());
    }

    private static Samples blobSet(int n, float[][] centres, Random random) {
        int features = centres[0].length;
        float[] x = new float[n * features];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % centres.length;
            for (int j = 0; j < features; j++) {
                x[i * features + j] = centres[y[i]][j] + (float) random.nextGaussian();
            }
        }
        return Samples.of(x, y, new long[] {features}, centres.length);
    }

    /**
     * Images of shape {@code [1, size, size]} where class {@code k} is a bright square at a
     * class-specific position, plus noise. Good for testing convolutional models.
     */
    public static DataSplit squares(int nTrain, int nTest, int size, int classes, long seed) {
        if (size < 8) {
            throw new IllegalArgumentException("size=" + size + " must be ≥ 8");
        }
        Random random = new Random(seed);
        return DataSplit.of(
                "squares",
                squareSet(nTrain, size, classes, random),
                squareSet(nTest, size, classes, random),
                List.of());
    }

    private static Samples squareSet(int n, int size, int classes, Random random) {
        int px = size * size;
        float[] x = new float[n * px];
        int[] y = new int[n];
        int side = Math.max(2, size / 4);
        for (int i = 0; i < n; i++) {
            y[i] = i % classes;
            int slots = (size - side) + 1;
            int pos = (y[i] * 7919) % (slots * slots);
            int r0 = pos / slots;
            int c0 = pos % slots;
            for (int p = 0; p < px; p++) {
                x[i * px + p] = (float) (random.nextGaussian() * 0.1);
            }
            for (int r = r0; r < r0 + side; r++) {
                for (int c = c0; c < c0 + side; c++) {
                    x[i * px + r * size + c] += 1f;
                }
            }
        }
        return Samples.of(x, y, new long[] {1, size, size}, classes);
    }
}
