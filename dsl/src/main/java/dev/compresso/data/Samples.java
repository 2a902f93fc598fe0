package dev.compresso.data;

import java.util.Arrays;
import java.util.Random;

/**
 * A set of labelled samples held in plain Java arrays: features row-major in one {@code float[]},
 * labels as class indices. Immutable: every method returns a new set.
 */
public final class Samples {

    private final float[] features;
    private final int[] labels;
    private final long[] sampleShape;
    private final int sampleSize;
    private final int classes;

    /**
     * Creates a set of samples.
     *
     * @param features all features, row-major: sample {@code i} is {@code features[i*size .. (i+1)*size)}
     * @param labels the class index of each sample, in {@code [0, classes)}
     * @param sampleShape the shape of one sample, for example {@code {1, 28, 28}}
     * @param classes the number of classes
     * @return the set
     * @throws IllegalArgumentException if the arrays and shape do not agree, or a label is out of range
     */
    public static Samples of(float[] features, int[] labels, long[] sampleShape, int classes) {
        return new Samples(features, labels, sampleShape.clone(), classes);
    }

    private Samples(float[] features, int[] labels, long[] sampleShape, int classes) {
        long size = 1;
        for (long d : sampleShape) {
            if (d <= 0) {
                throw new IllegalArgumentException(
                        "sample shape " + Arrays.toString(sampleShape) + " has a dimension ≤ 0; every dimension must be ≥ 1");
            }
            size *= d;
        }
        if (classes < 2) {
            throw new IllegalArgumentException("classes=" + classes + " must be ≥ 2");
        }
        if ((long) labels.length * size != features.length) {
            throw new IllegalArgumentException(
                    labels.length
                            + " labels × "
                            + size
                            + " values per sample = "
                            + (long) labels.length * size
                            + ", but there are "
                            + features.length
                            + " feature values; give one label per sample");
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classes) {
                throw new IllegalArgumentException(
                        "label " + labels[i] + " of sample " + i + " must be in [0, " + classes + ")");
            }
        }
        this.features = features;
        this.labels = labels;
        this.sampleShape = sampleShape;
        this.sampleSize = (int) size;
        this.classes = classes;
    }

    /** Number of samples. */
    public int size() {
        return labels.length;
    }

    /** Number of classes. */
    public int classes() {
        return classes;
    }

    /** Shape of one sample, for example {@code [1, 28, 28]}. */
    public long[] sampleShape() {
        return sampleShape.clone();
    }

    /** Number of values in one sample. */
    public int sampleSize() {
        return sampleSize;
    }

    /** The features of sample {@code i}, as a copy. */
    public float[] features(int i) {
        return Arrays.copyOfRange(features, i * sampleSize, (i + 1) * sampleSize);
    }

    /** The label of sample {@code i}. */
    public int label(int i) {
        return labels[i];
    }

    /** All labels, as a copy. */
    public int[] labels() {
        return labels.clone();
    }

    /**
     * Copies the features of the samples {@code order[from .. to)} into {@code out}, row after row.
     * Used by the training loop to build a batch without intermediate objects.
     */
    public void copyFeatures(int[] order, int from, int to, float[] out) {
        for (int i = from; i < to; i++) {
            System.arraycopy(features, order[i] * sampleSize, out, (i - from) * sampleSize, sampleSize);
        }
    }

    /**
     * Copies the features of the samples {@code from .. to - 1}, in order, into {@code out} starting
     * at {@code offset}: one array copy, for passes over a whole set.
     */
    public void copyFeatures(int from, int to, float[] out, int offset) {
        System.arraycopy(features, from * sampleSize, out, offset, (to - from) * sampleSize);
    }

    /** The first {@code n} samples. */
    public Samples head(int n) {
        return slice(0, n);
    }

    /** The samples {@code from} (inclusive) to {@code to} (exclusive). */
    public Samples slice(int from, int to) {
        if (from < 0 || to > size() || from >= to) {
            throw new IllegalArgumentException(
                    "slice [" + from + ", " + to + ") must be a non-empty range within [0, " + size()
                            + "], the samples in this set");
        }
        return new Samples(
                Arrays.copyOfRange(features, from * sampleSize, to * sampleSize),
                Arrays.copyOfRange(labels, from, to),
                sampleShape,
                classes);
    }

    /** The samples in a random order, the same for the same seed. */
    public Samples shuffle(long seed) {
        int[] order = permutation(size(), seed);
        float[] f = new float[features.length];
        int[] l = new int[labels.length];
        for (int i = 0; i < order.length; i++) {
            System.arraycopy(features, order[i] * sampleSize, f, i * sampleSize, sampleSize);
            l[i] = labels[order[i]];
        }
        return new Samples(f, l, sampleShape, classes);
    }

    /** Every feature mapped to {@code (x - mean) / std}. */
    public Samples standardize(float mean, float std) {
        if (!(std > 0)) {
            throw new IllegalArgumentException("std=" + std + " must be > 0");
        }
        float[] f = new float[features.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (features[i] - mean) / std;
        }
        return new Samples(f, labels, sampleShape, classes);
    }

    /** Mean of all feature values. */
    public double mean() {
        double sum = 0;
        for (float v : features) {
            sum += v;
        }
        return sum / features.length;
    }

    /** Standard deviation of all feature values. */
    public double std() {
        double mean = mean();
        double sum = 0;
        for (float v : features) {
            double d = v - mean;
            sum += d * d;
        }
        return Math.sqrt(sum / features.length);
    }

    /** A random permutation of {@code 0 .. n-1} from a seeded Fisher-Yates shuffle. */
    public static int[] permutation(int n, long seed) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Random random = new Random(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    @Override
    public String toString() {
        return size() + " samples of shape " + Arrays.toString(sampleShape) + ", " + classes + " classes";
    }
}
