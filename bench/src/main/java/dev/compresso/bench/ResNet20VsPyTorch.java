package dev.compresso.bench;

import static dev.compresso.Compresso.*;

import dev.compresso.data.DataSplit;
import dev.compresso.eval.ExperimentLog;
import dev.compresso.model.Network;
import dev.compresso.model.TorchRuntime;
import dev.compresso.model.Zoo;
import dev.compresso.train.TrainingHistory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Epoch time of {@code resnet(20)} on Fashion-MNIST (batch 128, Adam, lr 1e-3), Compresso/DJL vs
 * the same network in PyTorch ({@code bench/pytorch_resnet20.py}, Debian's python3-torch), the same
 * number of intra-op threads on each side, in one run.
 *
 * <p>An "epoch" is the first {@code batches} × 128 training images ({@code batches = 0}: all
 * 60,000), so that several epochs of both sides fit in one run. Each round trains a fresh network
 * for {@code epochs} epochs on each side, the order of the sides swapping every round; the first
 * epoch of every round is a warm-up and is not counted. Wall and process CPU time are reported.
 *
 * <p>Usage: {@code ResNet20VsPyTorch [batches=100] [epochs=4] [threads=1] [python=/usr/bin/python3] [rounds=2]};
 * run with {@code COMPRESSO_THREADS=threads} (the engine reads it once, at load).
 */
public final class ResNet20VsPyTorch {

    public static void main(String[] args) throws Exception {
        int batches = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        int epochs = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        String python = args.length > 3 ? args[3] : "/usr/bin/python3";
        int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 2;
        if (epochs < 2) {
            throw new IllegalArgumentException("epochs=" + epochs + " must be ≥ 2: the first epoch of each round is a warm-up");
        }
        Path script = Path.of(System.getProperty("bench.dir", "bench"), "pytorch_resnet20.py");

        DataSplit full = fashionMnist();
        DataSplit data = batches > 0 ? full.subset(batches * 128, 256) : full;
        System.out.printf(Locale.ROOT, "data %s; DJL %s, PyTorch (DJL's libtorch) %s, intra-op threads %d%n",
                data, TorchRuntime.djlVersion(), TorchRuntime.pytorchVersion(), TorchRuntime.threads());
        if (TorchRuntime.threads() != threads) {
            System.out.println("WARNING: DJL side has " + TorchRuntime.threads() + " threads, not " + threads
                    + "; set COMPRESSO_THREADS=" + threads);
        }
        ExperimentLog scratch = new ExperimentLog();
        var opts = epochs(epochs).batchSize(128).optimizer("adam").learningRate(1e-3)
                .evaluateEachEpoch(false).quiet().log(scratch);

        List<Double> djl = new ArrayList<>();
        List<Double> torch = new ArrayList<>();
        List<Double> djlCpu = new ArrayList<>();
        List<Double> torchCpu = new ArrayList<>();
        for (int r = 1; r <= rounds; r++) {
            boolean torchFirst = r % 2 == 0;
            for (int side = 0; side < 2; side++) {
                List<Double> wall;
                List<Double> cpu = new ArrayList<>();
                String who;
                if ((side == 0) == torchFirst) {
                    who = "pytorch";
                    wall = PyTorchSide.run(List.of(python, script.toString(), "--epochs", String.valueOf(epochs),
                            "--batches", String.valueOf(batches), "--threads", String.valueOf(threads),
                            "--seed", String.valueOf(41 + r)), epochs, cpu);
                } else {
                    who = "djl    ";
                    wall = trainDjl(data, opts.seed(41 + r), cpu);
                }
                System.out.printf(Locale.ROOT, "round %d %s epochs (s): %s, cpu %s (first is warm-up)%n", r, who,
                        PyTorchSide.fmt(wall), PyTorchSide.fmt(cpu));
                boolean isTorch = who.startsWith("pytorch");
                (isTorch ? torch : djl).addAll(wall.subList(1, wall.size()));
                (isTorch ? torchCpu : djlCpu).addAll(cpu.subList(1, cpu.size()));
            }
        }
        int perEpoch = batches > 0 ? batches : (60_000 + 127) / 128;
        System.out.printf(Locale.ROOT, "threads %d, %d batches of 128 per epoch, warm-up epochs excluded%n", threads, perEpoch);
        System.out.println("DJL     epoch wall: " + Stats.summary(djl, "%.3f s"));
        System.out.println("PyTorch epoch wall: " + Stats.summary(torch, "%.3f s"));
        System.out.printf(Locale.ROOT, "ratio DJL/PyTorch wall (median/median): %.3f%n", Stats.median(djl) / Stats.median(torch));
        System.out.println("DJL     epoch CPU: " + Stats.summary(djlCpu, "%.3f s"));
        System.out.println("PyTorch epoch CPU: " + Stats.summary(torchCpu, "%.3f s"));
        System.out.printf(Locale.ROOT, "ratio DJL/PyTorch CPU (median/median): %.3f%n", Stats.median(djlCpu) / Stats.median(torchCpu));
        System.out.printf(Locale.ROOT, "per batch (wall median): DJL %.1f ms, PyTorch %.1f ms; full 469-batch epoch ≈ DJL %.0f s, PyTorch %.0f s%n",
                1e3 * Stats.median(djl) / perEpoch, 1e3 * Stats.median(torch) / perEpoch,
                469 * Stats.median(djl) / perEpoch, 469 * Stats.median(torch) / perEpoch);
    }

    /** Trains a fresh resnet(20); wall seconds per epoch as Fit records them, CPU seconds into {@code cpu}. */
    private static List<Double> trainDjl(DataSplit data, dev.compresso.train.TrainOptions opts, List<Double> cpu) {
        double[] mark = {0};
        var timed = opts.listener(p -> {
            if (!p.done() && p.batch() == p.batches()) {
                double now = PyTorchSide.cpuSeconds();
                cpu.add(now - mark[0]);
                mark[0] = now;
            }
        });
        List<Double> wall = new ArrayList<>();
        try (Network base = Network.create(Zoo.resnet(20), opts.seed())) {
            mark[0] = PyTorchSide.cpuSeconds();
            try (Network net = base.train(data, timed)) {
                for (TrainingHistory.Epoch e : net.history().epochs()) {
                    wall.add(e.seconds());
                }
            }
        }
        return wall;
    }
}
