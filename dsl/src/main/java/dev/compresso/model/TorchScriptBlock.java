package dev.compresso.model;

import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.ParameterList;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A TorchScript module loaded through DJL's PyTorch engine ({@link PtSymbolBlock}), with its
 * parameters exposed under Compresso's layer names so pruning, sharing and quantization find them.
 *
 * <p>DJL names a TorchScript parameter after its module path ({@code fc1.weight}); this block names
 * the k-th module that owns parameters {@code NNType}, the type guessed from the weight's rank (2:
 * {@code Linear}, 4: {@code Conv2d}, else {@code Module}), so {@code fc1.weight} becomes {@code
 * 01Linear_weight}. The arrays are the module's own tensors: writing them in place (as every
 * technique does) changes what the module computes, and they record gradients, so the model trains.
 *
 * <p>The module is loaded when the block is initialized, into the initializing manager (the model's),
 * so it is freed with the model. Every copy loads the file again.
 */
final class TorchScriptBlock extends AbstractBlock {

    private final Path file;
    private PtSymbolBlock module;
    private ParameterList renamed = new ParameterList();

    TorchScriptBlock(Path file) {
        this.file = file;
    }

    @Override
    public void initialize(NDManager manager, DataType dataType, Shape... inputShapes) {
        beforeInitialize(inputShapes);
        if (module != null) {
            return;
        }
        module = load(manager, file);
        renamed = new ParameterList();
        for (Map.Entry<String, String> e : names(module).entrySet()) {
            Parameter p = module.getParameters().get(e.getKey());
            renamed.add(e.getValue(), Parameter.builder()
                    .setName(e.getValue())
                    .setType(p.getType())
                    .optArray(p.getArray())
                    .build());
        }
    }

    /** Loads the file into {@code manager}, parameters recording gradients. */
    static PtSymbolBlock load(NDManager manager, Path file) {
        PtSymbolBlock m = JniUtils.loadModule((PtNDManager) manager, file, true, new String[0], new String[0], true);
        m.freezeParameters(false);
        return m;
    }

    /** TorchScript parameter name → Compresso name, in the module's order. */
    static Map<String, String> names(PtSymbolBlock m) {
        Map<String, String> prefixToLayer = new LinkedHashMap<>();
        Map<String, String> out = new LinkedHashMap<>();
        List<Pair<String, Parameter>> params = new ArrayList<>();
        for (Pair<String, Parameter> p : m.getParameters()) {
            params.add(p);
        }
        for (Pair<String, Parameter> p : params) {
            String name = p.getKey();
            int cut = name.lastIndexOf('.');
            String prefix = cut < 0 ? "" : name.substring(0, cut);
            String leaf = name.substring(cut + 1);
            String layer = prefixToLayer.get(prefix);
            if (layer == null) {
                layer = String.format("%02d%s", prefixToLayer.size() + 1, type(prefix, params));
                prefixToLayer.put(prefix, layer);
            }
            out.put(name, layer + "_" + leaf);
        }
        return out;
    }

    private static String type(String prefix, List<Pair<String, Parameter>> params) {
        for (Pair<String, Parameter> p : params) {
            String name = p.getKey();
            if (name.equals(prefix.isEmpty() ? "weight" : prefix + ".weight")) {
                int dims = p.getValue().getArray().getShape().dimension();
                return dims == 2 ? "Linear" : dims == 4 ? "Conv2d" : "Module";
            }
        }
        return "Module";
    }

    @Override
    public ParameterList getDirectParameters() {
        return new ParameterList(renamed.keys(), renamed.values());
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        if (module == null) {
            throw new IllegalStateException("TorchScript block for " + file + " is not initialized; wrap it with Network.create");
        }
        return module.forward(store, inputs, training, params);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return module.getOutputShapes(inputShapes);
    }

    @Override
    public String toString() {
        return "TorchScript(" + file.getFileName() + ")";
    }

    /** Rethrows an engine failure with what went wrong. */
    static RuntimeException explain(Path file, EngineException e) {
        return new IllegalArgumentException("DJL's PyTorch " + TorchRuntime.pytorchVersion() + " engine could not load "
                + file + ": " + firstLine(e.getMessage()) + "; export it with torch.jit.save(torch.jit.script(model), path)"
                + " from PyTorch ≤ " + TorchRuntime.pytorchVersion(), e);
    }

    static String firstLine(String s) {
        if (s == null) {
            return "no message";
        }
        String t = s.strip();
        int nl = t.indexOf('\n');
        return nl < 0 ? t : t.substring(0, nl);
    }
}
