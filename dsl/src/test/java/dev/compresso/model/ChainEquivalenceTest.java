package dev.compresso.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.nn.SequentialBlock;
import dev.compresso.data.DataSplit;
import dev.compresso.data.Synthetic;
import dev.compresso.eval.ExperimentLog;
import dev.compresso.train.Fit;
import dev.compresso.train.TrainOptions;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A sequential zoo model, now a graph, starts from the same weights and trains to the same bits as
 * the same chain of DJL blocks: the numbers of notebooks made before the graph model still hold.
 */
@Tag("engine")
class ChainEquivalenceTest {

    @Test
    void graphChainsMatchSequentialBlocksBitForBit() {
        DataSplit data = Synthetic.squares(256, 64, 28, 4, 1);
        for (Architecture a : List.of(Zoo.lenet5(), Zoo.lenet300100())) {
            Architecture djl = new Architecture(a.name(), "", () -> {
                SequentialBlock b = new SequentialBlock();
                a.layers().forEach(l -> b.add(l.build()));
                return b;
            }, a.inputShape(), a.outputs());
            TrainOptions o = TrainOptions.epochs(1).batchSize(64).quiet().log(new ExperimentLog());
            try (Network graph = Network.create(a, 42); Network blocks = Network.create(djl, 42)) {
                assertEquals(blocks.parameterNames(), graph.parameterNames());
                for (String p : graph.parameterNames()) {
                    assertArrayEquals(blocks.weights(p), graph.weights(p), p);
                }
                try (Network g = graph.train(data, o); Network b = blocks.train(data, o)) {
                    assertArrayEquals(Fit.outputs(b, data.test(), 64), Fit.outputs(g, data.test(), 64), a.name());
                }
            }
        }
    }
}
