package dev.compresso.bench;

import dev.compresso.data.DataSplit;
import dev.compresso.data.FashionMnist;
import dev.compresso.data.Samples;
import dev.compresso.model.Network;
import dev.compresso.model.Zoo;
import dev.compresso.prune.Magnitude;
import dev.compresso.prune.Structured;
import dev.compresso.train.TrainOptions;
import dev.compresso.eval.ExperimentLog;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Issue 3's speed numbers:
 * <ol>
 *   <li>inference latency of LeNet-300-100 dense, masked (half the hidden neurons zeroed) and shrunk
 *       (half the hidden neurons removed), at batch 1 and batch 256, interleaved, medians;
 *   <li>time per training epoch with and without a 92 % pruning mask held after every step,
 *       interleaved, medians.
 * </ol>
 * Usage: {@code bench/run.sh pruning [latencyRounds] [epochRounds]}.
 */
public final class PruningBench {

    private PruningBench() {}

    public static void main(String[] args) {
        int latencyRounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        int epochRounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        DataSplit data = FashionMnist.load();
        ExperimentLog log = new ExperimentLog();
        TrainOptions one = TrainOptions.epochs(1).quiet().evaluateEachEpoch(false).log(log);

        try (Network init = Network.create(Zoo.lenet300100(), 42);
                Network base = init.train(data, one);
                Network masked = Structured.neurons(0.5).masked(base);
                Network shrunk = base.shrink(Structured.neurons(0.5))) {
            System.out.printf(Locale.ROOT, "parameters: dense %,d, shrunk %,d%n", base.parameterCount(), shrunk.parameterCount());
            for (int batch : new int[] {1, 256}) {
                Samples input = data.test().head(batch);
                int calls = batch == 1 ? 2000 : 200;
                List<Double> dense = new ArrayList<>();
                List<Double> mask = new ArrayList<>();
                List<Double> small = new ArrayList<>();
                for (Network n : new Network[] {base, masked, shrunk}) {
                    time(n, input, calls); // warm-up
                }
                for (int r = 0; r < latencyRounds; r++) {
                    dense.add(time(base, input, calls));
                    mask.add(time(masked, input, calls));
                    small.add(time(shrunk, input, calls));
                }
                double ratio = Stats.median(dense) / Stats.median(small);
                System.out.printf(Locale.ROOT, "batch %d, µs per forward: dense %s | masked %s | shrunk %s | dense/shrunk %.2fx%n",
                        batch, Stats.summary(dense, "%.1f"), Stats.summary(mask, "%.1f"), Stats.summary(small, "%.1f"), ratio);
            }

            try (Network pruned = base.prune(Magnitude.magnitude().sparsity(0.92))) {
                List<Double> plain = new ArrayList<>();
                List<Double> withMask = new ArrayList<>();
                for (int r = 0; r < epochRounds; r++) {
                    try (Network a = base.train(data, one)) {
                        plain.add(a.history().epochs().get(a.history().size() - 1).seconds());
                    }
                    try (Network b = pruned.train(data, one)) {
                        withMask.add(b.history().epochs().get(b.history().size() - 1).seconds());
                    }
                }
                System.out.printf(Locale.ROOT, "epoch seconds: unmasked %s | masked %s | overhead %+.1f %%%n",
                        Stats.summary(plain, "%.2f"), Stats.summary(withMask, "%.2f"),
                        100 * (Stats.median(withMask) / Stats.median(plain) - 1));
            }
        }
    }

    /** Mean microseconds per forward pass over {@code calls} calls. */
    private static double time(Network n, Samples input, int calls) {
        long t0 = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            n.outputs(input);
        }
        return (System.nanoTime() - t0) / 1e3 / calls;
    }
}
