package dev.compresso.model;

import java.util.List;

/**
 * One layer of a model that has parameters, as the model handle lists it.
 *
 * @param name the layer's name in the block tree, for example {@code 02Linear}
 * @param type the DJL block type, for example {@code Linear} or {@code Conv2d}
 * @param parameters its parameters, weight first
 */
public record Layer(String name, String type, List<ParameterInfo> parameters) {

    /**
     * One parameter of a layer.
     *
     * @param name the full parameter name, for example {@code 02Linear_weight}
     * @param shape its shape
     * @param count number of values
     * @param nonZeros number of values that are not exactly zero
     */
    public record ParameterInfo(String name, long[] shape, long count, long nonZeros) {

        /** True for a weight (not a bias or a running statistic). */
        public boolean isWeight() {
            return name.endsWith("weight");
        }
    }

    /** Number of parameters in this layer. */
    public long count() {
        return parameters.stream().mapToLong(ParameterInfo::count).sum();
    }
}
