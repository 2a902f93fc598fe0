package dev.compresso.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** A pass without gradient recording frees each value after its last reader and computes the same output. */
@Tag("engine")
class GraphBlockMemoryTest {

    @Test
    void inferenceKeepsOnlyTheValuesAskedFor() {
        try (Network net = Network.create(Zoo.mobilenetV2(), 1)) {
            GraphBlock block = (GraphBlock) net.block();
            Graph g = block.graph();
            Set<String> every = new HashSet<>();
            g.nodes().forEach(n -> every.add(n.name()));
            String out = g.output();
            TorchRuntime.noGrad();
            try (NDManager m = net.manager().newSubManager()) {
                NDArray x = m.randomNormal(new Shape(3, 1, 28, 28));
                Map<String, NDArray> all = block.run(new ParameterStore(m, false), x, false, every);
                assertEquals(every.size() + 1, all.size(), "asked for every value: all of them, and the input");
                String middle = "ir3.dw.relu6";
                Map<String, NDArray> few = block.run(new ParameterStore(m, false), x, false, Set.of(out, middle));
                assertEquals(Set.of(Graph.INPUT, out, middle), few.keySet());
                assertArrayEquals(all.get(out).toFloatArray(), few.get(out).toFloatArray(), 0f);
                assertArrayEquals(all.get(middle).toFloatArray(), few.get(middle).toFloatArray(), 0f);
                // the freed values' memory is released: a third pass still runs, and the parameters live on
                Map<String, NDArray> again = block.run(new ParameterStore(m, false), x, false, Set.of(out));
                assertArrayEquals(all.get(out).toFloatArray(), again.get(out).toFloatArray(), 0f);
            }
        }
    }

    @Test
    void anOpsTemporariesAreFreedWhenItReturns() {
        // conv, then fake quantization (six temporaries the size of its input) twice, then a reading
        GraphBuilder b = new GraphBuilder(new long[] {1, 28, 28});
        b.conv("conv", Graph.INPUT, 1, 8, 3, 1, 1);
        b.add("q1", new Op.Quantize(8, 0.05f, 128), "conv");
        b.add("q2", new Op.Quantize(8, 0.05f, 128), "q1");
        b.add("sum", new Op.Binary(Op.BinaryKind.ADD), "q2", "conv");
        Graph g = b.build();
        try (Network net = Network.create(Architecture.of("q", "two quantizers", g), 1)) {
            GraphBlock block = (GraphBlock) net.block();
            TorchRuntime.noGrad();
            try (NDManager m = net.manager().newSubManager()) {
                NDArray x = m.randomNormal(new Shape(4, 1, 28, 28));
                int before = m.getManagedArrays().size();
                Map<String, NDArray> out = block.run(new ParameterStore(m, false), x, false, Set.of("sum"));
                // what the pass leaves: the input seen as [batch, 1, 28, 28] and the output, nothing else
                assertEquals(Set.of(Graph.INPUT, "sum"), out.keySet());
                assertEquals(before + 2, m.getManagedArrays().size(), "arrays left in the pass's manager");
                assertEquals(x.getManager(), m, "the caller's input is back in its own manager");
                // the same values as a pass that keeps everything
                Map<String, NDArray> all = block.run(new ParameterStore(m, false), x, false, Set.of("conv", "q1", "q2", "sum"));
                assertArrayEquals(all.get("sum").toFloatArray(), out.get("sum").toFloatArray(), 0f);
                float[] conv = all.get("conv").toFloatArray(), q2 = all.get("q2").toFloatArray(), sum = out.get("sum").toFloatArray();
                for (int i = 0; i < sum.length; i++) {
                    assertEquals(conv[i] + q2[i], sum[i], 1e-6f);
                }
            }
        }
    }
}
