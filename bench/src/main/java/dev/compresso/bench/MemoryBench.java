package dev.compresso.bench;

import static dev.compresso.Compresso.*;

import dev.compresso.data.DataSplit;
import dev.compresso.eval.ExperimentLog;
import dev.compresso.model.Network;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Native memory across a long training run: LeNet-300-100 on full Fashion-MNIST for 20 epochs
 * (default options: Adam, batch 128, a test pass after each epoch) in one process, printing the
 * process RSS (VmRSS) and the Java heap in use at the end of each epoch. A leak of per-batch native
 * temporaries (~0.5 MB a batch) would add ~230 MB an epoch.
 *
 * <p>Usage: {@code MemoryBench [epochs=20]}.
 */
public final class MemoryBench {

    public static void main(String[] args) {
        int epochs = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        DataSplit data = fashionMnist();
        Runtime rt = Runtime.getRuntime();
        System.out.printf(Locale.ROOT, "before training: RSS %.1f MiB%n", Stats.rssMiB());
        List<Double> rss = new ArrayList<>();
        var opts = epochs(epochs).log(new ExperimentLog()).listener(p -> {
            if (!p.done() && p.batch() == p.batches()) {
                double r = Stats.rssMiB();
                rss.add(r);
                System.out.printf(Locale.ROOT, "epoch %2d: RSS %7.1f MiB, heap used %6.1f MiB, train loss %.4f%n",
                        p.epoch(), r, (rt.totalMemory() - rt.freeMemory()) / 1048576.0, p.loss());
            }
        });
        try (Network base = lenet300100(); Network net = base.train(data, opts)) {
            System.out.printf(Locale.ROOT, "after training and final test pass: RSS %.1f MiB; test top-1 %.4f%n",
                    Stats.rssMiB(), net.evaluation().top1());
        }
        double first = rss.get(0);
        double last = rss.get(rss.size() - 1);
        double max = rss.stream().mapToDouble(Double::doubleValue).max().orElse(first);
        System.out.printf(Locale.ROOT,
                "RSS epoch 1 %.1f MiB, epoch %d %.1f MiB: growth %+.1f MiB (%+.1f%%); max over epochs %.1f MiB%n",
                first, rss.size(), last, last - first, 100 * (last - first) / first, max);
    }
}
