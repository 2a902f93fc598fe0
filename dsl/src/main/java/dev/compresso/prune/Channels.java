package dev.compresso.prune;

import dev.compresso.model.Architecture;
import dev.compresso.model.Graph;
import dev.compresso.model.Network;
import dev.compresso.model.Op;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Structured pruning of any graph by dependency groups ({@link DependencyGroups}): removes the
 * least important channels of every prunable group, so convolutions, BatchNorms, residual partners
 * and consumers shrink together and the model gets physically smaller and faster. Immutable builder:
 * {@code base.shrink(channels(0.5).l2().finetune(2))}, {@code channels(0.3).global()}, {@code
 * channels(0.5).ratio("s3.b0.conv1", 0.7)}, {@code channels(0.5).rounds(3).finetune(1)}.
 *
 * <p>A channel's importance is the L1 (default) or L2 norm of its producers' output filters, or the
 * absolute BatchNorm scale on it (network slimming, {@link #bnScale()}), summed over the group.
 *
 * <p>A group split into blocks by grouped convolutions ({@link DependencyGroups.Group#convGroups()})
 * loses the same positions in every block, so each convolution keeps its groups with equal widths:
 * a position's importance is summed over the blocks, and each block keeps the nearest whole number
 * to {@code (1 − ratio) ×} its channels. A ratio that would leave a block empty is refused.
 */
public final class Channels {

    private final double ratio;
    private final Map<String, Double> perGroup;
    private final String importance;
    private final boolean global;
    private final int rounds;
    private final int finetuneEpochs;
    private final double finetuneRate;

    private Channels(double ratio, Map<String, Double> perGroup, String importance, boolean global, int rounds, int finetuneEpochs,
            double finetuneRate) {
        this.ratio = ratio;
        this.perGroup = Map.copyOf(perGroup);
        this.importance = importance;
        this.global = global;
        this.rounds = rounds;
        this.finetuneEpochs = finetuneEpochs;
        this.finetuneRate = finetuneRate;
    }

    /**
     * Removes {@code ratio} of the channels of every prunable group.
     *
     * @param ratio in [0, 1)
     * @return the pruner
     */
    public static Channels channels(double ratio) {
        return new Channels(checkRatio("ratio", ratio), Map.of(), "l1", false, 1, -1, Double.NaN);
    }

    /** Ranks channels by the L2 norm of their filters instead of L1. */
    public Channels l2() {
        return new Channels(ratio, perGroup, "l2", global, rounds, finetuneEpochs, finetuneRate);
    }

    /** Ranks channels by the absolute BatchNorm scale on them (network slimming); groups without BatchNorm use L1. */
    public Channels bnScale() {
        return new Channels(ratio, perGroup, "bn", global, rounds, finetuneEpochs, finetuneRate);
    }

    /**
     * Ranks channels across all groups (importance divided by its group's mean) and removes the
     * lowest {@code ratio} of all prunable channels, keeping at least one per group.
     */
    public Channels global() {
        return new Channels(ratio, perGroup, importance, true, rounds, finetuneEpochs, finetuneRate);
    }

    /**
     * Another ratio for one group, by its name (the group's first producer, as {@code groups(net)} lists).
     *
     * @param group the group's name
     * @param groupRatio in [0, 1)
     */
    public Channels ratio(String group, double groupRatio) {
        Map<String, Double> m = new LinkedHashMap<>(perGroup);
        m.put(group, checkRatio("ratio for group '" + group + "'", groupRatio));
        return new Channels(ratio, m, importance, global, rounds, finetuneEpochs, finetuneRate);
    }

    /** Prunes in {@code n} equal rounds, fine-tuning after each, instead of at once. */
    public Channels rounds(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("rounds=" + n + " must be ≥ 1");
        }
        return new Channels(ratio, perGroup, importance, global, n, finetuneEpochs, finetuneRate);
    }

    /** Fine-tunes {@code epochs} after each round on the model's training data (default: 1 if it has any). */
    public Channels finetune(int epochs) {
        if (epochs < 0) {
            throw new IllegalArgumentException("finetune epochs=" + epochs + " must be ≥ 0");
        }
        return new Channels(ratio, perGroup, importance, global, rounds, epochs, finetuneRate);
    }

    /**
     * Fine-tunes {@code epochs} after each round at {@code learningRate} instead of the rate of the
     * model's last training: a model whose training ended on a low rate (a step schedule) recovers
     * from losing channels faster at a higher one, for example {@code channels(0.5).finetune(4, 1e-3)}.
     */
    public Channels finetune(int epochs, double learningRate) {
        if (!(learningRate > 0)) {
            throw new IllegalArgumentException("learningRate=" + learningRate + " must be > 0; for example 1e-3");
        }
        return new Channels(ratio, perGroup, importance, global, rounds, finetune(epochs).finetuneEpochs, learningRate);
    }

    private static double checkRatio(String what, double r) {
        if (!(r >= 0 && r < 1)) {
            throw new IllegalArgumentException(what + "=" + r + " must be in [0, 1): a ratio of 1 would remove every channel"
                    + " of a group; use for example 0.5");
        }
        return r;
    }

    /** The chain step this pruner adds. */
    public String describe() {
        StringBuilder sb = new StringBuilder("channels(").append(ratio);
        if (!importance.equals("l1")) {
            sb.append(", ").append(importance.equals("bn") ? "bn-scale" : "l2");
        }
        if (global) {
            sb.append(", global");
        }
        perGroup.forEach((g, r) -> sb.append(", ").append(g).append('=').append(r));
        if (rounds > 1) {
            sb.append(", rounds=").append(rounds);
        }
        if (!Double.isNaN(finetuneRate)) {
            sb.append(", finetune at lr=").append(finetuneRate);
        }
        return sb.append(')').toString();
    }

    /**
     * Shrinks a copy of {@code network}: rounds of removing channels, each followed by fine-tuning
     * when the network has training data, then an evaluation recorded in the log.
     *
     * @param network a graph network
     * @return the smaller network; {@code network} is unchanged
     * @throws IllegalArgumentException if a per-group ratio names no group or one that cannot be pruned, a
     *     ratio would leave no channel in the blocks of a grouped convolution, or the network has no graph
     */
    public Network apply(Network network) {
        long start = System.nanoTime();
        DependencyGroups first = DependencyGroups.of(network);
        for (String g : perGroup.keySet()) {
            DependencyGroups.Group group = first.group(g);
            if (!group.prunable()) {
                throw new IllegalArgumentException("group '" + g + "' cannot be pruned: " + group.blocked()
                        + "; the prunable groups are " + first.prunable().stream().map(DependencyGroups.Group::name).toList());
            }
        }
        checkBlocks(first);
        Network current = network;
        int epochs = finetuneEpochs >= 0 ? finetuneEpochs : (network.trainedOn() != null ? 1 : 0);
        for (int r = 1; r <= rounds; r++) {
            Network next = shrinkOnce(current, r, network.name() + "-shrunk", r == rounds);
            if (current != network) {
                current.close();
            }
            current = next;
            if (epochs > 0 && current.trainedOn() != null) {
                Network tuned = current.finetuneQuietly(epochs, finetuneRate);
                current.close();
                current = tuned;
            }
        }
        return current.evaluatedLike(network, start);
    }

    /** Round {@code r}: removes channels so that each group keeps {@code 1 − ratio × r / rounds} of its original count. */
    private Network shrinkOnce(Network net, int r, String name, boolean last) {
        Graph graph = net.architecture().graph();
        DependencyGroups groups = DependencyGroups.of(graph);
        Map<String, int[]> keep = choose(net, groups, r);
        return net.rebuilt(name, last ? describe() : null, shrunkArchitecture(net.architecture(), groups, keep),
                shrunkWeights(net, groups, keep));
    }

    /**
     * Refuses a ratio that would leave no channel in the blocks of a group split by grouped
     * convolutions; global ranking always keeps one position per group and needs no check.
     */
    private void checkBlocks(DependencyGroups groups) {
        if (global) {
            return;
        }
        for (DependencyGroups.Group g : groups.prunable()) {
            int n = g.channels() / g.convGroups();
            double q = perGroup.getOrDefault(g.name(), ratio);
            if (g.convGroups() > 1 && kept(n, q, g.convGroups()) < 1) {
                String convs = String.join("', '", groups.groupedConvs(g));
                String asked = perGroup.containsKey(g.name()) ? "ratio(\"" + g.name() + "\", " + q + ")" : "channels(" + q + ")";
                throw new IllegalArgumentException(String.format(Locale.ROOT, "%s would leave 0 of the %d channels in each of the %d"
                        + " blocks of group '%s' (grouped convolution '%s' keeps its groups, each with the same width): every block"
                        + " must keep at least one channel, so this group takes ratios up to %s; give it one, for example"
                        + " channels(%s).ratio(\"%s\", %s)", asked, n, g.convGroups(), g.name(), convs,
                        Math.floor((1 - 0.5 / n) * 1000) / 1000, ratio, g.name(), Math.round((1 - 1.0 / n) * 1000) / 1000.0));
            }
        }
    }

    /**
     * Channels kept of {@code n} (per block) at ratio {@code f}: {@code n − ⌊f·n⌋} for a group of one
     * block; the nearest whole number to {@code (1 − f)·n} for a group of several, where the rounding is
     * repeated in every block.
     */
    static int kept(int n, double f, int blocks) {
        return blocks == 1 ? n - (int) Math.floor(f * n + 1e-9) : (int) Math.round((1 - f) * n);
    }

    /** The share of the current channels to remove in round {@code r} for a final ratio {@code q}. */
    private double roundShare(double q, int r) {
        return 1 - (1 - q * r / rounds) / (1 - q * (r - 1) / rounds);
    }

    /**
     * For every prunable group, the channels to keep (sorted), by group name, in round {@code r}. A
     * group of several blocks is ranked by position within a block (its importance summed over the
     * blocks) and keeps the same positions in every block.
     */
    Map<String, int[]> choose(Network net, DependencyGroups groups, int r) {
        Map<String, double[]> scores = new LinkedHashMap<>(); // per position within a block
        Map<String, Integer> targets = new LinkedHashMap<>(); // positions kept per block
        Map<String, Integer> blocks = new LinkedHashMap<>();
        for (DependencyGroups.Group g : groups.prunable()) {
            scores.put(g.name(), perPosition(scores(net, g), g.convGroups()));
            blocks.put(g.name(), g.convGroups());
        }
        if (!global) {
            for (DependencyGroups.Group g : groups.prunable()) {
                double f = roundShare(perGroup.getOrDefault(g.name(), ratio), r);
                targets.put(g.name(), Math.max(1, kept(g.channels() / g.convGroups(), f, g.convGroups())));
            }
        } else {
            List<double[]> all = new ArrayList<>(); // {normalized score, group index, position}
            List<String> names = new ArrayList<>(scores.keySet());
            int total = 0;
            for (int gi = 0; gi < names.size(); gi++) {
                double[] s = scores.get(names.get(gi));
                double mean = Arrays.stream(s).average().orElse(1);
                for (int c = 0; c < s.length; c++) {
                    all.add(new double[] {mean > 0 ? s[c] / mean : 0, gi, c});
                }
                total += s.length * blocks.get(names.get(gi));
                targets.put(names.get(gi), s.length);
            }
            all.sort((a, b) -> Double.compare(a[0], b[0]));
            int remove = (int) Math.floor(roundShare(ratio, r) * total + 1e-9);
            for (double[] a : all) {
                if (remove <= 0) {
                    break;
                }
                String g = names.get((int) a[1]);
                if (targets.get(g) > 1) {
                    targets.put(g, targets.get(g) - 1);
                    remove -= blocks.get(g); // a position stands for one channel in every block
                }
            }
        }
        Map<String, int[]> keep = new LinkedHashMap<>();
        for (DependencyGroups.Group g : groups.prunable()) {
            double[] s = scores.get(g.name());
            int k = targets.get(g.name());
            Integer[] order = new Integer[s.length];
            for (int i = 0; i < s.length; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> Double.compare(s[b], s[a]));
            int[] positions = new int[k];
            for (int i = 0; i < k; i++) {
                positions[i] = order[i];
            }
            Arrays.sort(positions);
            int[] kept = new int[k * g.convGroups()];
            for (int b = 0; b < g.convGroups(); b++) {
                for (int i = 0; i < k; i++) {
                    kept[b * k + i] = b * s.length + positions[i];
                }
            }
            keep.put(g.name(), kept);
        }
        return keep;
    }

    /** Channel scores summed over {@code blocks} equal blocks: one score per position within a block. */
    private static double[] perPosition(double[] s, int blocks) {
        if (blocks == 1) {
            return s;
        }
        int n = s.length / blocks;
        double[] r = new double[n];
        for (int c = 0; c < s.length; c++) {
            r[c % n] += s[c];
        }
        return r;
    }

    private double[] scores(Network net, DependencyGroups.Group g) {
        double[] s = new double[g.channels()];
        boolean bn = importance.equals("bn") && !g.carriers().isEmpty()
                && g.carriers().stream().anyMatch(c -> net.parameterNames().contains(c + "_gamma"));
        if (bn) {
            for (String c : g.carriers()) {
                if (net.parameterNames().contains(c + "_gamma")) {
                    float[] gamma = net.weights(c + "_gamma");
                    for (int i = 0; i < s.length && i < gamma.length; i++) {
                        s[i] += Math.abs(gamma[i]);
                    }
                }
            }
            return s;
        }
        for (String p : g.producers()) {
            float[] w = net.weights(p + "_weight");
            int per = w.length / s.length;
            for (int c = 0; c < s.length; c++) {
                double sum = 0;
                for (int j = c * per; j < (c + 1) * per; j++) {
                    sum += importance.equals("l2") ? (double) w[j] * w[j] : Math.abs(w[j]);
                }
                s[c] += importance.equals("l2") ? Math.sqrt(sum) : sum;
            }
        }
        return s;
    }

    /**
     * Shrinks each prunable group alone at each ratio, without fine-tuning, and evaluates on the test
     * part of {@code data}: which groups tolerate pruning. The network is untouched.
     *
     * @param network a trained graph network
     * @param data the data to evaluate on
     * @param ratios the ratios to try, each in [0, 1)
     * @return a table with columns {@code group, ratio, top1, loss, params}
     */
    public static tech.tablesaw.api.Table sensitivity(Network network, dev.compresso.data.DataSplit data, double... ratios) {
        if (ratios.length == 0) {
            throw new IllegalArgumentException("give at least one ratio, for example 0.25, 0.5, 0.75");
        }
        tech.tablesaw.api.StringColumn group = tech.tablesaw.api.StringColumn.create("group");
        tech.tablesaw.api.DoubleColumn ratio = tech.tablesaw.api.DoubleColumn.create("ratio");
        tech.tablesaw.api.DoubleColumn top1 = tech.tablesaw.api.DoubleColumn.create("top1");
        tech.tablesaw.api.DoubleColumn loss = tech.tablesaw.api.DoubleColumn.create("loss");
        tech.tablesaw.api.LongColumn params = tech.tablesaw.api.LongColumn.create("params");
        for (DependencyGroups.Group g : DependencyGroups.of(network).prunable()) {
            for (double r : ratios) {
                try (Network one = channels(0).ratio(g.name(), r).finetune(0).shrinkOnce(network, 1, network.name() + "-" + g.name(), true)) {
                    dev.compresso.train.Evaluation e = one.evaluate(data);
                    group.append(g.name());
                    ratio.append(r);
                    top1.append(e.top1());
                    loss.append(e.loss());
                    params.append(one.parameterCount());
                }
            }
        }
        top1.setPrintFormatter(tech.tablesaw.columns.numbers.NumberColumnFormatter.percent(2));
        return tech.tablesaw.api.Table.create("channel sensitivity of " + network.name(), group, ratio, top1, loss, params);
    }

    // ---------------------------------------------------------------- the smaller graph

    /** The kept indices along a node's input channel axis, over its whole layout. */
    private static int[] keptInputs(List<DependencyGroups.Segment> layout, DependencyGroups groups, Map<String, int[]> keep) {
        List<Integer> idx = new ArrayList<>();
        int offset = 0;
        for (DependencyGroups.Segment seg : layout) {
            DependencyGroups.Group g = groups.groupOf(seg.space());
            int[] kept = g != null && keep.containsKey(g.name()) ? keep.get(g.name()) : all(seg.channels());
            for (int c : kept) {
                for (int r = 0; r < seg.repeat(); r++) {
                    idx.add(offset + c * seg.repeat() + r);
                }
            }
            offset += seg.channels() * seg.repeat();
        }
        return idx.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int[] keptOutputs(String node, DependencyGroups groups, Map<String, int[]> keep, int channels) {
        Integer space = groups.outputs.get(node);
        DependencyGroups.Group g = space == null ? null : groups.groupOf(space);
        return g != null && keep.containsKey(g.name()) ? keep.get(g.name()) : all(channels);
    }

    private static int[] all(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        return a;
    }

    static Architecture shrunkArchitecture(Architecture old, DependencyGroups groups, Map<String, int[]> keep) {
        Map<String, Op> ops = new LinkedHashMap<>();
        List<String> widths = new ArrayList<>();
        for (Graph.Node n : old.graph().nodes()) {
            Op op = n.op();
            List<DependencyGroups.Segment> in = groups.inputs.get(n.name());
            if (op instanceof Op.Conv c) {
                if (c.depthwise() && in != null) {
                    int k = keptInputs(in, groups, keep).length;
                    ops.put(n.name(), new Op.Conv(k, k, c.kernel(), c.stride(), c.pads(), c.dilation(), k, c.bias()));
                } else {
                    int inCh = in == null ? c.in() : keptInputs(in, groups, keep).length;
                    int out = keptOutputs(n.name(), groups, keep, c.out()).length;
                    if (inCh != c.in() || out != c.out()) {
                        ops.put(n.name(), new Op.Conv(out, inCh, c.kernel(), c.stride(), c.pads(), c.dilation(), c.groups(), c.bias()));
                        widths.add(n.name() + " " + c.out() + "→" + out);
                    }
                }
            } else if (op instanceof Op.Linear l) {
                int inF = in == null ? l.in() : keptInputs(in, groups, keep).length;
                int out = keptOutputs(n.name(), groups, keep, l.units()).length;
                if (inF != l.in() || out != l.units()) {
                    ops.put(n.name(), new Op.Linear(out, inF, l.bias()));
                    if (out != l.units()) {
                        widths.add(n.name() + " " + l.units() + "→" + out);
                    }
                }
            } else if (op instanceof Op.BatchNorm b && in != null) {
                ops.put(n.name(), new Op.BatchNorm(keptInputs(in, groups, keep).length, b.epsilon(), b.momentum()));
            }
        }
        Graph g = old.graph().withOps(ops);
        String description = old.description() + "; channels pruned: " + String.join(", ", widths.subList(0, Math.min(6,
                widths.size()))) + (widths.size() > 6 ? String.format(Locale.ROOT, " and %d more", widths.size() - 6) : "");
        return Architecture.of(old.name() + "-shrunk", description, g);
    }

    static Map<String, float[]> shrunkWeights(Network net, DependencyGroups groups, Map<String, int[]> keep) {
        Map<String, float[]> w = new LinkedHashMap<>();
        for (Graph.Node n : net.architecture().graph().nodes()) {
            Op op = n.op();
            List<DependencyGroups.Segment> in = groups.inputs.get(n.name());
            if (op instanceof Op.Conv c) {
                long[] shape = net.parameterArray(n.name() + "_weight").getShape().getShape();
                int[] outs = c.depthwise() ? (in == null ? all(c.out()) : keptInputs(in, groups, keep))
                        : keptOutputs(n.name(), groups, keep, c.out());
                int[] ins = c.depthwise() || in == null ? all((int) shape[1])
                        : c.groups() > 1 ? withinBlock(keptInputs(in, groups, keep), c, n.name()) : keptInputs(in, groups, keep);
                w.put(n.name() + "_weight", slice(net.weights(n.name() + "_weight"), shape, outs, ins));
                if (c.bias()) {
                    w.put(n.name() + "_bias", pick(net.weights(n.name() + "_bias"), outs));
                }
            } else if (op instanceof Op.Linear l) {
                long[] shape = {l.units(), l.in()};
                int[] outs = keptOutputs(n.name(), groups, keep, l.units());
                int[] ins = in == null ? all(l.in()) : keptInputs(in, groups, keep);
                w.put(n.name() + "_weight", slice(net.weights(n.name() + "_weight"), shape, outs, ins));
                if (l.bias()) {
                    w.put(n.name() + "_bias", pick(net.weights(n.name() + "_bias"), outs));
                }
            } else if (op instanceof Op.BatchNorm && in != null) {
                int[] kept = keptInputs(in, groups, keep);
                for (String p : n.parameterNames()) {
                    w.put(p, pick(net.weights(p), kept));
                }
            } else {
                for (String p : n.parameterNames()) {
                    w.put(p, net.weights(p));
                }
            }
        }
        return w;
    }

    /**
     * The columns of a grouped convolution's weight {@code [out, in / groups, ...]} that its kept input
     * channels keep: the kept positions of the first block, the same in every block.
     */
    private static int[] withinBlock(int[] keptInputs, Op.Conv c, String node) {
        int block = c.in() / c.groups();
        int[] first = Arrays.stream(keptInputs).filter(i -> i < block).toArray();
        boolean same = first.length > 0 && first.length * c.groups() == keptInputs.length;
        for (int i = 0; same && i < keptInputs.length; i++) {
            same = keptInputs[i] == (i / first.length) * block + first[i % first.length];
        }
        if (!same) {
            throw new IllegalStateException("grouped convolution '" + node + "' (groups=" + c.groups()
                    + ") would keep different input positions in its groups: " + Arrays.toString(keptInputs));
        }
        return first;
    }

    /** Rows {@code outs} and columns {@code ins} of a {@code [out, in, ...]} tensor. */
    private static float[] slice(float[] v, long[] shape, int[] outs, int[] ins) {
        int inner = 1;
        for (int i = 2; i < shape.length; i++) {
            inner *= (int) shape[i];
        }
        int cols = (int) shape[1];
        float[] r = new float[outs.length * ins.length * inner];
        int k = 0;
        for (int o : outs) {
            for (int i : ins) {
                System.arraycopy(v, (o * cols + i) * inner, r, k, inner);
                k += inner;
            }
        }
        return r;
    }

    private static float[] pick(float[] v, int[] idx) {
        float[] r = new float[idx.length];
        for (int i = 0; i < idx.length; i++) {
            r[i] = v[idx[i]];
        }
        return r;
    }

    /**
     * The network with the removed channels zeroed instead of removed (their producers' filters and
     * biases, BatchNorm scales and shifts, depthwise filters): what the shrunk network must compute.
     * For tests and for showing that shrinking changes nothing but the size.
     */
    static Map<String, float[]> masked(Network net, DependencyGroups groups, Map<String, int[]> keep) {
        Map<String, float[]> w = new LinkedHashMap<>();
        for (String p : net.parameterNames()) {
            w.put(p, net.weights(p));
        }
        for (Map.Entry<String, Integer> e : groups.outputs.entrySet()) {
            Op op = net.architecture().graph().node(e.getKey()).op();
            int rows = op instanceof Op.Conv c ? c.out() : ((Op.Linear) op).units();
            zeroRows(w, e.getKey(), List.of(new DependencyGroups.Segment(e.getValue(), rows, 1)), groups, keep);
        }
        for (Map.Entry<String, List<DependencyGroups.Segment>> e : groups.inputs.entrySet()) {
            Op op = net.architecture().graph().node(e.getKey()).op();
            if (op instanceof Op.BatchNorm || (op instanceof Op.Conv c && c.depthwise())) {
                zeroRows(w, e.getKey(), e.getValue(), groups, keep);
            }
        }
        return w;
    }

    /** Zeroes, in a node's per-channel parameters, the rows of removed channels of each segment of its layout. */
    private static void zeroRows(Map<String, float[]> w, String node, List<DependencyGroups.Segment> layout, DependencyGroups groups,
            Map<String, int[]> keep) {
        int channels = 0;
        for (DependencyGroups.Segment s : layout) {
            channels += s.channels();
        }
        for (String suffix : new String[] {"_weight", "_bias", "_gamma", "_beta"}) {
            float[] v = w.get(node + suffix);
            if (v == null || channels <= 0 || v.length % channels != 0) {
                continue;
            }
            int per = v.length / channels;
            int offset = 0;
            for (DependencyGroups.Segment s : layout) {
                DependencyGroups.Group g = groups.groupOf(s.space());
                if (g != null && keep.containsKey(g.name())) {
                    boolean[] kept = new boolean[s.channels()];
                    for (int c : keep.get(g.name())) {
                        kept[c] = true;
                    }
                    for (int c = 0; c < s.channels(); c++) {
                        if (!kept[c]) {
                            Arrays.fill(v, (offset + c) * per, (offset + c + 1) * per, 0f);
                        }
                    }
                }
                offset += s.channels();
            }
        }
    }
}
