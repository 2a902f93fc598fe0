package dev.compresso.prune;

import dev.compresso.model.Network;
import dev.compresso.quantize.QuantConstraint;
import dev.compresso.share.CodebookConstraint;
import dev.compresso.train.Constraint;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Unstructured magnitude pruning: zero the weights of smallest absolute value, keep them zero
 * during fine-tuning. Immutable; each setter returns a changed copy.
 *
 * <pre>{@code
 * var pruned = base.prune(magnitude().sparsity(0.92).gradual(3).finetune(2));
 * var global = base.prune(magnitude().sparsity(0.9).global());
 * var some   = base.prune(magnitude().count(10_000).select(weights().layers("02Linear")));
 * }</pre>
 *
 * <p>With {@code gradual(n)}, pruning happens in {@code n} rounds whose sparsities follow Zhu and
 * Gupta's cubic ramp from 0 to the target, each round followed by the fine-tuning epochs.
 */
public final class Magnitude {

    private final double sparsity;
    private final long count;
    private final boolean global;
    private final Selector selector;
    private final Map<String, Double> perLayer;
    private final int rounds;
    private final int finetuneEpochs;
    private final double finetuneRate;
    private final String name;
    private final Schedule schedule;

    private Magnitude(double sparsity, long count, boolean global, Selector selector, Map<String, Double> perLayer,
            int rounds, int finetuneEpochs, double finetuneRate, String name, Schedule schedule) {
        this.schedule = schedule;
        this.finetuneRate = finetuneRate;
        this.sparsity = sparsity;
        this.count = count;
        this.global = global;
        this.selector = selector;
        this.perLayer = Map.copyOf(perLayer);
        this.rounds = rounds;
        this.finetuneEpochs = finetuneEpochs;
        this.name = name;
    }

    /** Magnitude pruning of the default selection (weights of Linear and Conv2d layers); set an amount next. */
    public static Magnitude magnitude() {
        return new Magnitude(Double.NaN, -1, false, Selector.weights(), Map.of(), 1, 0, Double.NaN, null, null);
    }

    /** Prunes this fraction of each selected parameter (or of all of them, with {@link #global()}), in [0, 1). */
    public Magnitude sparsity(double fraction) {
        Schedule.checkSparsity("sparsity", fraction);
        return new Magnitude(fraction, -1, global, selector, perLayer, rounds, finetuneEpochs, finetuneRate, name, schedule);
    }

    /** Prunes exactly {@code n} weights of each selected parameter (or in total, with {@link #global()}). */
    public Magnitude count(long n) {
        if (n < 0) {
            throw new IllegalArgumentException("count=" + n + " must be ≥ 0");
        }
        return new Magnitude(Double.NaN, n, global, selector, perLayer, rounds, finetuneEpochs, finetuneRate, name, schedule);
    }

    /**
     * Overrides the sparsity of one layer or parameter, for example Han et al.'s per-layer rates.
     *
     * @param layer a layer name ({@code 02Linear}) or parameter name ({@code 02Linear_weight})
     * @param fraction its sparsity, in [0, 1)
     */
    public Magnitude sparsity(String layer, double fraction) {
        Schedule.checkSparsity("sparsity for layer '" + layer + "'", fraction);
        Map<String, Double> m = new LinkedHashMap<>(perLayer);
        m.put(layer, fraction);
        return new Magnitude(sparsity, count, global, selector, m, rounds, finetuneEpochs, finetuneRate, name, schedule);
    }

    /** One threshold across all selected parameters instead of one per parameter. */
    public Magnitude global() {
        return new Magnitude(sparsity, count, true, selector, perLayer, rounds, finetuneEpochs, finetuneRate, name, schedule);
    }

    /** Prunes the parameters {@code s} picks. */
    public Magnitude select(Selector s) {
        return new Magnitude(sparsity, count, global, s, perLayer, rounds, finetuneEpochs, finetuneRate, name, schedule);
    }

