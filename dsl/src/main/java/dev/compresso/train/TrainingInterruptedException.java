package dev.compresso.train;

import dev.compresso.model.Network;

/**
 * Thrown when training is interrupted. The network it carries holds the weights of the last
 * completed optimizer step and is usable.
 */
public final class TrainingInterruptedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient Network partial;

    /**
     * @param message what was completed
     * @param partial the network as of the last completed step
     */
    public TrainingInterruptedException(String message, Network partial) {
        super(message);
        this.partial = partial;
    }

    /** The network as of the last completed optimizer step. */
    public Network partial() {
        return partial;
    }
}
