package dev.compresso.onnx;

import dev.compresso.model.Op;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Lowers an ONNX {@code Einsum} of one or two operands into ops the graph already has, using the
 * static shapes the importer knows. Labels are sorted into batch labels (in both operands and the
 * output), contracted ones (in both, not in the output), free ones of each operand (in it and the
 * output) and summed-away ones (in one operand only). Summed-away labels are reduced first; then A
 * is permuted to {@code [batch.., freeA.., contracted..]} and B to {@code [batch.., contracted..,
 * freeB..]}, each group of free or contracted labels is reshaped into one axis, a MatMul multiplies
 * them (the batch labels stay separate axes, so MatMul's broadcasting covers a label of size 1 in
 * one operand), and the result is reshaped back and permuted to the output's order. Without
 * contracted labels the product is a broadcasting Mul instead. Transposes and reshapes that would
 * be identities are left out. {@code ...} stands for the same run of unnamed axes in every term,
 * aligned from the right as in NumPy.
 *
 * <p>Not lowered, with an {@link IllegalArgumentException} naming the reason: more than two
 * operands, a label repeated inside one operand (a diagonal), characters other than letters, and
 * labels whose sizes differ other than by broadcasting a 1.
 */
final class Einsum {

    /** Where the lowering puts its ops: adds one and returns the name of its value. */
    interface Emitter {
        String add(String step, Op op, String... inputs);
    }

    /** An operand on the way: its value, its labels in axis order, and their sizes. */
    private record Term(String value, List<Character> labels, long[] sizes) {}

    private final Emitter out;

    private Einsum(Emitter out) {
        this.out = out;
    }

    /**
     * Lowers {@code equation} over the operands.
     *
     * @param equation ONNX's {@code equation} attribute, for example {@code bhid,bhjd->bhij}
     * @param values the operands' values in the graph
     * @param shapes their shapes
     * @param batchAxes the axis of each operand that holds the batch, or -1
     * @param out where the ops go
     * @return the value that holds the result (an input itself if the equation changes nothing)
     * @throws IllegalArgumentException if the equation cannot be lowered; the message says why
     */
    static String lower(String equation, List<String> values, List<long[]> shapes, int[] batchAxes, Emitter out) {
        String eq = equation.replaceAll("\\s+", "");
        int arrow = eq.indexOf("->");
        String lhs = arrow < 0 ? eq : eq.substring(0, arrow);
        String rhs = arrow < 0 ? null : eq.substring(arrow + 2);
        String[] terms = lhs.split(",", -1);
        if (terms.length != values.size()) {
            throw new IllegalArgumentException("it names " + terms.length + " operands but the node has " + values.size() + " inputs");
        }
        if (terms.length > 2) {
            throw new IllegalArgumentException("it has " + terms.length + " operands; only one or two are supported (split it into"
                    + " two-operand Einsums)");
        }
        List<List<Character>> labels = new ArrayList<>();
        int ellipsis = 0;
        for (int t = 0; t < terms.length; t++) {
            int named = check(terms[t]).size();
            if (terms[t].contains("...")) {
                ellipsis = Math.max(ellipsis, shapes.get(t).length - named);
            }
        }
        List<Character> dots = new ArrayList<>();
        for (int i = 0; i < ellipsis; i++) {
            dots.add((char) (0x100 + i)); // labels no equation can spell
        }
        for (int t = 0; t < terms.length; t++) {
            List<Character> l = expand(terms[t], dots, shapes.get(t).length);
            Set<Character> seen = new LinkedHashSet<>();
            for (char c : l) {
                if (!seen.add(c)) {
                    throw new IllegalArgumentException("operand " + (t + 1) + " ('" + terms[t] + "') repeats label '" + c
                            + "', which takes a diagonal; diagonals are not supported");
                }
            }
            labels.add(l);
        }
        List<Character> output;
        if (rhs != null) {
            check(rhs);
            output = expand(rhs, dots, -1);
            Set<Character> seen = new LinkedHashSet<>();
            for (char c : output) {
                if (!seen.add(c)) {
                    throw new IllegalArgumentException("the output ('" + rhs + "') repeats label '" + c + "'");
                }
                if (labels.stream().noneMatch(l -> l.contains(c))) {
                    throw new IllegalArgumentException("the output label '" + c + "' is in no operand");
                }
            }
        } else {
            // NumPy's implicit output: the ellipsis, then the labels used once, in alphabetical order
            output = new ArrayList<>(dots);
            List<Character> once = new ArrayList<>();
            for (List<Character> l : labels) {
                for (char c : l) {
                    if (c < 0x100 && labels.stream().mapToLong(m -> m.stream().filter(x -> x == c).count()).sum() == 1) {
                        once.add(c);
                    }
                }
            }
            once.sort(null);
            output.addAll(once);
        }
        for (int t = 0; t < terms.length; t++) {
            if (batchAxes[t] >= 0 && !output.contains(labels.get(t).get(batchAxes[t]))) {
                throw new IllegalArgumentException("label '" + display(labels.get(t).get(batchAxes[t])) + "' of operand " + (t + 1)
                        + " holds the batch, and the output drops it: that sums over the samples of a batch, which a model"
                        + " imported for any batch size cannot do");
            }
        }
        List<Term> in = new ArrayList<>();
        for (int t = 0; t < terms.length; t++) {
            in.add(new Term(values.get(t), labels.get(t), shapes.get(t)));
        }
        Einsum e = new Einsum(out);
        return in.size() == 1 ? e.one(in.get(0), output) : e.two(in.get(0), in.get(1), output);
    }

