package dev.compresso.data;

import java.util.Arrays;
import java.util.List;

/**
 * A named data set with a training part and a test part, the unit a model trains and evaluates on.
 * Immutable: {@link #subset}, {@link #normalize} and {@link #shuffle} return new splits.
 */
public final class DataSplit {

    private final String name;
    private final Samples train;
    private final Samples test;
    private final List<String> classNames;
    private final String chain;

    /**
     * Creates a split from a training and a test set of the same sample shape and classes.
     *
     * @param name a short name, shown in logs
     * @param train the training samples
     * @param test the test samples
     * @param classNames a name for each class, or an empty list
     * @return the split
     */
    public static DataSplit of(String name, Samples train, Samples test, List<String> classNames) {
        return new DataSplit(name, train, test, classNames, "");
    }

    private DataSplit(String name, Samples train, Samples test, List<String> classNames, String chain) {
        if (!Arrays.equals(train.sampleShape(), test.sampleShape())) {
            throw new IllegalArgumentException(
                    "train samples have shape "
                            + Arrays.toString(train.sampleShape())
                            + " but test samples "
                            + Arrays.toString(test.sampleShape())
                            + "; both parts of a split must have the same shape");
        }
        if (train.classes() != test.classes()) {
            throw new IllegalArgumentException(
                    "train has " + train.classes() + " classes but test " + test.classes() + "; they must agree");
        }
        if (!classNames.isEmpty() && classNames.size() != train.classes()) {
            throw new IllegalArgumentException(
                    classNames.size() + " class names given for " + train.classes() + " classes; give one per class or none");
        }
        this.name = name;
        this.train = train;
        this.test = test;
        this.classNames = List.copyOf(classNames);
        this.chain = chain;
    }

    /** The name, with the transformations applied, for example {@code fashion-mnist[6000/1000]}. */
    public String name() {
        return name + chain;
    }

    /** The training samples. */
    public Samples train() {
        return train;
    }

    /** The test samples. */
    public Samples test() {
        return test;
    }

    /** Number of classes. */
    public int classes() {
        return train.classes();
    }

    /** The class names, or an empty list when the data set has none. */
    public List<String> classNames() {
        return classNames;
    }

    /** Shape of one sample. */
    public long[] sampleShape() {
        return train.sampleShape();
    }

    /**
     * The first {@code nTrain} training and {@code nTest} test samples. Shuffle first for a random
     * subset; Fashion-MNIST's files are already balanced across classes.
     *
     * @param nTrain how many training samples to keep, in {@code [1, train().size()]}
     * @param nTest how many test samples to keep, in {@code [1, test().size()]}
     * @return the smaller split
     */
    public DataSplit subset(int nTrain, int nTest) {
        if (nTrain < 1 || nTrain > train.size()) {
            throw new IllegalArgumentException(
                    "nTrain=" + nTrain + " must be in [1, " + train.size() + "], the training samples of " + name());
        }
        if (nTest < 1 || nTest > test.size()) {
            throw new IllegalArgumentException(
                    "nTest=" + nTest + " must be in [1, " + test.size() + "], the test samples of " + name());
        }
        return new DataSplit(
                name, train.head(nTrain), test.head(nTest), classNames, chain + "[" + nTrain + "/" + nTest + "]");
    }

    /**
     * Standardizes both parts with the mean and standard deviation of the training part, so that the
     * test set sees no statistics of its own.
     */
    public DataSplit normalize() {
        float mean = (float) train.mean();
        float std = (float) train.std();
        return new DataSplit(
                name, train.standardize(mean, std), test.standardize(mean, std), classNames, chain + "[norm]");
    }

    /** The training part in a seeded random order; the test part is unchanged. */
    public DataSplit shuffle(long seed) {
        return new DataSplit(name, train.shuffle(seed), test, classNames, chain + "[shuffle " + seed + "]");
    }

    @Override
    public String toString() {
        return name()
                + ": "
                + train.size()
                + " train, "
                + test.size()
                + " test, samples of shape "
                + Arrays.toString(train.sampleShape())
                + ", "
                + classes()
                + " classes";
    }
}
