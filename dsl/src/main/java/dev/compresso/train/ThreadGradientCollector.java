package dev.compresso.train;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;

/**
 * DJL's {@code PtGradientCollector} without its one-per-JVM flag. DJL refuses a second collector
 * while one is open anywhere in the process ("Only one can be collecting at a time"), but PyTorch's
 * grad mode and autograd graphs are per thread, so two threads that train two models (two Spark
 * tasks in one JVM, {@code local[2]}) can each collect their own gradients. Same calls otherwise.
 */
final class ThreadGradientCollector implements GradientCollector {

    private final boolean wasRecording;

    ThreadGradientCollector() {
        wasRecording = JniUtils.isGradMode();
        JniUtils.setGradMode(true);
    }

    @Override
    public void backward(NDArray target) {
        try (NDArray ones = target.getManager().ones(target.getShape(), target.getDataType()).toDevice(target.getDevice(), false)) {
            JniUtils.backward((PtNDArray) target, (PtNDArray) ones, false, false);
        }
    }

    /** Not needed: DJL's PyTorch optimizer updates zero each gradient after using it. */
    @Override
    public void zeroGradients() {
        throw new UnsupportedOperationException("Fit never zeroes gradients by hand: the optimizer's update does");
    }

    @Override
    public void close() {
        if (!wasRecording) {
            JniUtils.setGradMode(false);
        }
    }
}
