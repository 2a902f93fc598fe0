package dev.compresso.train;

import ai.djl.ndarray.NDArray;
import dev.compresso.data.Samples;

/**
 * A training loss other than softmax cross-entropy on the labels, for techniques that need more than
 * the labels (distillation needs the teacher's outputs for the same samples). The fit loop shuffles,
 * so it passes the indices of the batch's samples in the training set.
 *
 * <p>The returned array is what the loop differentiates; it must be a scalar computed from {@code
 * logits} inside the gradient scope (create any constants in {@code logits.getManager()}, which is
 * closed after the batch). The progress bar and the history still show the cross-entropy on the hard
 * labels, so runs with and without a custom loss compare.
 *
 * <pre>{@code
 * var opts = epochs(10).loss(Distillation.from(teacher).temperature(4).lossFor(student, data));
 * }</pre>
 */
@FunctionalInterface
public interface BatchLoss {

    /**
     * The loss of one batch.
     *
     * @param indices the indices in the training set of the batch's rows, in row order
     * @param logits the network's outputs, {@code batch × outputs}, recording gradients
     * @param labels the rows' labels, {@code batch}, int64
     * @return a scalar to differentiate
     */
    NDArray loss(int[] indices, NDArray logits, NDArray labels);

    /**
     * Called once before training starts, with the training samples the indices will point into.
     * The default does nothing; a loss bound to one data set checks it here.
     *
     * @param train the training samples
     * @throws IllegalArgumentException if this loss cannot serve these samples
     */
    default void begin(Samples train) {}

    /** How the chain and the options show this loss; the default says {@code custom}. */
    default String describe() {
        return "custom";
    }
}
