package dev.compresso.bench;

import static dev.compresso.Compresso.*;

import dev.compresso.data.DataSplit;
import dev.compresso.eval.ExperimentLog;
import dev.compresso.model.Network;
import dev.compresso.model.TorchRuntime;
import dev.compresso.train.TrainingHistory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Epoch time of LeNet-300-100 on full Fashion-MNIST (batch 128, Adam, lr 1e-3), Compresso/DJL vs
 * PyTorch, one intra-op thread on each side, in one run.
 *
 * <p>Each round trains a fresh network for {@code epochs} epochs on each side; the sides alternate
 * (and swap order every round) so that load from other processes hits both. The PyTorch side is
 * {@code bench/pytorch_lenet300100.py} in a subprocess (Debian's python3-torch); the DJL side runs
 * in this JVM through the public DSL with {@code evaluateEachEpoch(false)}, so each timed epoch is
 * only the training loop. One DJL round is run first, untimed, to warm up the JIT (on a busy 2-core
 * machine C2 needs more than one epoch).
 *
 * <p>Usage: {@code EpochVsPyTorch [rounds=3] [epochs=3] [python=/usr/bin/python3]}; run with
 * {@code COMPRESSO_THREADS=1}.
 */
public final class EpochVsPyTorch {

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int epochs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        String python = args.length > 2 ? args[2] : "/usr/bin/python3";
        Path script = Path.of(System.getProperty("bench.dir", "bench"), "pytorch_lenet300100.py");

        DataSplit data = fashionMnist();
        System.out.printf(Locale.ROOT, "data %s; DJL %s, PyTorch %s, intra-op threads %d%n",
                data, TorchRuntime.djlVersion(), TorchRuntime.pytorchVersion(), TorchRuntime.threads());
        if (TorchRuntime.threads() != 1) {
            System.out.println("WARNING: DJL side is not on one thread; set COMPRESSO_THREADS=1");
        }
        ExperimentLog scratch = new ExperimentLog();
        var opts = epochs(epochs).batchSize(128).optimizer("adam").learningRate(1e-3)
                .evaluateEachEpoch(false).quiet().log(scratch);

        try (Network base = lenet300100(); Network warm = base.train(data, opts)) {
            List<Double> w = new ArrayList<>();
            warm.history().epochs().forEach(e -> w.add(e.seconds()));
            System.out.printf(Locale.ROOT, "warm-up DJL round (not counted): %s%n", fmt(w));
        }
        List<Double> djl = new ArrayList<>();
        List<Double> torch = new ArrayList<>();
        List<Double> djlCpu = new ArrayList<>();
        List<Double> torchCpu = new ArrayList<>();
        for (int r = 1; r <= rounds; r++) {
            boolean torchFirst = r % 2 == 1;
            for (int side = 0; side < 2; side++) {
                if ((side == 0) == torchFirst) {
                    List<Double> c = new ArrayList<>();
                    List<Double> t = runPyTorch(python, script, epochs, c);
                    System.out.printf(Locale.ROOT, "round %d pytorch epochs (s): %s, cpu %s%n", r, fmt(t), fmt(c));
                    torch.addAll(t);
                    torchCpu.addAll(c);
                } else {
                    List<Double> d = new ArrayList<>();
                    List<Double> c = new ArrayList<>();
                    // process CPU time at the end of each epoch (the last batch's progress event)
                    double[] mark = {0};
                    var timed = opts.seed(41 + r).listener(p -> {
                        if (!p.done() && p.batch() == p.batches()) {
                            double now = cpuSeconds();
                            c.add(now - mark[0]);
                            mark[0] = now;
                        }
                    });
                    try (Network base = lenet300100()) {
                        mark[0] = cpuSeconds();
                        try (Network net = base.train(data, timed)) {
                            for (TrainingHistory.Epoch e : net.history().epochs()) {
                                d.add(e.seconds());
                            }
                        }
                    }
                    System.out.printf(Locale.ROOT, "round %d djl     epochs (s): %s, cpu %s%n", r, fmt(d), fmt(c));
                    djl.addAll(d);
                    djlCpu.addAll(c);
                }
            }
        }
        double ratio = Stats.median(djl) / Stats.median(torch);
        System.out.println("DJL     epoch: " + Stats.summary(djl, "%.3f s"));
        System.out.println("PyTorch epoch: " + Stats.summary(torch, "%.3f s"));
        List<Double> perRound = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            perRound.add(Stats.median(djl.subList(r * epochs, (r + 1) * epochs))
                    / Stats.median(torch.subList(r * epochs, (r + 1) * epochs)));
        }
        System.out.printf(Locale.ROOT, "ratio DJL/PyTorch wall (median/median): %.3f; per round %s%n", ratio, fmt(perRound));
        System.out.println("DJL     epoch CPU: " + Stats.summary(djlCpu, "%.3f s"));
        System.out.println("PyTorch epoch CPU: " + Stats.summary(torchCpu, "%.3f s"));
        System.out.printf(Locale.ROOT, "ratio DJL/PyTorch CPU time (median/median): %.3f%n", Stats.median(djlCpu) / Stats.median(torchCpu));
    }

    private static List<Double> runPyTorch(String python, Path script, int epochs, List<Double> cpu) throws Exception {
        return PyTorchSide.run(List.of(python, script.toString(), "--epochs", String.valueOf(epochs), "--threads", "1"), epochs, cpu);
    }

    private static String fmt(List<Double> xs) {
        return PyTorchSide.fmt(xs);
    }

    private static double cpuSeconds() {
        return PyTorchSide.cpuSeconds();
    }
}
