package dev.compresso.model;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import java.util.Arrays;

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
        return new Architecture(
                "lenet-5",
                "Caffe variant: conv20-pool-conv50-pool-fc500-fc10",
                Zoo::lenet5Block,
                new long[] {1, 28, 28},
                10);
    }

    private static SequentialBlock lenet5Block() {
        return new SequentialBlock()
                .add(Conv2d.builder().setKernelShape(new Shape(5, 5)).setFilters(20).build())
                .add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)))
                .add(Conv2d.builder().setKernelShape(new Shape(5, 5)).setFilters(50).build())
                .add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)))
                .add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(500).build())
                .add(Activation.reluBlock())
                .add(Linear.builder().setUnits(10).build());
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
        long[] widths = sizes.clone();
        return new Architecture(
                name,
                "fully connected " + joined(widths) + ", ReLU",
                () -> {
                    SequentialBlock block = new SequentialBlock().add(Blocks.batchFlattenBlock(widths[0]));
                    for (int i = 1; i < widths.length; i++) {
                        block.add(Linear.builder().setUnits(widths[i]).build());
                        if (i < widths.length - 1) {
                            block.add(Activation.reluBlock());
                        }
                    }
                    return block;
                },
                inputShape,
                (int) widths[widths.length - 1]);
    }

    private static String joined(long[] widths) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < widths.length; i++) {
            sb.append(i == 0 ? "" : "-").append(widths[i]);
        }
        return sb.toString();
    }
}
