package dev.compresso.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.compresso.data.DataSplit;
import dev.compresso.data.Synthetic;
import dev.compresso.eval.ExperimentLog;
import dev.compresso.model.Network;
import dev.compresso.model.TorchRuntime;
import dev.compresso.model.Zoo;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Two threads train two models at once in one JVM, as two Spark tasks in local[2] do. */
@Tag("engine")
class ConcurrentTrainingTest {

    private static final DataSplit DATA = Synthetic.blobs(1024, 256, 20, 4, 5);

    private static Network train(long seed) {
        try (Network init = Network.create(Zoo.mlp(20, 64, 4), seed)) {
            return init.train(DATA, TrainOptions.epochs(3).batchSize(32).learningRate(0.01).seed(seed).quiet().log(new ExperimentLog()));
        }
    }

    @Test
    void twoThreadsTrainAtOnceAndGetWhatEachWouldAlone() throws Exception {
        int before = TorchRuntime.threads();
        TorchRuntime.threads(1);
        try {
            Network a = train(1);
            Network b = train(2);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                Future<Network> fa = pool.submit(() -> train(1));
                Future<Network> fb = pool.submit(() -> train(2));
                Network ca = fa.get();
                Network cb = fb.get();
                for (String p : a.parameterNames()) {
                    assertArrayEquals(a.weights(p), ca.weights(p), "seed 1, " + p + ": concurrent training is the same as alone");
                    assertArrayEquals(b.weights(p), cb.weights(p), "seed 2, " + p);
                }
                assertTrue(ca.evaluation().top1() > 0.9, ca.evaluation().toString());
            } finally {
                pool.shutdown();
            }
        } finally {
            TorchRuntime.threads(before);
        }
    }
}
