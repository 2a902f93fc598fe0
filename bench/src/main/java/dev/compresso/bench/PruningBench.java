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
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Issue 3's speed numbers:
 * <ol>
 *   <li>inference latency of LeNet-300-100 dense, masked (half the hidden neurons zeroed) and shrunk
 *       (half the hidden neurons removed), at batch 1 and batch 256, interleaved (the order rotates
 *       every round), medians; measured twice: through {@link Network#outputs} (includes copying the
 *       samples into a native tensor and the logits back to a Java array, as a user's call does) and
 *       as the bare {@code block.forward} on a prebuilt input tensor (native work only);
 *   <li>time per training epoch (Fit's epoch seconds: training loop only, no evaluation) with and
 *       without a 92 % magnitude mask re-applied after every optimizer step, one untimed epoch of
 *       each first, then rounds whose order alternates, medians; also the training thread's CPU
 *       time of each {@code train} call (less sensitive to other processes; includes the copy and
 *       the final test pass, the same on both sides) and, directly, the thread CPU time of the
 *       mask's {@code apply} per step, which is all the masked epoch does in addition.
 * </ol>
 * Usage: {@code bench/run.sh pruning [latencyRounds] [epochRounds]}.
 */
public final class PruningBench {

    private static final java.lang.management.ThreadMXBean CPU = java.lang.management.ManagementFactory.getThreadMXBean();

    private PruningBench() {}

    public static void main(String[] args) {
        int latencyRounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        int epochRounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
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
                Network[] nets = {base, masked, shrunk};
                String[] names = {"dense", "masked", "shrunk"};
                for (boolean bare : new boolean[] {false, true}) {
                    List<List<Double>> t = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
                    for (Network n : nets) {
                        time(n, input, calls, bare); // warm-up
                    }
                    for (int r = 0; r < latencyRounds; r++) {
                        for (int k = 0; k < 3; k++) {
                            int i = (r + k) % 3; // rotate the order every round
                            t.get(i).add(time(nets[i], input, calls, bare));
                        }
                    }
                    StringBuilder sb = new StringBuilder();
                    for (int i = 0; i < 3; i++) {
                        sb.append(i == 0 ? "" : " | ").append(names[i]).append(' ').append(Stats.summary(t.get(i), "%.1f"));
                    }
                    System.out.printf(Locale.ROOT, "batch %d, %s, µs per forward: %s | dense/shrunk %.2fx, dense/masked %.2fx%n",
                            batch, bare ? "bare block.forward" : "Network.outputs", sb,
                            Stats.median(t.get(0)) / Stats.median(t.get(2)), Stats.median(t.get(0)) / Stats.median(t.get(1)));
                }
            }

            try (Network pruned = base.prune(Magnitude.magnitude().sparsity(0.92))) {
                List<Double> plain = new ArrayList<>();
                List<Double> withMask = new ArrayList<>();
                List<Double> plainCpu = new ArrayList<>();
                List<Double> withMaskCpu = new ArrayList<>();
                System.out.printf(Locale.ROOT, "mask: %,d of %,d parameters non-zero; constraints %s%n",
                        pruned.nonZeroCount(), pruned.parameterCount(), pruned.constraints());
                epoch(base, data, one); // warm-up of both paths
                epoch(pruned, data, one);
                for (int r = 0; r < epochRounds; r++) {
                    for (int k = 0; k < 2; k++) {
                        boolean masking = (r + k) % 2 == 1; // alternate which side goes first
                        long c0 = CPU.getCurrentThreadCpuTime();
                        double secs = epoch(masking ? pruned : base, data, one);
                        double cpu = (CPU.getCurrentThreadCpuTime() - c0) / 1e9;
                        (masking ? withMask : plain).add(secs);
                        (masking ? withMaskCpu : plainCpu).add(cpu);
                    }
                }
                // the mask's own cost, without the noise of whole epochs: apply() on the live weights
                java.util.Map<String, NDArray> params = pruned.parameterArrays();
                List<Double> apply = new ArrayList<>();
                List<Double> applyCpu = new ArrayList<>();
                for (int r = 0; r < 2 + epochRounds; r++) {
                    long t0 = System.nanoTime();
                    long c0 = CPU.getCurrentThreadCpuTime();
                    for (int i = 0; i < 1000; i++) {
                        for (dev.compresso.train.Constraint c : pruned.constraints()) {
                            c.apply(params);
                        }
                    }
                    if (r >= 2) {
                        apply.add((System.nanoTime() - t0) / 1e3 / 1000);
                        applyCpu.add((CPU.getCurrentThreadCpuTime() - c0) / 1e3 / 1000);
                    }
                }
                int steps = (data.train().size() + one.batchSize() - 1) / one.batchSize();
                System.out.printf(Locale.ROOT, "constraint apply, µs per optimizer step: wall %s, thread CPU %s;"
                        + " x %d steps = %.1f ms CPU per epoch = %+.1f %% of the unmasked median epoch (CPU)%n",
                        Stats.summary(apply, "%.1f"), Stats.summary(applyCpu, "%.1f"), steps,
                        Stats.median(applyCpu) * steps / 1e3, 100 * Stats.median(applyCpu) * steps / 1e6 / Stats.median(plainCpu));
                System.out.printf(Locale.ROOT, "epoch seconds: unmasked %s | masked %s | overhead %+.1f %%%n",
                        Stats.summary(plain, "%.2f"), Stats.summary(withMask, "%.2f"),
                        100 * (Stats.median(withMask) / Stats.median(plain) - 1));
                System.out.printf(Locale.ROOT, "train(1 epoch) thread CPU seconds (epoch + copy + final test pass): unmasked %s |"
                        + " masked %s | overhead %+.1f %%%n", Stats.summary(plainCpu, "%.2f"), Stats.summary(withMaskCpu, "%.2f"),
                        100 * (Stats.median(withMaskCpu) / Stats.median(plainCpu) - 1));
            }
        }
    }

    /** Fit's seconds for one epoch of training a copy of {@code n} (the copy is closed). */
    private static double epoch(Network n, DataSplit data, TrainOptions one) {
        try (Network t = n.train(data, one)) {
            return t.history().epochs().get(t.history().size() - 1).seconds();
        }
    }

    /**
     * Mean microseconds per forward pass over {@code calls} calls: through {@link Network#outputs}, or
     * ({@code bare}) as {@code block.forward} on an input tensor built once, freeing each output.
     */
    private static double time(Network n, Samples input, int calls, boolean bare) {
        if (!bare) {
            long t0 = System.nanoTime();
            for (int i = 0; i < calls; i++) {
                n.outputs(input);
            }
            return (System.nanoTime() - t0) / 1e3 / calls;
        }
        long[] shape = n.architecture().inputShape();
        long[] dims = new long[shape.length + 1];
        dims[0] = input.size();
        System.arraycopy(shape, 0, dims, 1, shape.length);
        float[] features = new float[input.size() * input.sampleSize()];
        input.copyFeatures(0, input.size(), features, 0);
        ParameterStore store = new ParameterStore(n.manager(), false);
        try (NDManager m = n.manager().newSubManager()) {
            NDArray x = m.create(features, new Shape(dims));
            long t0 = System.nanoTime();
            for (int i = 0; i < calls; i++) {
                // x joins a per-call manager, so the intermediates land there and are freed with it
                try (NDManager call = m.newSubManager()) {
                    x.tempAttach(call);
                    n.block().forward(store, new NDList(x), false);
                }
            }
            return (System.nanoTime() - t0) / 1e3 / calls;
        }
    }
}