    /** A label as the equation spells it; an axis of {@code ...} as {@code ...[k]}. */
    private static String display(char c) {
        return c < 0x100 ? String.valueOf(c) : "...[" + (c - 0x100) + "]";
    }

    /** The named labels of a term; only letters and one {@code ...} are allowed. */
    private static List<Character> check(String term) {
        String rest = term;
        int at = term.indexOf("...");
        if (at >= 0) {
            rest = term.substring(0, at) + term.substring(at + 3);
            if (rest.contains(".")) {
                throw new IllegalArgumentException("term '" + term + "' has more than one '...' or a stray '.'");
            }
        }
        List<Character> l = new ArrayList<>();
        for (char c : rest.toCharArray()) {
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z')) {
                throw new IllegalArgumentException("term '" + term + "' has the character '" + c + "'; labels are the letters a-z, A-Z");
            }
            l.add(c);
        }
        return l;
    }

    /** The labels of a term with {@code ...} replaced by the last of {@code dots} that its rank leaves for it. */
    private static List<Character> expand(String term, List<Character> dots, int rank) {
        List<Character> named = check(term);
        int at = term.indexOf("...");
        if (at < 0) {
            if (rank >= 0 && named.size() != rank) {
                throw new IllegalArgumentException("term '" + term + "' has " + named.size() + " labels for an operand of rank " + rank);
            }
            return named;
        }
        int before = check(term.substring(0, at)).size();
        int n = rank < 0 ? dots.size() : rank - named.size();
        if (n < 0) {
            throw new IllegalArgumentException("term '" + term + "' has " + named.size() + " labels for an operand of rank " + rank);
        }
        List<Character> l = new ArrayList<>(named.subList(0, before));
        l.addAll(dots.subList(dots.size() - n, dots.size()));
        l.addAll(named.subList(before, named.size()));
        return l;
    }

    // ---------------------------------------------------------------- lowering

    private String one(Term a, List<Character> output) {
        a = sumAway(a, output, List.of(), "a");
        return permute(a, output, "out").value();
    }

    private String two(Term a, Term b, List<Character> output) {
        // sizes agree, or one side is 1 and broadcasts; a contracted label of size 1 on one side is summed on each side alone
        List<Character> mismatched = new ArrayList<>();
        for (char c : a.labels()) {
            if (!b.labels().contains(c)) {
                continue;
            }
            long sa = size(a, c);
            long sb = size(b, c);
            if (sa != sb && sa != 1 && sb != 1) {
                throw new IllegalArgumentException("label '" + display(c) + "' has size " + sa + " in the first operand and " + sb
                        + " in the second; sizes must agree or one must be 1");
            }
            if (sa != sb && !output.contains(c)) {
                mismatched.add(c);
            }
        }
        Term a0 = a;
        a = sumAway(a, output, without(b.labels(), mismatched), "a");
        b = sumAway(b, output, without(a0.labels(), mismatched), "b");
        List<Character> batch = new ArrayList<>();
        List<Character> freeA = new ArrayList<>();
        List<Character> freeB = new ArrayList<>();
        List<Character> contracted = new ArrayList<>();
        // each group in its operand's order, so the operands move as little as possible; the output's order comes last
        for (char c : a.labels()) {
            (!output.contains(c) ? contracted : b.labels().contains(c) ? batch : freeA).add(c);
        }
        for (char c : b.labels()) {
            if (!a.labels().contains(c)) {
                freeB.add(c);
            }
        }
        long[] batchSizes = new long[batch.size()];
        for (int i = 0; i < batchSizes.length; i++) {
            batchSizes[i] = Math.max(size(a, batch.get(i)), size(b, batch.get(i)));
        }
        Term result;
        if (contracted.isEmpty()) {
            // an outer product over the free labels, element-wise over the batch ones
            Term pa = permute(a, concat(batch, freeA), "a");
            Term pb = permute(b, concat(batch, freeB), "b");
            String va = reshape(pa, concat(sizes(pa, batch), sizes(pa, freeA), ones(freeB.size())), freeB.isEmpty(), "a");
            String vb = reshape(pb, concat(sizes(pb, batch), ones(freeA.size()), sizes(pb, freeB)), freeA.isEmpty(), "b");
            String product = out.add("mul", new Op.Binary(Op.BinaryKind.MUL), va, vb);
            result = new Term(product, concat(batch, freeA, freeB), concat(batchSizes, sizes(a, freeA), sizes(b, freeB)));
        } else {
            Term pa = permute(a, concat(batch, freeA, contracted), "a");
            Term pb = permute(b, concat(batch, contracted, freeB), "b");
            String va = reshape(pa, concat(sizes(pa, batch), new long[] {product(pa, freeA), product(pa, contracted)}),
                    freeA.size() == 1 && contracted.size() == 1, "a");
            String vb = reshape(pb, concat(sizes(pb, batch), new long[] {product(pb, contracted), product(pb, freeB)}),
                    contracted.size() == 1 && freeB.size() == 1, "b");
            String product = out.add("matmul", new Op.MatMul(), va, vb);
            long[] sizes = concat(batchSizes, sizes(a, freeA), sizes(b, freeB));
            String back = reshape(new Term(product, List.of(), null), sizes, freeA.size() == 1 && freeB.size() == 1, "out");
            result = new Term(back, concat(batch, freeA, freeB), sizes);
        }
        return permute(result, output, "out").value();
    }

    /** Sums the labels of {@code t} that are neither in the output nor in {@code other}. */
    private Term sumAway(Term t, List<Character> output, List<Character> other, String which) {
        List<Integer> axes = new ArrayList<>();
        List<Character> kept = new ArrayList<>();
        List<Long> sizes = new ArrayList<>();
        for (int i = 0; i < t.labels().size(); i++) {
            char c = t.labels().get(i);
            if (!output.contains(c) && !other.contains(c)) {
                axes.add(i);
            } else {
                kept.add(c);
                sizes.add(t.sizes()[i]);
            }
        }
        if (axes.isEmpty()) {
            return t;
        }
        String v = out.add("sum_" + which, new Op.Reduce(false, axes.stream().mapToInt(Integer::intValue).toArray(), false), t.value());
        return new Term(v, kept, sizes.stream().mapToLong(Long::longValue).toArray());
    }

    /** Transposes {@code t} to the label order {@code to} (a permutation of its labels), unless it is in that order. */
    private Term permute(Term t, List<Character> to, String which) {
        int[] perm = new int[to.size()];
        boolean identity = true;
        long[] sizes = new long[to.size()];
        for (int i = 0; i < perm.length; i++) {
            perm[i] = t.labels().indexOf(to.get(i));
            sizes[i] = t.sizes()[perm[i]];
            identity &= perm[i] == i;
        }
        if (identity) {
            return t;
        }
        return new Term(out.add("transpose_" + which, new Op.Transpose(perm), t.value()), to, sizes);
    }

    /** Reshapes to {@code shape} unless the caller knows the axes already are those (each group one axis). */
    private String reshape(Term t, long[] shape, boolean identity, String which) {
        if (identity) {
            return t.value();
        }
        return out.add("reshape_" + which, new Op.Reshape(shape, new boolean[shape.length]), t.value());
    }

    // ---------------------------------------------------------------- small helpers

    private static long size(Term t, char c) {
        return t.sizes()[t.labels().indexOf(c)];
    }

    private static long[] sizes(Term t, List<Character> labels) {
        long[] s = new long[labels.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = size(t, labels.get(i));
        }
        return s;
    }

    private static long product(Term t, List<Character> labels) {
        return Op.count(sizes(t, labels));
    }

    private static long[] ones(int n) {
        long[] v = new long[n];
        Arrays.fill(v, 1);
        return v;
    }

    private static List<Character> without(List<Character> l, List<Character> drop) {
        List<Character> r = new ArrayList<>(l);
        r.removeAll(drop);
        return r;
    }

    @SafeVarargs
    private static List<Character> concat(List<Character>... parts) {
        List<Character> r = new ArrayList<>();
        for (List<Character> p : parts) {
            r.addAll(p);
        }
        return r;
    }

    private static long[] concat(long[]... parts) {
        int n = 0;
        for (long[] p : parts) {
            n += p.length;
        }
        long[] r = new long[n];
        int at = 0;
        for (long[] p : parts) {
            System.arraycopy(p, 0, r, at, p.length);
            at += p.length;
        }
        return r;
    }
}
