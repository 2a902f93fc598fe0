package dev.compresso.train;

import java.util.ArrayList;
import java.util.List;

/**
 * Per-epoch statistics of all the training a network went through, oldest first.
 *
 * @param epochs one entry per completed epoch
 */
public record TrainingHistory(List<Epoch> epochs) {

    /** No training yet. */
    public static final TrainingHistory EMPTY = new TrainingHistory(List.of());

    /**
     * Statistics of one epoch.
     *
     * @param trainLoss mean training loss over the epoch's batches
     * @param trainTop1 training accuracy over the epoch's batches
     * @param testTop1 test accuracy after the epoch
     * @param testLoss test loss after the epoch
     * @param seconds wall time of the epoch's training, without the test pass
     */
    public record Epoch(double trainLoss, double trainTop1, double testTop1, double testLoss, double seconds) {}

    /** Copies the list. */
    public TrainingHistory {
        epochs = List.copyOf(epochs);
    }

    /** This history followed by {@code later}. */
    public TrainingHistory then(TrainingHistory later) {
        List<Epoch> all = new ArrayList<>(epochs);
        all.addAll(later.epochs);
        return new TrainingHistory(all);
    }

    /** Number of epochs. */
    public int size() {
        return epochs.size();
    }
}
