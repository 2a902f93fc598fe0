package dev.compresso.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.pooling.Pool;
import dev.compresso.data.Samples;
import dev.compresso.train.Fit;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** wrap(...) of plain DJL blocks: a residual CNN with BatchNorm becomes a graph model that packs and exports. */
@Tag("engine")
class WrapTest {

    @TempDir
    Path dir;

    static SequentialBlock residualCnn() {
        SequentialBlock main = new SequentialBlock()
                .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1)).setFilters(8).optBias(false).build())
                .add(BatchNorm.builder().optEpsilon(1e-3f).build())
                .add(Activation.reluBlock())
                .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1)).setFilters(8).build())
                .add(BatchNorm.builder().build());
        ParallelBlock residual = new ParallelBlock(list -> new NDList(list.get(0).singletonOrThrow().add(list.get(1).singletonOrThrow())),
                List.of(main, Blocks.identityBlock()));
        return new SequentialBlock()
                .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1)).setFilters(8).build())
                .add(residual)
                .add(Activation.reluBlock())
                .add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)))
                .add(Pool.globalAvgPool2dBlock())
                .add(Dropout.builder().optRate(0.25f).build())
                .add(Linear.builder().setUnits(5).build());
    }

    @Test
    void aResidualCnnOfDjlBlocksBecomesAGraphThatComputesTheSame() {
        try (Network opaque = Network.create(new Architecture("cnn", "", WrapTest::residualCnn, new long[] {1, 12, 12}, 5), 42);
                Network net = Network.wrap("cnn", WrapTest::residualCnn, new long[] {1, 12, 12}, 5, 42)) {
            assertTrue(net.architecture().isGraph(), net.architecture().description());
            assertEquals(opaque.parameterNames(), net.parameterNames());
            Graph g = net.architecture().graph();
            assertEquals(1, g.nodes().stream().filter(n -> n.op() instanceof Op.Binary).count());
            assertTrue(g.nodes().stream().anyMatch(n -> n.op() instanceof Op.BatchNorm b && b.epsilon() == 1e-3f));
            assertTrue(g.nodes().stream().anyMatch(n -> n.op() instanceof Op.Dropout d && d.rate() == 0.25f));
            float[] x = new float[3 * 144];
            Random r = new Random(1);
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) r.nextGaussian();
            }
            Samples s = Samples.of(x, new int[3], new long[] {1, 12, 12}, 5);
            float[] a = Fit.outputs(opaque, s, 3);
            float[] b = Fit.outputs(net, s, 3);
            for (int i = 0; i < a.length; i++) {
                assertEquals(a[i], b[i], 1e-5, "output " + i);
            }
            assertTrue(net.pack(dir.resolve("cnn.cmpr")).bytes() > 0);
            net.exportOnnx(dir.resolve("cnn.onnx").toString());
        }
    }

    @Test
    void aBlockWithoutAGraphFormStaysOpaqueAndSaysWhich() {
        java.util.function.Supplier<ai.djl.nn.Block> odd = () -> new SequentialBlock()
                .add(Blocks.batchFlattenBlock())
                .add(new LambdaBlock(l -> new NDList(l.singletonOrThrow().mul(l.singletonOrThrow())), "square"))
                .add(Linear.builder().setUnits(3).build());
        try (Network net = Network.wrap("odd", odd, new long[] {6}, 3, 1)) {
            assertFalse(net.architecture().isGraph());
            assertTrue(net.architecture().description().contains("block '02LambdaBlock' is a lambda block ('square')"),
                    net.architecture().description());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.pack(dir.resolve("odd.cmpr")));
            assertTrue(e.getMessage().contains("'02LambdaBlock'"), e.getMessage());
        }
    }
}
