package dev.compresso.prune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.compresso.train.Constraint;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.HashMap;

/**
 * Pruning masks as a constraint: after every optimizer step, pruned weights are set back to exactly
 * zero. The masks are plain Java arrays; their native copies are made once per network (keyed by the
 * network's memory manager) and freed with it.
 */
public final class MaskConstraint implements Constraint {

    private final Map<String, float[]> masks;
    private final Map<NDManager, Map<String, NDArray>> nativeMasks = new HashMap<>();

    /**
     * @param masks a 0/1 mask per parameter name, as long as the parameter
     */
    public MaskConstraint(Map<String, float[]> masks) {
        this.masks = Collections.unmodifiableMap(new LinkedHashMap<>(masks));
    }

    /** The masks by parameter name (1 keeps, 0 prunes). */
    public Map<String, float[]> masks() {
        return masks;
    }

    @Override
    public void apply(Map<String, NDArray> parameters) {
        for (Map.Entry<String, float[]> m : masks.entrySet()) {
            NDArray w = parameters.get(m.getKey());
            if (w == null) {
                throw new IllegalStateException("mask for '" + m.getKey() + "' but the network has no such parameter");
            }
            // adding +0 turns the -0.0 of negative pruned weights into +0.0, so pruned weights are bit-identical zeros
            w.muli(nativeMask(w, m.getKey(), m.getValue())).addi(0f);
        }
    }

    private synchronized NDArray nativeMask(NDArray w, String name, float[] values) {
        NDManager manager = w.getManager();
        Map<String, NDArray> cache = nativeMasks.get(manager);
        if (cache == null) {
            nativeMasks.keySet().removeIf(m -> !m.isOpen()); // networks closed since: drop their entries
            cache = new HashMap<>();
            nativeMasks.put(manager, cache);
        }
        return cache.computeIfAbsent(name, k -> manager.create(values, w.getShape()));
    }

    /** A mask supersedes another that covers no parameter it does not cover. */
    @Override
    public boolean supersedes(Constraint other) {
        return (other instanceof MaskConstraint o && masks.keySet().containsAll(o.masks.keySet()))
                || (other instanceof ScheduledMask s && masks.keySet().containsAll(s.params()));
    }
}
