package dev.compresso.bench;

import static dev.compresso.Compresso.*;

import dev.compresso.data.DataSplit;
import dev.compresso.eval.ExperimentLog;
import dev.compresso.model.Network;
import dev.compresso.train.TrainingHistory;
import java.util.Locale;

/**
 * Test top-1 of LeNet-300-100 on full Fashion-MNIST after 10 epochs of Adam (lr 1e-3, batch 128,
 * seed 42: the DSL defaults), with the test accuracy after every epoch.
 *
 * <p>Usage: {@code AccuracyBench [epochs=10]}.
 */
public final class AccuracyBench {

    public static void main(String[] args) {
        int epochs = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        DataSplit data = fashionMnist();
        long t0 = System.nanoTime();
        try (Network base = lenet300100(); Network net = base.train(data, epochs(epochs).quiet().log(new ExperimentLog()))) {
            int k = 1;
            for (TrainingHistory.Epoch e : net.history().epochs()) {
                System.out.printf(Locale.ROOT, "epoch %2d: train loss %.4f, train top-1 %.4f, test top-1 %.4f, %.2f s%n",
                        k++, e.trainLoss(), e.trainTop1(), e.testTop1(), e.seconds());
            }
            System.out.printf(Locale.ROOT, "final test top-1 %.4f, test loss %.4f (%d samples); total %.1f s; threads %d%n",
                    net.evaluation().top1(), net.evaluation().loss(), net.evaluation().samples(),
                    (System.nanoTime() - t0) / 1e9, dev.compresso.model.TorchRuntime.threads());
        }
    }
}
