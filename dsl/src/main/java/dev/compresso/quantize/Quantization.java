package dev.compresso.quantize;

import dev.compresso.data.Samples;
import dev.compresso.model.Activations;
import dev.compresso.model.Architecture;
import dev.compresso.model.Graph;
import dev.compresso.model.Network;
import dev.compresso.model.Op;
import dev.compresso.prune.Selector;
import dev.compresso.share.CodebookConstraint;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Uniform quantization of weights (2 to 16 bits, per tensor or per channel, symmetric or
 * asymmetric), optionally with activations simulated at 8 bits after every ReLU, calibrated on a
 * sample of the training data. Without fine-tuning it is post-training quantization; with {@link
 * #finetune(int)} it is quantization-aware training with a straight-through estimator.
 *
 * <pre>{@code
 * var q8  = base.quantize(weightsTo(8));                                   // PTQ, per tensor, symmetric
 * var q4  = base.quantize(weightsTo(4).perChannel().finetune(2));          // QAT
 * var act = base.quantize(weightsTo(8).activations(8).calibrate("percentile", 99.99));
 * var mix = base.quantize(weightsTo(6).bits("02Linear", 4));               // mixed precision
 * }</pre>
 *
 * On a weight-shared model it quantizes the codebook, so clusters survive; on a pruned model zeros
 * stay zero.
 */
public final class Quantization {

    private final int bits;
    private final Map<String, Integer> perLayer;
    private final boolean symmetric;
    private final boolean perChannel;
    private final int activationBits;
    private final double percentile;
    private final int calibrationSamples;
    private final int finetuneEpochs;
    private final double finetuneRate;
    private final Selector selector;
    private final String name;
    private final boolean fold;
    private Samples calibration;

    private Quantization(int bits, Map<String, Integer> perLayer, boolean symmetric, boolean perChannel, int activationBits,
            double percentile, int calibrationSamples, int finetuneEpochs, double finetuneRate, Selector selector, String name,
            boolean fold) {
        this.bits = bits;
        this.perLayer = Map.copyOf(perLayer);
        this.symmetric = symmetric;
        this.perChannel = perChannel;
        this.activationBits = activationBits;
        this.percentile = percentile;
        this.calibrationSamples = calibrationSamples;
        this.finetuneEpochs = finetuneEpochs;
        this.finetuneRate = finetuneRate;
        this.selector = selector;
        this.name = name;
        this.fold = fold;
    }

    /**
     * Weights to {@code bits} bits: per tensor, symmetric, activations in full precision, no fine-tuning.
     *
     * @param bits 2 to 16
     * @return the spec
     */
    public static Quantization weightsTo(int bits) {
        return new Quantization(Quantizer.checkBits("bits", bits), Map.of(), true, false, 0, 100, 2048, 0, Double.NaN,
                Selector.weights(), null, false);
    }

    private Quantization with(int b, Map<String, Integer> pl, boolean sym, boolean pc, int ab, double pct, int cs, int fe,
            double fr, Selector sel, String n) {
        Quantization q = new Quantization(b, pl, sym, pc, ab, pct, cs, fe, fr, sel, n, fold);
        q.calibration = calibration;
        return q;
    }

    /** Another bit width for one layer ({@code 02Linear}) or parameter: mixed precision. */
    public Quantization bits(String layer, int b) {
        Map<String, Integer> m = new LinkedHashMap<>(perLayer);
        m.put(layer, Quantizer.checkBits("bits for layer '" + layer + "'", b));
        return with(bits, m, symmetric, perChannel, activationBits, percentile, calibrationSamples, finetuneEpochs, finetuneRate, selector, name);
    }

    /** One scale per output channel (row or filter) instead of one per tensor. */
    public Quantization perChannel() {
        return with(bits, perLayer, symmetric, true, activationBits, percentile, calibrationSamples, finetuneEpochs, finetuneRate, selector, name);
    }

    /** Min/max range with a zero point instead of a symmetric range around zero. */
    public Quantization asymmetric() {
        return with(bits, perLayer, false, perChannel, activationBits, percentile, calibrationSamples, finetuneEpochs, finetuneRate, selector, name);
    }

    /**
     * Also simulates activations at {@code b} bits (8 is usual) where int8 kernels read and write
     * them: after every ReLU, and at every convolution input and output no ReLU bounds (the input, a
     * residual sum, a convolution before an add), with ranges calibrated on training samples. With 8
     * bits and {@code weightsTo(8).perChannel()} the model exports as int8 QDQ ONNX ({@link
     * Network#exportInt8(String)}).
     */
    public Quantization activations(int b) {
        if (b < 2 || b > 16) {
            throw new IllegalArgumentException("activation bits=" + b + " must be in 2 to 16");
        }
        return with(bits, perLayer, symmetric, perChannel, b, percentile, calibrationSamples, finetuneEpochs, finetuneRate, selector, name);
    }

    /**
     * How to calibrate the activation ranges: {@code calibrate("minmax")} or {@code
     * calibrate("percentile", 99.99)}, on the first 2,048 training samples.
     */
    public Quantization calibrate(String method, double... p) {
        String m = method.trim().toLowerCase(Locale.ROOT);
        double pct;
        if (m.equals("minmax")) {
            pct = 100;
        } else if (m.equals("percentile")) {
            pct = p.length > 0 ? p[0] : 99.99;
            if (!(pct > 0 && pct <= 100)) {
                throw new IllegalArgumentException("percentile=" + pct + " must be in (0, 100], for example 99.99");
            }
        } else {
            throw new IllegalArgumentException("calibration '" + method + "' is not known; use minmax or percentile");
        }
        return with(bits, perLayer, symmetric, perChannel, activationBits, pct, calibrationSamples, finetuneEpochs, finetuneRate, selector, name);
    }

    /** Quantization-aware training: fine-tunes {@code epochs} epochs with fake-quantized weights. */
    public Quantization finetune(int epochs) {
        if (epochs < 0) {
            throw new IllegalArgumentException("finetune(" + epochs + "): epochs must be ≥ 0");
        }
        return with(bits, perLayer, symmetric, perChannel, activationBits, percentile, calibrationSamples, epochs, finetuneRate, selector, name);
    }

    /** Quantization-aware training at another learning rate. */
    public Quantization finetune(int epochs, double learningRate) {
        if (!(learningRate > 0)) {
            throw new IllegalArgumentException("learningRate=" + learningRate + " must be > 0");
        }
        return with(bits, perLayer, symmetric, perChannel, activationBits, percentile, calibrationSamples, finetune(epochs).finetuneEpochs,
                learningRate, selector, name);
    }

    /** Quantizes the parameters {@code s} picks. */
    public Quantization select(Selector s) {
        return with(bits, perLayer, symmetric, perChannel, activationBits, percentile, calibrationSamples, finetuneEpochs, finetuneRate, s, name);
    }

    /** Names the quantized model (default: the input's name + {@code -q} + bits). */
    public Quantization named(String newName) {
        return with(bits, perLayer, symmetric, perChannel, activationBits, percentile, calibrationSamples, finetuneEpochs, finetuneRate, selector, newName);
    }

    /**
     * Folds the BatchNorms into the layers before them first ({@link Network#foldBatchNorm()}), so the
     * quantized weights are the ones an int8 runtime uses, as torch.ao does before quantizing.
     */
    public Quantization foldBatchNorm() {
        Quantization q = with(bits, perLayer, symmetric, perChannel, activationBits, percentile, calibrationSamples, finetuneEpochs,
                finetuneRate, selector, name);
        Quantization f = new Quantization(q.bits, q.perLayer, q.symmetric, q.perChannel, q.activationBits, q.percentile,
                q.calibrationSamples, q.finetuneEpochs, q.finetuneRate, q.selector, q.name, true);
        f.calibration = calibration;
        return f;
    }

    /**
     * Calibrates the activation ranges on {@code samples} (their first 2,048) instead of the model's
     * training data, for example for a model imported from ONNX that was never trained here.
     *
     * @param samples inputs of the model's sample shape; labels are not used
     * @return the spec
     */
    public Quantization calibrateOn(Samples samples) {
        if (samples == null || samples.size() == 0) {
            throw new IllegalArgumentException("calibrateOn(samples): give at least one sample, for example 256 of the training set");
        }
        Quantization q = with(bits, perLayer, symmetric, perChannel, activationBits, percentile, calibrationSamples, finetuneEpochs,
                finetuneRate, selector, name);
        q.calibration = samples;
        return q;
    }

    /** The chain step this adds. */
    public String describe() {
        StringBuilder sb = new StringBuilder("quantize(weights=").append(bits).append(" bit");
        if (!perLayer.isEmpty()) {
            sb.append(", per layer ").append(perLayer);
        }
        sb.append(perChannel ? ", per channel" : ", per tensor").append(symmetric ? ", symmetric" : ", asymmetric");
        if (activationBits > 0) {
            sb.append(", activations=").append(activationBits).append(" bit ")
                    .append(percentile == 100 ? "minmax" : "p" + percentile);
        }
        if (fold) {
            sb.append(", BatchNorm folded first");
        }
        if (finetuneEpochs > 0) {
            sb.append(", QAT ").append(finetuneEpochs).append(" epochs");
        }
        return sb.append(')').toString();
    }

    @Override
    public String toString() {
        return describe();
    }

    /**
     * Quantizes a copy of {@code network}; the input is untouched.
     *
     * @param network the model
     * @return the quantized model, evaluated on the model's training data when it has one
     */
    public Network apply(Network network) {
        if (fold) {
            String newName = name != null ? name : network.name() + "-q" + bits;
            try (Network folded = dev.compresso.deploy.BatchNormFolding.fold(network, network.name(), false)) {
                Quantization q = new Quantization(bits, perLayer, symmetric, perChannel, activationBits, percentile, calibrationSamples,
                        finetuneEpochs, finetuneRate, selector, newName, false);
                q.calibration = calibration;
                return q.apply(folded);
            }
        }
        List<String> params = selector.resolve(network);
        Selector.checkCovered(perLayer, params, "bits");
        if (network.constraint(QuantConstraint.class) != null) {
            throw new IllegalStateException(
                    "network '" + network.name() + "' is already quantized; quantize the model it came from instead"
                            + " (quantizing twice rounds rounded values)");
        }
        CodebookConstraint codebook = network.constraint(CodebookConstraint.class);
        if (activationBits > 0 && !network.architecture().isGraph()) {
            throw new IllegalArgumentException("activation quantization needs a graph; '" + network.architecture().name()
                    + "' wraps an opaque block. Quantize weights only, or bring the model in through onnx(\"model.onnx\")");
        }
        if ((activationBits > 0 && calibration == null || finetuneEpochs > 0) && network.trainedOn() == null) {
            throw new IllegalArgumentException("network '" + network.name() + "' was never trained, so there is no data to "
                    + (finetuneEpochs > 0 ? "fine-tune" : "calibrate activations") + " on; train it first"
                    + (finetuneEpochs > 0 ? "" : ", or pass samples: .calibrateOn(samples)"));
        }
        long start = System.nanoTime();
        Map<String, QuantConstraint.Scheme> schemes = new LinkedHashMap<>();
        Map<String, float[]> latent = new LinkedHashMap<>();
        Map<String, float[]> quantized = new LinkedHashMap<>();
        for (String p : params) {
            long[] shape = network.parameterArray(p).getShape().getShape();
            int rows = (int) shape[0];
            QuantConstraint.Scheme s = new QuantConstraint.Scheme(rows, bitsFor(p), symmetric, perChannel);
            float[] w = network.weights(p);
            schemes.put(p, s);
            latent.put(p, w);
            quantized.put(p, s.apply(w));
        }
        String newName = name != null ? name : network.name() + "-q" + bits;
        QuantConstraint constraint = new QuantConstraint(schemes, latent, codebook);
        Network result = network.withWeights(newName, describe(), quantized, constraint);
        if (activationBits > 0) {
            Network withActivations = quantizeActivations(result, calibration != null ? calibration : network.trainedOn().train());
            result.close();
            result = withActivations;
        }
        if (finetuneEpochs > 0) {
            Network tuned = result.finetuneQuietly(finetuneEpochs, finetuneRate);
            result.close();
            result = tuned;
        }
        return result.evaluatedLike(network, start);
    }

    /**
     * Quantizes activations where int8 kernels read and write them: every ReLU (and every clip from
     * 0, such as ReLU6) becomes a quantizing ReLU over {@code [0, max]}; every other value a
     * convolution reads or writes (the input, a residual sum, a convolution not followed by a ReLU)
     * gets a {@link Op.Quantize} over its calibrated {@code [min, max]}, unless it already lies on a
     * grid (a max-pool or reshape of a quantized value). Ranges are calibrated on training samples, in
     * chunks that bound memory; with a percentile, the chunks' percentiles are averaged.
     */
    private Network quantizeActivations(Network net, Samples train) {
        Graph g = net.architecture().graph();
        Set<String> relus = new LinkedHashSet<>();
        for (Graph.Node n : g.nodes()) {
            if (isRelu(n.op())) {
                relus.add(n.name());
            }
        }
        Set<String> points = new LinkedHashSet<>();
        for (Graph.Node n : g.nodes()) {
            if (n.op() instanceof Op.Conv && !n.name().equals(g.output())) {
                List<Graph.Node> consumers = g.consumers(n.name());
                if (consumers.isEmpty() || !consumers.stream().allMatch(c -> isRelu(c.op()))) {
                    points.add(n.name());
                }
            }
        }
        for (Graph.Node n : g.nodes()) {
            if (n.op() instanceof Op.Conv && !onGrid(g, n.inputs().get(0), relus, points)) {
                points.add(n.inputs().get(0));
            }
        }
        Set<String> calibrated = new LinkedHashSet<>(relus);
        calibrated.addAll(points);
        Map<String, float[]> ranges = calibrate(net, train.head(Math.min(calibrationSamples, train.size())), g, calibrated);
        Map<String, Op> ops = new LinkedHashMap<>();
        for (String n : relus) {
            float max = ranges.get(n)[1];
            if (g.node(n).op() instanceof Op.Clip c) {
                max = Math.min(max, c.max());
            }
            ops.put(n, new Op.QuantRelu(activationBits, max > 0 ? max : 1e-6f));
        }
        List<Graph.Node> nodes = new ArrayList<>();
        Map<String, String> quantized = new LinkedHashMap<>();
        if (points.contains(Graph.INPUT)) {
            nodes.add(quantizeNode(g, Graph.INPUT, ranges.get(Graph.INPUT), quantized));
        }
        for (Graph.Node n : g.nodes()) {
            List<String> ins = new ArrayList<>();
            for (String in : n.inputs()) {
                ins.add(quantized.getOrDefault(in, in));
            }
            nodes.add(new Graph.Node(n.name(), ops.getOrDefault(n.name(), n.op()), ins));
            if (points.contains(n.name())) {
                nodes.add(quantizeNode(g, n.name(), ranges.get(n.name()), quantized));
            }
        }
        Architecture old = net.architecture();
        Graph withQuant = new Graph(g.inputShape(), nodes, g.output());
        Architecture arch = Architecture.of(old.name(), old.description() + ", activations " + activationBits + " bit", withQuant);
        Map<String, float[]> weights = new LinkedHashMap<>();
        for (String p : net.parameterNames()) {
            weights.put(p, net.weights(p));
        }
        return net.rebuilt(net.name(), null, arch, weights, net.constraints());
    }

    private Graph.Node quantizeNode(Graph g, String value, float[] range, Map<String, String> quantized) {
        String name = value + "_quant";
        while (g.node(name) != null) {
            name = name + "_";
        }
        quantized.put(value, name);
        float lo = Math.min(0f, range[0]);
        float hi = Math.max(0f, range[1]);
        int levels = (1 << activationBits) - 1;
        float scale = hi > lo ? (hi - lo) / levels : 1e-6f;
        int zero = (int) Math.max(0, Math.min(levels, Math.rint(-lo / scale)));
        return new Graph.Node(name, new Op.Quantize(activationBits, scale, zero), List.of(value));
    }

    /** Calibrated {@code [low, high]} of each value, in chunks of samples that keep memory bounded. */
    private Map<String, float[]> calibrate(Network net, Samples samples, Graph g, Set<String> values) {
        Map<String, long[]> shapes = g.shapes(1);
        // a pass keeps every node's value in native memory until it ends, not only the ones asked for
        long perSample = 0;
        for (long[] shape : shapes.values()) {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            perSample += n;
        }
        int chunk = (int) Math.max(1, Math.min(samples.size(), 16_000_000L / Math.max(1, perSample)));
        Map<String, double[]> acc = new LinkedHashMap<>();
        for (int from = 0; from < samples.size(); from += chunk) {
            int to = Math.min(samples.size(), from + chunk);
            Map<String, float[]> out = Activations.of(net, samples.slice(from, to), values);
            for (Map.Entry<String, float[]> e : out.entrySet()) {
                float[] v = e.getValue();
                float hi = Quantizer.percentile(v, percentile);
                float[] neg = new float[v.length];
                for (int i = 0; i < v.length; i++) {
                    neg[i] = -v[i];
                }
                float lo = -Quantizer.percentile(neg, percentile);
                double[] a = acc.computeIfAbsent(e.getKey(), k -> new double[] {Double.MAX_VALUE, -Double.MAX_VALUE, 0, 0, 0});
                a[0] = Math.min(a[0], lo);
                a[1] = Math.max(a[1], hi);
                a[2] += (double) lo * (to - from);
                a[3] += (double) hi * (to - from);
                a[4] += to - from;
            }
        }
        Map<String, float[]> ranges = new LinkedHashMap<>();
        acc.forEach((k, a) -> ranges.put(k, percentile == 100 ? new float[] {(float) a[0], (float) a[1]}
                : new float[] {(float) (a[2] / a[4]), (float) (a[3] / a[4])}));
        return ranges;
    }

    /** Whether {@code value} lies on a quantization grid: a quantized value, or one moved by ops that keep the grid. */
    private static boolean onGrid(Graph g, String value, Set<String> relus, Set<String> points) {
        if (relus.contains(value) || points.contains(value)) {
            return true;
        }
        Graph.Node n = g.node(value);
        return n != null && keepsGrid(n.op()) && onGrid(g, n.inputs().get(0), relus, points);
    }

    /**
     * Whether an op moves values without computing new ones, so a quantized input gives an output on
     * the same grid: max pooling, flatten, reshape, transpose, slices, gathers, dropout (identity in inference),
     * identity, and zero padding (zero is on every grid).
     *
     * @param op the op
     * @return true if it keeps the grid
     */
    public static boolean keepsGrid(Op op) {
        return (op instanceof Op.Pool2d p && p.max()) || op instanceof Op.Flatten || op instanceof Op.Reshape
                || op instanceof Op.Transpose || op instanceof Op.Slice || op instanceof Op.Pick || op instanceof Op.Gather
                || op instanceof Op.Dropout
                || (op instanceof Op.Unary u && u.kind() == Op.UnaryKind.IDENTITY) || (op instanceof Op.Pad p && p.value() == 0f);
    }

    static boolean isRelu(Op op) {
        return (op instanceof Op.Unary u && u.kind() == Op.UnaryKind.RELU) || (op instanceof Op.Clip c && c.min() == 0f);
    }

    private int bitsFor(String param) {
        return Selector.perLayer(perLayer, param, bits);
    }
}
