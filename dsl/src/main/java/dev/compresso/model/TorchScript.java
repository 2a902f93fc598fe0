package dev.compresso.model;

import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.training.ParameterStore;
import dev.compresso.data.Samples;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.ZipFile;

/**
 * Brings a TorchScript model into Compresso through DJL's PyTorch engine, so its parameters can be
 * pruned, shared, quantized and fine-tuned like a zoo model's.
 *
 * <pre>{@code
 * var mine   = TorchScript.load(Path.of("mlp.pt"), 784);     // input shape of one sample
 * var pruned = mine.train(data, epochs(1)).prune(magnitude().sparsity(0.5));
 * var packed = TorchScript.sequential(pruned).pack();        // a Linear/ReLU chain can be packed
 * }</pre>
 *
 * <p>The parameters keep their TorchScript order and get Compresso names, the k-th module with
 * parameters becoming {@code 0kLinear} (or {@code Conv2d}, by the weight's rank); the architecture's
 * description lists the mapping ({@code 01Linear=fc1}). Copies load the file again, so the file must
 * stay where it is while the model is used.
 *
 * <p>Packing: a packed file must rebuild its model without the original, so it stores a sequential
 * architecture. {@link #sequential(Network)} converts a TorchScript model that is a plain chain of
 * Linear layers with ReLU between them (and a flatten in front) into that architecture, and checks
 * on probe inputs that both compute the same outputs; {@link #sequential(Network, Architecture)}
 * takes any equivalent sequential architecture you declare. Other graphs cannot be packed.
 */
public final class TorchScript {

    private TorchScript() {}

    /**
     * Loads a TorchScript file and finds its number of outputs with one forward pass on zeros.
     *
     * @param file a file written by {@code torch.jit.save}
     * @param inputShape the shape of one sample, without the batch axis, for example {@code 784} or
     *     {@code 1, 28, 28}
     * @return the model, named after the file, untrained and not evaluated
     * @throws IllegalArgumentException if the file is missing, is not TorchScript, was written by a
     *     newer PyTorch, does not accept this input shape, or does not return one {@code batch × outputs} array
     */
    public static Network load(Path file, long... inputShape) {
        return Network.create(architecture(file, inputShape), 0);
    }

    /**
     * The architecture of a TorchScript file: a factory that loads the file, the input shape and the
     * number of outputs. Loads the file once to check it.
     *
     * @param file the file
     * @param inputShape the shape of one sample
     * @return the architecture, named after the file (without {@code .pt})
     */
    public static Architecture architecture(Path file, long... inputShape) {
        Path path = check(file);
        if (inputShape == null || inputShape.length == 0) {
            throw new IllegalArgumentException("TorchScript model " + file + " needs the shape of one input sample,"
                    + " for example TorchScript.load(file, 784) or TorchScript.load(file, 1, 28, 28)");
        }
        long[] batch = new long[inputShape.length + 1];
        batch[0] = 2;
        System.arraycopy(inputShape, 0, batch, 1, inputShape.length);
        int outputs;
        List<String> mapping = new ArrayList<>();
        try (NDManager manager = TorchRuntime.newManager()) {
            PtSymbolBlock module;
            try {
                module = TorchScriptBlock.load(manager, path);
            } catch (EngineException e) {
                throw TorchScriptBlock.explain(path, e);
            }
            Map<String, String> names = TorchScriptBlock.names(module);
            Map<String, String> layers = new LinkedHashMap<>();
            names.forEach((torch, ours) -> {
                int cut = torch.lastIndexOf('.');
                layers.putIfAbsent(ours.substring(0, ours.lastIndexOf('_')), cut < 0 ? "(root)" : torch.substring(0, cut));
            });
            layers.forEach((ours, torch) -> mapping.add(ours + "=" + torch));
            NDList out;
            try {
                out = module.forward(new ParameterStore(manager, false), new NDList(manager.zeros(new Shape(batch))), false);
            } catch (EngineException e) {
                throw new IllegalArgumentException("TorchScript model " + path + " does not accept inputs of shape "
                        + Arrays.toString(inputShape) + " (batch " + Arrays.toString(batch) + "): "
                        + TorchScriptBlock.firstLine(e.getMessage()) + "; pass the shape of one sample the model expects", e);
            }
            Shape shape = out.size() == 1 ? out.get(0).getShape() : null;
            if (shape == null || shape.dimension() != 2 || shape.get(0) != 2) {
                throw new IllegalArgumentException("TorchScript model " + path + " returns " + (shape == null
                        ? out.size() + " arrays" : "an array of shape " + shape) + " for a batch of 2; Compresso needs"
                        + " one batch × outputs array of logits");
            }
            outputs = (int) shape.get(1);
        }
        String name = path.getFileName().toString().replaceFirst("\\.(pt|pth|torchscript)$", "");
        return new Architecture(name, "TorchScript " + path.getFileName() + ": " + String.join(", ", mapping),
                () -> new TorchScriptBlock(path), inputShape, outputs);
    }

