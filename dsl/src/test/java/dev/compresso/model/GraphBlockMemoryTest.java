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
}
