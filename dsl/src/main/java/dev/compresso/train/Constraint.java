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
}