    /** Checks that the file exists and looks like a TorchScript archive, and says what it is if not. */
    private static Path check(Path file) {
        if (file == null) {
            throw new IllegalArgumentException("TorchScript file must not be null");
        }
        Path path = file.toAbsolutePath().normalize();
        if (!Files.exists(path)) {
            throw new IllegalArgumentException("TorchScript file " + path + " does not exist; check the path"
                    + " (relative paths start at " + Path.of("").toAbsolutePath() + ")");
        }
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
            throw new IllegalArgumentException("TorchScript file " + path + " is not a readable file");
        }
        boolean zip = false;
        boolean code = false;
        boolean pickle = false;
        try (InputStream in = Files.newInputStream(path)) {
            byte[] head = in.readNBytes(4);
            zip = head.length == 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read TorchScript file " + path + ": " + e.getMessage(), e);
        }
        if (!zip) {
            throw new IllegalArgumentException("TorchScript file " + path + " is not TorchScript: it is not a zip archive"
                    + " (TorchScript files are); save the model with torch.jit.save(torch.jit.script(model), path)");
        }
        // PyTorch writes stored entries with data descriptors, which ZipInputStream rejects: read the central directory
        try (ZipFile z = new ZipFile(path.toFile())) {
            for (var entries = z.entries(); entries.hasMoreElements(); ) {
                String n = entries.nextElement().getName();
                code |= n.contains("/code/") || n.endsWith("/constants.pkl");
                pickle |= n.endsWith("/data.pkl");
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("TorchScript file " + path + " is a damaged zip archive (" + e.getMessage()
                    + "); write it again with torch.jit.save", e);
        }
        if (!code) {
            throw new IllegalArgumentException("TorchScript file " + path + " is not TorchScript: "
                    + (pickle ? "it is a torch.save checkpoint (pickled weights or module), which has no TorchScript code"
                            : "the archive has no TorchScript code")
                    + "; export it with torch.jit.save(torch.jit.script(model), path)");
        }
        return path;
    }

