package dev.compresso.train;

/**
 * The result of evaluating a network on test data.
 *
 * @param top1 share of samples whose highest-scoring class is the label, in [0, 1]
 * @param loss mean softmax cross-entropy
 * @param microsPerSample wall time of the batched forward pass divided by the number of samples
 * @param samples how many samples were evaluated
 */
public record Evaluation(double top1, double loss, double microsPerSample, int samples) {

    @Override
    public String toString() {
        return String.format("top-1 %.2f%%, loss %.4f, %.1f µs/sample (%,d samples)", 100 * top1, loss, microsPerSample, samples);
    }
}
