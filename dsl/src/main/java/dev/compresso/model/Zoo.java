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
     * A CIFAR-style residual network (He et al. 2016, section 4.2) for 28×28 grey images: a 3×3
     * convolution with 16 filters, then three stages of {@code (depth − 2) / 6} basic blocks with 16,
     * 32 and 64 channels (the last two start with stride 2), global average pooling and a 10-way
     * Linear layer. Every convolution is followed by BatchNorm; a block that changes the shape has a
     * 1×1 convolution with BatchNorm on its shortcut. {@code resnet(20)} has 272,186 trainable parameters (and the BatchNorm running statistics).
     *
     * @param depth 6n + 2: 20, 32, 44, 56, 110...
     * @return the architecture
     * @throws IllegalArgumentException if depth is not 6n + 2 with n ≥ 1
     */
    public static Architecture resnet(int depth) {
        if (depth < 8 || (depth - 2) % 6 != 0) {
            throw new IllegalArgumentException("resnet depth=" + depth + " must be 6n + 2 (8, 14, 20, 32, 44, 56, 110)");
        }
        int blocks = (depth - 2) / 6;
        GraphBuilder g = new GraphBuilder(new long[] {1, 28, 28});
        g.conv("stem.conv", Graph.INPUT, 1, 16, 3, 1, 1);
        g.batchNorm("stem.bn", 16);
        String x = g.relu("stem.relu");
        int in = 16;
        int[] widths = {16, 32, 64};
        for (int s = 0; s < 3; s++) {
            for (int b = 0; b < blocks; b++) {
                String p = "s" + (s + 1) + ".b" + b + ".";
                int out = widths[s];
                int stride = s > 0 && b == 0 ? 2 : 1;
                g.conv(p + "conv1", x, in, out, 3, stride, 1);
                g.batchNorm(p + "bn1", out);
                g.relu(p + "relu1");
                g.conv(p + "conv2", g.last(), out, out, 3, 1, 1);
                String main = g.batchNorm(p + "bn2", out);
                String shortcut = x;
                if (stride != 1 || in != out) {
                    g.conv(p + "down.conv", x, in, out, 1, stride, 1);
                    shortcut = g.batchNorm(p + "down.bn", out);
                }
                g.add(p + "add", new Op.Binary(Op.BinaryKind.ADD), main, shortcut);
                x = g.relu(p + "relu2");
                in = out;
            }
        }
        g.add("pool", new Op.GlobalPool(false), x);
        g.add("flatten", new Op.Flatten(1), g.last());
        g.add("fc", new Op.Linear(10, 64, true), g.last());
        return Architecture.of("resnet-" + depth, "CIFAR-style ResNet-" + depth + ": 3 stages x " + blocks
                + " basic blocks, 16/32/64 channels, BatchNorm, 1x1 projection shortcuts", g.build());
    }

    /**
     * A small MobileNetV2 (Sandler et al. 2018) for 28×28 grey images: a 3×3 convolution with 16
     * filters, inverted residual blocks (1×1 expansion, 3×3 depthwise, 1×1 linear projection, each
     * with BatchNorm; ReLU6 after the first two; a residual add where shape allows) with expansion 6
     * and widths 16-24-32-64-96, a 1×1 convolution to 320 channels, global average pooling, dropout
     * 0.2 and a 10-way Linear layer.
     *
     * @return the architecture
     */
    public static Architecture mobilenetV2() {
        int[][] settings = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 2, 1}, {6, 64, 2, 2}, {6, 96, 1, 1}};
        GraphBuilder g = new GraphBuilder(new long[] {1, 28, 28});
        g.conv("stem.conv", Graph.INPUT, 1, 16, 3, 1, 1);
        g.batchNorm("stem.bn", 16);
        String x = g.relu6("stem.relu6");
        int in = 16;
        int index = 0;
        for (int[] st : settings) {
            int t = st[0];
            int out = st[1];
            for (int i = 0; i < st[2]; i++) {
                int stride = i == 0 ? st[3] : 1;
                String p = "ir" + (index++) + ".";
                int hidden = in * t;
                String h = x;
                if (t != 1) {
                    g.conv(p + "expand.conv", h, in, hidden, 1, 1, 1);
                    g.batchNorm(p + "expand.bn", hidden);
                    h = g.relu6(p + "expand.relu6");
                }
                g.conv(p + "dw.conv", h, hidden, hidden, 3, stride, hidden);
                g.batchNorm(p + "dw.bn", hidden);
                h = g.relu6(p + "dw.relu6");
                g.conv(p + "project.conv", h, hidden, out, 1, 1, 1);
                String y = g.batchNorm(p + "project.bn", out);
                if (stride == 1 && in == out) {
                    y = g.add(p + "add", new Op.Binary(Op.BinaryKind.ADD), y, x);
                }
                x = y;
                in = out;
            }
        }
        g.conv("head.conv", x, in, 320, 1, 1, 1);
        g.batchNorm("head.bn", 320);
        g.relu6("head.relu6");
        g.add("pool", new Op.GlobalPool(false), g.last());
        g.add("flatten", new Op.Flatten(1), g.last());
        g.add("dropout", new Op.Dropout(0.2f), g.last());
        g.add("fc", new Op.Linear(10, 320, true), g.last());
        return Architecture.of("mobilenet-v2", "small MobileNetV2 for 28x28: inverted residuals (expansion 6), depthwise 3x3,"
                + " widths 16-24-32-64-96, 1x1 to 320, dropout 0.2", g.build());
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
