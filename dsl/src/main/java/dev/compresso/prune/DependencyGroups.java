package dev.compresso.prune;

import dev.compresso.model.Graph;
import dev.compresso.model.Network;
import dev.compresso.model.Op;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * The channels of a graph that must be removed together, found as Torch-Pruning's DepGraph does:
 * each Conv2d or Linear starts a channel space; element-wise ops, BatchNorm, pooling and depthwise
 * convolutions carry it; a residual add or a squeeze-excitation multiply joins its inputs' spaces;
 * a concatenation lays spaces side by side (with offsets); a flatten repeats each channel over the
 * spatial positions. A group is a joined space: its producers' output channels, every BatchNorm and
 * depthwise convolution on the way, and every consumer's input channels. A group that reaches the
 * network's input or output, or a reshape or transpose that mixes channels, cannot be pruned
 * safely; it is kept and its reason named.
 *
 * <p>A grouped convolution (groups G > 1, not depthwise, as in ResNeXt and RegNet) keeps its G
 * groups when pruned, each with the same number of input and output channels, so its weight {@code
 * [out, in / G, kh, kw]} stays rectangular: the group it reads and the group it writes are split
 * into G equal blocks ({@link Group#convGroups()}), and pruning removes the same positions from
 * every block, as Torch-Pruning's channel groups do. A group touched by grouped convolutions with
 * different G is split into their least common multiple. A group with one channel per block cannot
 * lose any; it is kept and named so.
 */
public final class DependencyGroups {

    /** A run of channels of one space inside a value's channel axis; {@code repeat} > 1 after a flatten. */
    record Segment(int space, int channels, int repeat) {}

    /**
     * One group.
     *
     * @param name the name of its first producer node
     * @param channels how many channels it has
     * @param convGroups the equal blocks its channels form for the grouped convolutions that read or
     *     write it (1 if none do); pruning removes the same positions from every block
     * @param producers the Conv2d and Linear nodes whose output channels it is
     * @param carriers the BatchNorm and depthwise nodes that carry it
     * @param consumers the nodes whose input channels it feeds
     * @param blocked why it cannot be pruned, or null if it can
     */
    public record Group(String name, int channels, int convGroups, List<String> producers, List<String> carriers,
            List<String> consumers, String blocked) {
        /** True if the group can be pruned. */
        public boolean prunable() {
            return blocked == null;
        }
    }

    private final Graph graph;
    private final int[] parent;
    private final List<Integer> sizes = new ArrayList<>();
    private final List<String> blockedBy = new ArrayList<>();
    /** Per space: into how many equal blocks grouped convolutions split it (1 if none). */
    private final List<Integer> folds = new ArrayList<>();
    private final List<List<String>> producers = new ArrayList<>();
    private final Map<String, List<Segment>> layouts = new LinkedHashMap<>();
    /** The input channel layout of each consumer, carrier (BatchNorm, depthwise) and the output space of each producer. */
    final Map<String, List<Segment>> inputs = new LinkedHashMap<>();
    final Map<String, Integer> outputs = new LinkedHashMap<>();
    private final List<Group> groups = new ArrayList<>();
    private final Map<Integer, Group> byRoot = new LinkedHashMap<>();

    private DependencyGroups(Graph graph) {
        this.graph = graph;
        this.parent = new int[4 * graph.nodes().size() + 8];
        build();
    }

    /**
     * The groups of a graph network.
     *
     * @param network a network with a graph (zoo, onnx(...), wrap(...))
     * @return its groups
     * @throws IllegalArgumentException if the network wraps an opaque block
     */
    public static DependencyGroups of(Network network) {
        if (!network.architecture().isGraph()) {
            throw new IllegalArgumentException("network '" + network.name() + "' wraps an opaque block ("
                    + network.architecture().description() + "); dependency groups need a graph: bring it in through onnx(...)");
        }
        return new DependencyGroups(network.architecture().graph());
    }

    static DependencyGroups of(Graph graph) {
        return new DependencyGroups(graph);
    }

    /** All groups, prunable or not, in the order of their first producer. */
    public List<Group> groups() {
        return groups;
    }

    /** The prunable groups. */
    public List<Group> prunable() {
        return groups.stream().filter(Group::prunable).toList();
    }

    /**
     * The group with this name.
     *
     * @throws IllegalArgumentException if there is none; the message lists the groups
     */
    public Group group(String name) {
        for (Group g : groups) {
            if (g.name().equals(name)) {
                return g;
            }
        }
        throw new IllegalArgumentException("there is no group '" + name + "'; the groups are "
                + groups.stream().map(Group::name).toList());
    }

    /**
     * One row per group: name, channels, the grouped convolutions that split it (as {@code ×G: node,
     * ...}), producers, carriers, consumers, prunable or why not.
     */
    public Table table() {
        StringColumn name = StringColumn.create("group");
        IntColumn channels = IntColumn.create("channels");
        StringColumn grouped = StringColumn.create("grouped conv");
        StringColumn prod = StringColumn.create("producers");
        StringColumn carr = StringColumn.create("batchnorm / depthwise");
        StringColumn cons = StringColumn.create("consumers");
        StringColumn status = StringColumn.create("prunable");
        for (Group g : groups) {
            name.append(g.name());
            channels.append(g.channels());
            grouped.append(g.convGroups() == 1 ? "" : "×" + g.convGroups() + ": " + String.join(", ", groupedConvs(g)));
            prod.append(String.join(", ", g.producers()));
            carr.append(String.join(", ", g.carriers()));
            cons.append(String.join(", ", g.consumers()));
            status.append(g.prunable() ? "yes" : "no: " + g.blocked());
        }
        return Table.create("dependency groups", name, channels, grouped, prod, carr, cons, status);
    }

    @Override
    public String toString() {
        return table().printAll();
    }

    /** The grouped convolutions (groups > 1, not depthwise) among a group's producers and consumers. */
    List<String> groupedConvs(Group g) {
        Set<String> names = new LinkedHashSet<>();
        for (List<String> l : List.of(g.producers(), g.consumers())) {
            for (String n : l) {
                if (graph.node(n).op() instanceof Op.Conv c && grouped(c)) {
                    names.add(n);
                }
            }
        }
        return List.copyOf(names);
    }

    /** True for a convolution with groups > 1 that is not depthwise. */
    static boolean grouped(Op.Conv c) {
        return c.groups() > 1 && !c.depthwise();
    }

    /** The group a space belongs to (after joins). */
    Group groupOf(int space) {
        return byRoot.get(find(space));
    }

    // ---------------------------------------------------------------- building

    private int space(int channels, String blocked) {
        int id = sizes.size();
        sizes.add(channels);
        blockedBy.add(blocked);
        folds.add(1);
        producers.add(new ArrayList<>());
        parent[id] = id;
        return id;
    }

    private int find(int s) {
        while (parent[s] != s) {
            parent[s] = parent[parent[s]];
            s = parent[s];
        }
        return s;
    }

    private void union(int a, int b) {
        int x = find(a);
        int y = find(b);
        if (x != y) {
            parent[y] = x;
            if (blockedBy.get(x) == null) {
                blockedBy.set(x, blockedBy.get(y));
            }
            producers.get(x).addAll(producers.get(y));
            folds.set(x, lcm(folds.get(x), folds.get(y)));
        }
    }

    /** Splits the one space a grouped convolution reads into its {@code groups} blocks; blocks a layout of several. */
    private void fold(List<Segment> layout, int groups, String quoted) {
        if (layout == null) {
            return;
        }
        if (layout.size() != 1 || layout.get(0).repeat() != 1) {
            block(layout, "grouped convolution " + quoted + " reads channels of several sources (a concatenation)");
            return;
        }
        int r = find(layout.get(0).space());
        folds.set(r, lcm(folds.get(r), groups));
    }

    private static int lcm(int a, int b) {
        int x = a;
        int y = b;
        while (y != 0) {
            int t = x % y;
            x = y;
            y = t;
        }
        return a / x * b;
    }

    private void block(List<Segment> layout, String reason) {
        if (layout == null) {
            return;
        }
        for (Segment s : layout) {
            int r = find(s.space());
            if (blockedBy.get(r) == null) {
                blockedBy.set(r, reason);
            }
        }
    }

    private static int total(List<Segment> layout) {
        int n = 0;
        for (Segment s : layout) {
            n += s.channels() * s.repeat();
        }
        return n;
    }

    private void build() {
        Map<String, long[]> shapes = graph.shapes(1);
        long[] in = shapes.get(Graph.INPUT);
        if (in.length >= 2) {
            layouts.put(Graph.INPUT, List.of(new Segment(space((int) in[1], "it carries the network's input"), (int) in[1], 1)));
        }
        for (Graph.Node n : graph.nodes()) {
            Op op = n.op();
            List<List<Segment>> ins = new ArrayList<>();
            for (String i : n.inputs()) {
                ins.add(layouts.get(i));
            }
            List<Segment> x = ins.isEmpty() ? null : ins.get(0);
            long[] outShape = shapes.get(n.name());
            List<Segment> out = null;
            String quoted = "'" + n.name() + "' (" + op.type() + ")";
            if (op instanceof Op.Conv c) {
                if (c.depthwise() && x != null) {
                    inputs.put(n.name(), x);
                    out = x;
                } else {
                    if (x != null) {
                        inputs.put(n.name(), x);
                        if (c.groups() > 1) {
                            fold(x, c.groups(), quoted);
                        }
                    }
                    int s = space(c.out(), null);
                    folds.set(s, c.groups());
                    producers.get(s).add(n.name());
                    outputs.put(n.name(), s);
                    out = List.of(new Segment(s, c.out(), 1));
                }
            } else if (op instanceof Op.Linear l) {
                long[] inShape = shapes.get(n.inputs().get(0));
                if (inShape.length == 2 && x != null && total(x) == l.in()) {
                    inputs.put(n.name(), x);
                } else {
                    block(x, quoted + " reads a tensor whose features are not its channels");
                }
                int s = space(l.units(), outShape.length == 2 ? null : quoted + " writes a tensor whose channel axis is not 1");
                producers.get(s).add(n.name());
                outputs.put(n.name(), s);
                out = List.of(new Segment(s, l.units(), 1));
            } else if (op instanceof Op.BatchNorm) {
                if (x != null) {
                    inputs.put(n.name(), x);
                }
                out = x;
            } else if (op instanceof Op.Unary || op instanceof Op.Clip || op instanceof Op.HardSigmoid || op instanceof Op.HardSwish
                    || op instanceof Op.Dropout || op instanceof Op.QuantRelu || op instanceof Op.Quantize || op instanceof Op.Pool2d
                    || op instanceof Op.GlobalPool) {
                out = x;
            } else if (op instanceof Op.Binary) {
                out = joined(n, ins, shapes, quoted);
            } else if (op instanceof Op.Concat c && c.axis() == 1) {
                boolean all = true;
                List<Segment> cat = new ArrayList<>();
                for (List<Segment> l : ins) {
                    all &= l != null;
                    if (l != null) {
                        cat.addAll(l);
                    }
                }
                out = all ? cat : null;
                if (!all) {
                    for (List<Segment> l : ins) {
                        block(l, "concatenation " + quoted + " joins it with a tensor of unknown channels");
                    }
                }
            } else if (op instanceof Op.Flatten f && x != null && f.axis() == 1) {
                long[] s = shapes.get(n.inputs().get(0));
                int spatial = 1;
                for (int i = 2; i < s.length; i++) {
                    spatial *= (int) s[i];
                }
                List<Segment> flat = new ArrayList<>();
                for (Segment seg : x) {
                    flat.add(new Segment(seg.space(), seg.channels(), seg.repeat() * spatial));
                }
                out = flat;
            } else if (op instanceof Op.Reduce r && r.keepDims() && !contains(r.axes(), 1) && !contains(r.axes(), 0)) {
                out = x;
            } else if (op instanceof Op.Slice s && s.axis() != 1) {
                out = x;
            } else if (op instanceof Op.Pad p && p.pads()[1] == 0 && p.pads()[p.pads().length / 2 + 1] == 0) {
                out = x;
            } else if (op instanceof Op.Softmax s && s.axis() != 1 && x != null && outShape.length > 2) {
                out = x;
            } else if (op instanceof Op.Gather t) {
                // picks entries by stored indices: removing a channel would change what the indices point at
                block(x, quoted + " takes entries by stored indices along axis " + t.axis() + ", which the pruner does not follow");
            } else {
                for (List<Segment> l : ins) {
                    block(l, quoted + " mixes or moves channels");
                }
            }
            if (out != null && (outShape.length < 2 || total(out) != outShape[1])) {
                block(out, quoted + " changes the channel count");
                out = null;
            }
            if (out != null) {
                layouts.put(n.name(), out);
            }
        }
        block(layouts.get(graph.output()), "it is the network's output");
        // the groups, in the order of their first producer
        for (Map.Entry<String, Integer> e : outputs.entrySet()) {
            int root = find(e.getValue());
            if (byRoot.containsKey(root)) {
                continue;
            }
            Set<String> prod = new LinkedHashSet<>();
            Set<String> carriers = new LinkedHashSet<>();
            Set<String> consumers = new LinkedHashSet<>();
            for (Map.Entry<String, Integer> o : outputs.entrySet()) {
                if (find(o.getValue()) == root) {
                    prod.add(o.getKey());
                }
            }
            for (Map.Entry<String, List<Segment>> i : inputs.entrySet()) {
                for (Segment s : i.getValue()) {
                    if (find(s.space()) == root) {
                        Op op = graph.node(i.getKey()).op();
                        (op instanceof Op.BatchNorm || (op instanceof Op.Conv c && c.depthwise()) ? carriers : consumers).add(i.getKey());
                    }
                }
            }
            int fold = folds.get(root);
            Group g = new Group(e.getKey(), sizes.get(e.getValue()), fold, List.copyOf(prod), List.copyOf(carriers),
                    List.copyOf(consumers), blockedBy.get(root));
            if (g.blocked() == null && fold > 1 && g.channels() / fold < 2) {
                g = new Group(g.name(), g.channels(), fold, g.producers(), g.carriers(), g.consumers(), "grouped convolution '"
                        + String.join("', '", groupedConvs(g)) + "' splits it into " + fold
                        + " blocks of one channel, and every block must keep one");
            }
            byRoot.put(root, g);
            groups.add(g);
        }
    }

    /** A residual add or a gating multiply: inputs with the same channels join; a per-sample scalar passes. */
    private List<Segment> joined(Graph.Node n, List<List<Segment>> ins, Map<String, long[]> shapes, String quoted) {
        List<Segment> a = ins.get(0);
        List<Segment> b = ins.get(1);
        long[] sa = shapes.get(n.inputs().get(0));
        long[] sb = shapes.get(n.inputs().get(1));
        long ca = sa.length >= 2 ? sa[1] : 1;
        long cb = sb.length >= 2 ? sb[1] : 1;
        boolean storedA = graph.node(n.inputs().get(0)) != null && graph.node(n.inputs().get(0)).op() instanceof Op.Constant;
        boolean storedB = graph.node(n.inputs().get(1)) != null && graph.node(n.inputs().get(1)).op() instanceof Op.Constant;
        if (a != null && b != null) {
            if (a.size() == b.size()) {
                boolean same = true;
                for (int i = 0; i < a.size(); i++) {
                    same &= a.get(i).channels() == b.get(i).channels() && a.get(i).repeat() == b.get(i).repeat();
                }
                if (same) {
                    for (int i = 0; i < a.size(); i++) {
                        union(a.get(i).space(), b.get(i).space());
                    }
                    return a;
                }
            }
            block(a, quoted + " joins tensors laid out differently");
            block(b, quoted + " joins tensors laid out differently");
            return null;
        }
        if (a != null && (cb == 1 || storedB && sb.length < 2)) {
            return a;
        }
        if (b != null && (ca == 1 || storedA && sa.length < 2)) {
            return b;
        }
        block(a, quoted + " combines it with a stored tensor per channel");
        block(b, quoted + " combines it with a stored tensor per channel");
        return null;
    }

    private static boolean contains(int[] v, int x) {
        for (int i : v) {
            if (i == x) {
                return true;
            }
        }
        return false;
    }
}
