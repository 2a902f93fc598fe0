package dev.compresso.model;

import ai.djl.nn.Block;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * How to build a model: a factory of fresh DJL blocks, the shape of one input sample and the number
 * of outputs. A model keeps its architecture so that it can be copied and rebuilt.
 *
 * @param name a short name, for example {@code lenet-300-100}
 * @param description one line saying which variant this is
 * @param factory makes a new, uninitialized block each time it is called
 * @param inputShape the shape of one sample, without the batch axis, for example {@code [1, 28, 28]}
 * @param outputs the number of outputs (classes)
 */
public record Architecture(
        String name, String description, Supplier<Block> factory, long[] inputShape, int outputs) {

    /** Checks the parts. */
    public Architecture {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(factory, "factory");
        inputShape = inputShape.clone();
        for (long d : inputShape) {
            if (d < 1) {
                throw new IllegalArgumentException(
                        "input shape " + Arrays.toString(inputShape) + " of '" + name + "' has a dimension < 1");
            }
        }
        if (outputs < 1) {
            throw new IllegalArgumentException("outputs=" + outputs + " of '" + name + "' must be ≥ 1");
        }
    }

    /** Number of values in one input sample. */
    public long inputSize() {
        long n = 1;
        for (long d : inputShape) {
            n *= d;
        }
        return n;
    }

    @Override
    public long[] inputShape() {
        return inputShape.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Architecture a
                && a.name.equals(name)
                && a.factory == factory
                && Arrays.equals(a.inputShape, inputShape)
                && a.outputs == outputs;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, factory, Arrays.hashCode(inputShape), outputs);
    }

    @Override
    public String toString() {
        return name + " " + Arrays.toString(inputShape) + " → " + outputs + (description.isEmpty() ? "" : " (" + description + ")");
    }
}