    /** Prunes in {@code n} rounds on the cubic ramp, fine-tuning after each. */
    public Magnitude gradual(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("gradual(" + n + "): rounds must be ≥ 1");
        }
        return new Magnitude(sparsity, count, global, selector, perLayer, n, finetuneEpochs, finetuneRate, name, schedule);
    }

    /** Fine-tunes {@code epochs} epochs after each round, on the data and options of the model's last training. */
    public Magnitude finetune(int epochs) {
        if (epochs < 0) {
            throw new IllegalArgumentException("finetune(" + epochs + "): epochs must be ≥ 0");
        }
        return new Magnitude(sparsity, count, global, selector, perLayer, rounds, epochs, finetuneRate, name, schedule);
    }

    /** Fine-tunes {@code epochs} epochs after each round at another learning rate (Han et al. lower it). */
    public Magnitude finetune(int epochs, double learningRate) {
        if (!(learningRate > 0)) {
            throw new IllegalArgumentException("learningRate=" + learningRate + " must be > 0; for example 3e-4");
        }
        return new Magnitude(sparsity, count, global, selector, perLayer, rounds, finetune(epochs).finetuneEpochs,
                learningRate, name, schedule);
    }

    /**
     * Prunes during fine-tuning on a step schedule instead of in rounds: masks are recomputed at
     * the schedule's steps (optimizer steps of the fine-tuning), for example Zhu and Gupta's
     * {@code polynomial(0, 0.9, 0, 900, 100)}. Needs {@link #finetune(int)} epochs that cover the
     * schedule's end. Per-parameter thresholds; the schedule gives the sparsity.
     */
    public Magnitude schedule(Schedule s) {
        return new Magnitude(sparsity, count, global, selector, perLayer, rounds, finetuneEpochs, finetuneRate, name, s);
    }

    /** Names the pruned model (default: the input's name + {@code -pruned}). */
    public Magnitude named(String newName) {
        return new Magnitude(sparsity, count, global, selector, perLayer, rounds, finetuneEpochs, finetuneRate, newName, schedule);
    }

    /** The chain step this pruning adds. */
    public String describe() {
        StringBuilder sb = new StringBuilder("prune(magnitude, ");
        sb.append(count >= 0 ? "count=" + count : String.format(Locale.ROOT, "sparsity=%.3g", sparsity));
        if (!perLayer.isEmpty()) {
            sb.append(", per layer ").append(perLayer);
        }
        sb.append(global ? ", global" : ", per parameter");
        if (rounds > 1) {
            sb.append(", rounds=").append(rounds);
        }
        if (finetuneEpochs > 0) {
            sb.append(", finetune=").append(finetuneEpochs);
            if (!Double.isNaN(finetuneRate)) {
                sb.append(" at lr=").append(finetuneRate);
            }
        }
        return sb.append(')').toString();
    }

    @Override
    public String toString() {
        return describe();
    }

    /**
     * Prunes a copy of {@code network}; the input is untouched. Fine-tunes and evaluates on the data
     * of the network's last training when it has one, and records the result in the log.
     *
     * @param network the model to prune
     * @return the pruned model, whose masks hold during any later training
     */
    public Network apply(Network network) {
        if (network.constraint(QuantConstraint.class) != null) {
            throw new IllegalStateException(
                    "network '" + network.name() + "' is quantized; prune before quantizing: the zeros are exactly"
                            + " representable, so quantizing a pruned model keeps them, but pruning a quantized one"
                            + " fights its straight-through latent weights");
        }
        if (network.constraint(CodebookConstraint.class) != null) {
            throw new IllegalStateException(
                    "network '" + network.name() + "' is weight-shared; prune before sharing: sharing fixes each"
                            + " weight's cluster, and fine-tuning would move pruned weights back to their centroid");
        }
        List<String> params = selector.resolve(network);
        if (schedule != null) {
            return applyScheduled(network, params);
        }
        if (Double.isNaN(sparsity) && count < 0) {
            throw new IllegalArgumentException(
                    "magnitude pruning needs an amount: add .sparsity(0.9) or .count(1000)");
        }
        Selector.checkCovered(perLayer, params, "per-layer sparsity");
        Map<String, float[]> weights = new LinkedHashMap<>();
        for (String p : params) {
            weights.put(p, network.weights(p));
        }
        checkCounts(weights);
        long start = System.nanoTime();
        String newName = name != null ? name : network.name() + "-pruned";
        Network current = null;
        for (int r = 1; r <= rounds; r++) {
            double progress = (double) r / rounds;
            double share = 1 - Math.pow(1 - progress, 3); // cubic ramp: share of the final amount reached
            Network source = current == null ? network : current;
            Map<String, float[]> masks = masks(source, params, share);
            Network pruned = source.withConstraint(newName, null, new MaskConstraint(masks));
            if (current != null) {
                current.close();
            }
            current = pruned;
            if (finetuneEpochs > 0) {
                Network tuned = current.finetuneQuietly(finetuneEpochs, finetuneRate);
                current.close();
                current = tuned;
            }
        }
        Network result = current.withStep(describe());
        return result.evaluatedLike(network, start);
    }

    private Network applyScheduled(Network network, List<String> params) {
        if (finetuneEpochs == 0 || network.trainedOn() == null) {
            throw new IllegalArgumentException(
                    "a pruning schedule runs during fine-tuning: add .finetune(epochs) and prune a trained model");
        }
        long start = System.nanoTime();
        int batches = (network.trainedOn().train().size() + network.trainOptions().batchSize() - 1)
                / network.trainOptions().batchSize();
        long steps = (long) batches * finetuneEpochs;
        String newName = name != null ? name : network.name() + "-pruned";
        ScheduledMask scheduled = new ScheduledMask(schedule, params);
        String step = "prune(magnitude, " + schedule.describe() + ", finetune=" + finetuneEpochs + ")";
        if (schedule.sparsity(steps) < schedule.sparsity(Long.MAX_VALUE / 2)) {
            throw new IllegalArgumentException(
                    "schedule " + schedule.describe() + " does not reach its target within the fine-tuning's "
                            + steps + " steps (" + finetuneEpochs + " epochs × " + batches + " batches);"
                            + " end it by step " + steps + " or fine-tune longer");
        }
        try (Network withSchedule = network.withConstraint(newName, step, scheduled);
                Network tuned = withSchedule.finetuneQuietly(finetuneEpochs, finetuneRate)) {
            return tuned.withConstraint(newName, null, scheduled.current()).evaluatedLike(network, start);
        }
    }

    private void checkCounts(Map<String, float[]> weights) {
        if (count < 0) {
            return;
        }
        long total = 0;
        for (Map.Entry<String, float[]> w : weights.entrySet()) {
            total += w.getValue().length;
            if (!global && count > w.getValue().length) {
                throw new IllegalArgumentException(String.format(
                        "count=%d is larger than parameter '%s' (%,d weights); give a count ≤ %d or a sparsity",
                        count, w.getKey(), w.getValue().length, w.getValue().length));
            }
        }
        if (global && count > total) {
            throw new IllegalArgumentException(String.format(
                    "count=%d is larger than the %,d selected weights; give a count ≤ %d", count, total, total));
        }
    }

    /** The masks for one round, reaching {@code share} of the final amount, ANDed with existing masks. */
    private Map<String, float[]> masks(Network source, List<String> params, double share) {
        Map<String, float[]> existing = new LinkedHashMap<>();
        for (Constraint c : source.constraints()) {
            if (c instanceof MaskConstraint m) {
                existing.putAll(m.masks());
            }
        }
        Map<String, float[]> masks = new LinkedHashMap<>(existing);
        if (global && perLayer.isEmpty()) {
            float[][] all = new float[params.size()][];
            long total = 0;
            for (int i = 0; i < all.length; i++) {
                all[i] = source.weights(params.get(i));
                total += all[i].length;
            }
            long k = count >= 0 ? Math.round(count * share) : Math.round(sparsity * share * total);
            float[][] m = Masks.smallest(all, k);
            for (int i = 0; i < all.length; i++) {
                masks.put(params.get(i), and(m[i], existing.get(params.get(i))));
            }
        } else {
            for (String p : params) {
                float[] w = source.weights(p);
                double s = sparsityFor(p);
                long k = count >= 0 && !perLayerHas(p) ? Math.round(count * share) : Math.round(s * share * w.length);
                masks.put(p, and(Masks.smallest(w, (int) k), existing.get(p)));
            }
        }
        return masks;
    }

    private boolean perLayerHas(String param) {
        return Selector.perLayer(perLayer, param, null) != null;
    }

    private double sparsityFor(String param) {
        return Selector.perLayer(perLayer, param, sparsity);
    }

    private static float[] and(float[] mask, float[] old) {
        if (old == null) {
            return mask;
        }
        float[] m = mask.clone();
        for (int i = 0; i < m.length; i++) {
            m[i] *= old[i];
        }
        return m;
    }
}
