package dev.compresso.bench;

import dev.compresso.Compresso;
import dev.compresso.data.DataSplit;
import dev.compresso.eval.Grid;
import dev.compresso.eval.Sweep;
import dev.compresso.model.Network;
import dev.compresso.model.TorchRuntime;
import dev.compresso.prune.Magnitude;
import dev.compresso.runs.Run;
import dev.compresso.spark.LocalCluster;
import dev.compresso.spark.Spark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Sweeps on Spark against the sequential sweep: 8 configurations (magnitude pruning at 8 sparsities
 * of a trained LeNet-300-100, each fine-tuned one epoch on all of Fashion-MNIST).
 * Usage: SparkBench local | cluster
 *   local:   sequential at 1 and 2 PyTorch threads, then local[2] (one thread per task), same JVM
 *   cluster: a LocalCluster with one worker: first-task cost, then per-task overhead beyond training
 */
public final class SparkBench {

    static final Grid GRID = Grid.of("sparsity", 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95);

    /** The base, made once per JVM (the driver in local mode, each executor on a cluster). */
    static Network base() {
        return Spark.perWorker("bench-base", () -> Compresso.lenet300100().train(Compresso.fashionMnist(), Compresso.epochs(1).quiet()));
    }

    static Sweep.Recipe recipe() {
        return p -> base().prune(Magnitude.magnitude().sparsity(p.get("sparsity")).finetune(1));
    }

    public static void main(String[] args) {
        System.out.println(Compresso.versions());
        if (args.length > 0 && args[0].equals("cluster")) {
            cluster();
        } else {
            local();
        }
        Spark.stop();
    }

    static void local() {
        DataSplit d = base().trainedOn(); // trains the base once, before any timing
        System.out.println("base: " + base().evaluation() + " on " + d);
        double[] seq = new double[3];
        for (int threads : new int[] {1, 2}) {
            Compresso.threads(threads);
            double[] t = timed(() -> Sweep.run(null, GRID, new long[0], recipe(), Sweep.HERE));
            seq[threads] = t[0];
            System.out.printf(Locale.ROOT, "sequential, %d PyTorch thread(s): %.1f s wall, %.1f s CPU (%.2f cores) for %d configurations, %s%n",
                    threads, t[0], t[1], t[1] / t[0], (int) t[2], load());
        }
        Spark spark = Spark.spark("local[2]");
        Sweep.run(null, Grid.of("sparsity", 0.1), new long[0], recipe(), spark); // starts the context: not timed
        double[] t = timed(() -> Sweep.run(null, GRID, new long[0], recipe(), spark));
        double par = t[0];
        System.out.printf(Locale.ROOT, "local[2], 1 PyTorch thread per task: %.1f s wall, %.1f s CPU (%.2f cores) for %d configurations, %s%n",
                t[0], t[1], t[1] / t[0], (int) t[2], load());
        System.out.printf(Locale.ROOT, "speed-up of local[2]: %.2fx over sequential at 2 threads, %.2fx over sequential at 1 thread%n",
                seq[2] / par, seq[1] / par);
    }

    /** {wall seconds, process CPU seconds, finished runs} of one sweep. */
    static double[] timed(java.util.function.Supplier<Sweep> sweep) {
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        long c0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        Sweep s = sweep.get();
        return new double[] {(System.nanoTime() - t0) / 1e9, (os.getProcessCpuTime() - c0) / 1e9, s.runs().rowCount()};
    }

    /** The machine's load average, which says how much of the 2 cores other processes took. */
    static String load() {
        try {
            return "load average " + Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (java.io.IOException e) {
            return "load average unknown";
        }
    }

    static void cluster() {
        try (LocalCluster c = LocalCluster.start(Path.of("target", "bench-spark-home"), 1)) {
            Spark spark = Spark.spark(c.url()).conf("spark.executor.memory", "2g");
            for (String round : List.of("cold (executor starts, fetches the jars, loads PyTorch, reads the data, trains the base)", "warm")) {
                List<Double> arrivals = new ArrayList<>();
                List<Double> training = new ArrayList<>();
                long t0 = System.nanoTime();
                List<Grid.Params> todo = round.startsWith("cold") ? GRID.configurations().subList(0, 1) : GRID.configurations();
                spark.run(null, todo, recipe(), (Run r) -> {
                    arrivals.add((System.nanoTime() - t0) / 1e9);
                    training.add(r.seconds());
                });
                double wall = arrivals.get(arrivals.size() - 1);
                double trained = training.stream().mapToDouble(Double::doubleValue).sum();
                System.out.printf(Locale.ROOT, "%s: %d task(s) on 1 worker, %.2f s wall, %.2f s inside the recipe, overhead %.3f s per task%n",
                        round, todo.size(), wall, trained, (wall - trained) / todo.size());
                if (round.startsWith("cold")) {
                    System.out.printf(Locale.ROOT, "first-task cost: %.2f s from submitting to the first result, of which %.2f s in the recipe"
                            + " (the base's training included)%n", arrivals.get(0), training.get(0));
                }
            }
        }
        System.out.println("threads in this JVM after the sweep: " + TorchRuntime.threads());
    }
}
