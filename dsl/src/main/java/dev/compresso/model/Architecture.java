package dev.compresso.model;

import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import java.util.Arrays;
import java.util.List;
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
        String name, String description, Supplier<Block> factory, long[] inputShape, int outputs, List<LayerSpec> layers) {

    /** Checks the parts. */
    public Architecture {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(factory, "factory");
        inputShape = inputShape.clone();
        layers = layers == null ? null : List.copyOf(layers);
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

    /**
     * An architecture built from any block factory. It cannot be written into a packed file or
     * shrunk structurally; {@link #sequential} architectures can.
     */
    public Architecture(String name, String description, Supplier<Block> factory, long[] inputShape, int outputs) {
        this(name, description, factory, inputShape, outputs, null);
    }

    /**
     * A sequential architecture declared layer by layer.
     *
     * @param name a short name
     * @param description which variant this is
     * @param inputShape the shape of one sample
     * @param outputs the number of outputs; must equal the last dense layer's units
     * @param layers the layers in order
     * @return the architecture
     */
    public static Architecture sequential(String name, String description, long[] inputShape, int outputs, List<LayerSpec> layers) {
        List<LayerSpec> copy = List.copyOf(layers);
        if (copy.isEmpty()) {
            throw new IllegalArgumentException("architecture '" + name + "' has no layers");
        }
        return new Architecture(name, description, () -> {
            SequentialBlock block = new SequentialBlock();
            for (LayerSpec l : copy) {
                block.add(l.build());
            }
            return block;
        }, inputShape, outputs, copy);
    }

    /** True if this architecture is declared layer by layer (it can be packed and shrunk). */
    public boolean isSequential() {
        return layers != null;
    }

    /** The text form of a sequential architecture, as stored in packed files. */
    public String encode() {
        if (layers == null) {
            throw new IllegalStateException(
                    "architecture '" + name + "' wraps an arbitrary block; only sequential architectures (zoo models,"
                            + " Architecture.sequential) can be encoded");
        }
        StringBuilder sb = new StringBuilder("compresso-architecture 1\n");
        sb.append("name ").append(name).append('\n');
        sb.append("description ").append(description.replace('\n', ' ')).append('\n');
        sb.append("input");
        for (long d : inputShape) {
            sb.append(' ').append(d);
        }
        sb.append('\n').append("outputs ").append(outputs).append('\n');
        for (LayerSpec l : layers) {
            sb.append(l.encode()).append('\n');
        }
        return sb.toString();
    }

    /**
     * Parses {@link #encode()}'s text.
     *
     * @param text the text
     * @return the architecture
     * @throws IllegalArgumentException if the text is malformed; the message names the line
     */
    public static Architecture decode(String text) {
        String[] lines = text.split("\n");
        if (lines.length < 5 || !lines[0].equals("compresso-architecture 1")) {
            throw new IllegalArgumentException("not a Compresso architecture description (first line: '"
                    + (lines.length > 0 ? lines[0] : "") + "')");
        }
        String name = value(lines[1], "name");
        String description = value(lines[2], "description");
        String[] in = value(lines[3], "input").trim().split("\\s+");
        long[] shape = new long[in.length];
        try {
            for (int i = 0; i < in.length; i++) {
                shape[i] = Long.parseLong(in[i]);
            }
            int outputs = Integer.parseInt(value(lines[4], "outputs").trim());
            List<LayerSpec> layers = new java.util.ArrayList<>();
            for (int i = 5; i < lines.length; i++) {
                if (!lines[i].isBlank()) {
                    layers.add(LayerSpec.decode(lines[i]));
                }
            }
            return sequential(name, description, shape, outputs, layers);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("architecture description has a bad number: " + e.getMessage(), e);
        }
    }

    private static String value(String line, String key) {
        if (!line.startsWith(key)) {
            throw new IllegalArgumentException("architecture description: expected '" + key + "' but read '" + line + "'");
        }
        return line.substring(key.length()).trim();
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
                && (a.layers != null ? a.layers.equals(layers) : a.factory == factory)
                && Arrays.equals(a.inputShape, inputShape)
                && a.outputs == outputs
                && java.util.Objects.equals(a.layers, layers);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, Arrays.hashCode(inputShape), outputs, layers);
    }

    @Override
    public String toString() {
        return name + " " + Arrays.toString(inputShape) + " → " + outputs + (description.isEmpty() ? "" : " (" + description + ")");
    }
}
