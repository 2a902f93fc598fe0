package dev.compresso.store;

import java.util.Arrays;

/**
 * One parameter tensor to store: a name, a shape and the values, dense and row-major (pruned
 * weights are zero). The arrays are not copied; don't change them while a write is running.
 *
 * @param name the parameter's name, unique within a file, at most 65,535 bytes of UTF-8
 * @param shape the dimensions, each ≥ 0, at most 32 of them; {@code []} is a scalar
 * @param values the {@code product(shape)} values, row-major
 */
public record Tensor(String name, long[] shape, float[] values) {

    /** Largest element count of one tensor (the largest Java array). */
    static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    /** Checks that the values match the shape. */
    public Tensor {
        if (name == null || shape == null || values == null) {
            throw new IllegalArgumentException("tensor name, shape and values must not be null (name=" + name + ")");
        }
        if (shape.length > 32) {
            throw new IllegalArgumentException("tensor '" + name + "' has " + shape.length
                    + " dimensions; at most 32 are allowed");
        }
        long product = 1;
        for (long d : shape) {
            if (d < 0 || d > MAX_ELEMENTS) {
                throw new IllegalArgumentException("tensor '" + name + "' has shape " + Arrays.toString(shape)
                        + "; each dimension must be in 0.." + MAX_ELEMENTS);
            }
            product = Math.min(product * d, MAX_ELEMENTS + 1);
        }
        if (product != values.length) {
            throw new IllegalArgumentException("tensor '" + name + "' has shape " + Arrays.toString(shape)
                    + " (" + product + " elements) but " + values.length + " values; pass values.length == product(shape)");
        }
    }

    /** Number of elements, the product of the shape. */
    public int size() {
        return values.length;
    }

    @Override
    public String toString() {
        return "Tensor[" + name + " " + Arrays.toString(shape) + "]";
    }
}
