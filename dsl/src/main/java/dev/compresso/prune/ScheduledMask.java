package dev.compresso.prune;

import ai.djl.ndarray.NDArray;
import dev.compresso.train.Constraint;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Pruning during training on a schedule: counts optimizer steps and, at the schedule's pruning
 * steps, recomputes the magnitude masks at the scheduled sparsity; between them the current masks
 * hold. Stateful, so each fine-tuning run gets its own instance.
 */
final class ScheduledMask implements Constraint {

    private final Schedule schedule;
    private final List<String> params;
    private long step;
    private MaskConstraint current;

    ScheduledMask(Schedule schedule, List<String> params) {
        this.schedule = schedule;
        this.params = List.copyOf(params);
    }

    @Override
    public void apply(Map<String, NDArray> parameters) {
        if (schedule.prunesAt(step)) {
            double s = schedule.sparsity(step);
            Map<String, float[]> masks = new LinkedHashMap<>();
            for (String p : params) {
                float[] w = parameters.get(p).toFloatArray();
                float[] m = Masks.smallest(w, (int) Math.round(s * w.length));
                if (current != null) {
                    float[] old = current.masks().get(p);
                    for (int i = 0; i < m.length; i++) {
                        m[i] *= old[i];
                    }
                }
                masks.put(p, m);
            }
            current = new MaskConstraint(masks);
        }
        if (current != null) {
            current.apply(parameters);
        }
        step++;
    }

    /** The masks as of the last pruning step, or null before the first. */
    MaskConstraint current() {
        return current;
    }

    List<String> params() {
        return params;
    }

    long steps() {
        return step;
    }
}