    /**
     * Converts a TorchScript model that is a chain of Linear layers (ReLU between them, flatten in
     * front) into a sequential architecture with the same weights, so it can be packed and shrunk.
     * Checks on 64 probe inputs that both compute the same outputs.
     *
     * @param network a model loaded by {@link #load}, possibly pruned, shared or fine-tuned
     * @return the sequential copy, named {@code NAME-sequential}, with the network's training data
     *     and options (so later steps evaluate and log it); its constraints are dropped
     * @throws IllegalArgumentException if its parameters are not such a chain, or the outputs differ
     */
    public static Network sequential(Network network) {
        List<Layer> layers = network.layers();
        List<LayerSpec> specs = new ArrayList<>();
        specs.add(new LayerSpec.Flatten());
        long inputs = network.architecture().inputSize();
        List<String> widths = new ArrayList<>(List.of(String.valueOf(inputs)));
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            long[] w = l.parameters().get(0).shape();
            boolean bias = l.parameters().size() == 2 && l.parameters().get(1).name().endsWith("_bias");
            if (!l.type().equals("Linear") || w.length != 2 || w[1] != inputs || l.parameters().size() > 2) {
                throw new IllegalArgumentException("TorchScript model '" + network.name() + "' is not a chain of Linear"
                        + " layers: layer " + l.name() + " (" + l.type() + ", weight " + Arrays.toString(w) + ") does not take "
                        + inputs + " inputs; declare its equivalent: TorchScript.sequential(network, Architecture.sequential(...))");
            }
            specs.add(new LayerSpec.Dense((int) w[0], bias));
            if (i < layers.size() - 1) {
                specs.add(new LayerSpec.Relu());
            }
            inputs = w[0];
            widths.add(String.valueOf(w[0]));
        }
        Architecture arch = Architecture.sequential(network.architecture().name(),
                "fully connected " + String.join("-", widths) + ", ReLU (from " + network.architecture().name() + ".pt)",
                network.architecture().inputShape(), network.architecture().outputs(), specs);
        return sequential(network, arch);
    }

    /**
     * Copies a TorchScript model's weights, in order, into a sequential architecture you declare, and
     * checks on 64 probe inputs that both compute the same outputs.
     *
     * @param network the TorchScript model
     * @param equivalent a sequential architecture with the same parameters in the same order
     * @return the sequential copy, named {@code NAME-sequential}
     * @throws IllegalArgumentException if the parameters do not match or the outputs differ
     */
    public static Network sequential(Network network, Architecture equivalent) {
        if (!equivalent.isSequential()) {
            throw new IllegalArgumentException("architecture '" + equivalent.name() + "' is not sequential;"
                    + " declare it with Architecture.sequential or take one from the zoo");
        }
        List<String> names = new ArrayList<>();
        for (var p : equivalent.factory().get().getParameters()) {
            names.add(p.getKey());
        }
        List<String> source = network.parameterNames();
        if (names.size() != source.size()) {
            throw new IllegalArgumentException("architecture '" + equivalent.name() + "' has " + names.size()
                    + " parameters " + names + ", TorchScript model '" + network.name() + "' " + source.size() + " "
                    + source + "; declare an architecture with the same layers");
        }
        Map<String, float[]> weights = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            weights.put(names.get(i), network.weights(source.get(i)));
        }
        Network copy = network.rebuilt(network.name() + "-sequential", "sequential(" + equivalent.name() + ")",
                equivalent, weights);
        try {
            float[] probe = new float[64 * (int) equivalent.inputSize()];
            Random rnd = new Random(1);
            for (int i = 0; i < probe.length; i++) {
                probe[i] = (float) rnd.nextGaussian();
            }
            int[] labels = new int[64];
            Samples samples = Samples.of(probe, labels, equivalent.inputShape(), equivalent.outputs());
            float[] a = network.outputs(samples);
            float[] b = copy.outputs(samples);
            double worst = 0;
            double scale = 1e-6;
            for (int i = 0; i < a.length; i++) {
                worst = Math.max(worst, Math.abs(a[i] - b[i]));
                scale = Math.max(scale, Math.abs(a[i]));
            }
            if (worst > 1e-4 * Math.max(1, scale)) {
                throw new IllegalArgumentException(String.format(
                        "TorchScript model '%s' does not compute what '%s' computes: outputs differ by up to %.3g on"
                                + " random inputs (largest output %.3g); its graph has more than the Linear layers"
                                + " (other activations, skips...), so declare its equivalent with"
                                + " TorchScript.sequential(network, architecture), or keep it unpacked",
                        network.name(), equivalent.name(), worst, scale));
            }
        } catch (RuntimeException e) {
            copy.close();
            throw e;
        }
        if (network.trainedOn() != null) {
            copy = copy.withEvaluation(copy.evaluate(network.trainedOn()), network.seconds());
        }
        return copy;
    }
}
