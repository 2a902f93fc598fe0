package dev.compresso.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The architectures Compresso ships: the models of Han et al.'s pruning and Deep Compression papers. */
public final class Zoo {

    private Zoo() {}

    /**
     * LeNet-300-100: a 784-300-100-10 fully connected network with ReLU, as in Han et al. 2015
     * ("Learning both Weights and Connections"). 266,610 parameters, 1,066,440 bytes in fp32.
     */
    public static Architecture lenet300100() {
        return mlpArchitecture("lenet-300-100", new long[] {1, 28, 28}, 784, 300, 100, 10);
    }

    /**
     * LeNet-5, Caffe's variant used by Han et al.: conv 5×5×20, max-pool 2, conv 5×5×50, max-pool 2,
     * fully connected 800-500 with ReLU, then 500-10. No padding, so 28×28 inputs. 431,080
     * parameters.
     */
    public static Architecture lenet5() {
        return Architecture.sequential(
                "lenet-5",
                "Caffe variant: conv20-pool-conv50-pool-fc500-fc10",
                new long[] {1, 28, 28},
                10,
                List.of(new LayerSpec.Conv(20, 5, 1, 0), new LayerSpec.MaxPool(2, 2),
                        new LayerSpec.Conv(50, 5, 1, 0), new LayerSpec.MaxPool(2, 2),
                        new LayerSpec.Flatten(), new LayerSpec.Dense(500), new LayerSpec.Relu(), new LayerSpec.Dense(10)));
    }

    /**
     * A fully connected network with ReLU between layers.
     *
     * @param sizes the layer widths, input first and outputs last, for example {@code 784, 100, 10}
     * @return its architecture, taking inputs of shape {@code [sizes[0]]} (any sample with that many
     *     values fits: it is flattened)
     */
    public static Architecture mlp(int... sizes) {
        long[] s = Arrays.stream(sizes).asLongStream().toArray();
        StringBuilder name = new StringBuilder("mlp");
        for (int v : sizes) {
            name.append('-').append(v);
        }
        return mlpArchitecture(name.toString(), new long[] {sizes.length > 0 ? sizes[0] : 0}, s);
    }

    private static Architecture mlpArchitecture(String name, long[] inputShape, long... sizes) {
        if (sizes.length < 2) {
            throw new IllegalArgumentException(
                    "mlp needs at least an input and an output size, got " + Arrays.toString(sizes)
                            + "; for example mlp(784, 100, 10)");
        }
        for (long v : sizes) {
            if (v < 1) {
                throw new IllegalArgumentException(
                        "layer size " + v + " in " + Arrays.toString(sizes) + " must be ≥ 1");
            }
        }
        List<LayerSpec> layers = new ArrayList<>();
        layers.add(new LayerSpec.Flatten());
        for (int i = 1; i < sizes.length; i++) {
            layers.add(new LayerSpec.Dense((int) sizes[i]));
            if (i < sizes.length - 1) {
                layers.add(new LayerSpec.Relu());
            }
        }
        return Architecture.sequential(name, "fully connected " + joined(sizes) + ", ReLU", inputShape,
                (int) sizes[sizes.length - 1], layers);
    }

    private static String joined(long[] widths) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < widths.length; i++) {
            sb.append(i == 0 ? "" : "-").append(widths[i]);
        }
        return sb.toString();
    }
}
