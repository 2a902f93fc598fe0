package dev.compresso.train;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/**
 * A rule on a model's weights that training must keep, such as a pruning mask or a codebook. The
 * fit loop re-applies every constraint of a network right after each optimizer step, because DJL
 * has no forward pre-hooks and its batch listeners fire before the step.
 */
public interface Constraint {

    /**
     * Re-imposes the rule on the weights, in place.
     *
     * @param parameters the network's live parameter arrays by name
     */
    void apply(Map<String, NDArray> parameters);

    /**
     * Whether this constraint makes {@code other} redundant, so a network that gains this one can
     * drop the other (a tighter pruning mask supersedes a looser one on the same parameters).
     *
     * @param other a constraint the network already has
     * @return true to replace it
     */
    default boolean supersedes(Constraint other) {
        return false;
    }
}
