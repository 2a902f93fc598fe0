package dev.compresso.train;

/**
 * A progress report from a long operation, such as a training batch.
 *
 * @param task what is running, for example {@code train lenet-300-100}
 * @param epoch the current epoch, from 1
 * @param epochs total epochs
 * @param batch the batches completed in this epoch
 * @param batches batches per epoch
 * @param loss running mean training loss of this epoch
 * @param top1 running training accuracy of this epoch
 * @param etaSeconds estimated seconds until the whole operation ends
 * @param done true for the last report of the operation
 */
public record Progress(
        String task, int epoch, int epochs, int batch, int batches, double loss, double top1, double etaSeconds, boolean done) {

    /** Share of the whole operation completed, in [0, 1]. */
    public double fraction() {
        if (epochs == 0 || batches == 0) {
            return 1;
        }
        return ((epoch - 1) + (double) batch / batches) / epochs;
    }

    /** One line: task, epoch, batch, loss, accuracy and ETA. */
    public String line() {
        return String.format(
                "%s  epoch %d/%d  batch %d/%d  loss %.4f  acc %.2f%%  %s",
                task, epoch, epochs, batch, batches, loss, 100 * top1,
                done ? "done" : "ETA " + formatSeconds(etaSeconds));
    }

    static String formatSeconds(double s) {
        if (Double.isNaN(s) || Double.isInfinite(s)) {
            return "?";
        }
        long t = Math.round(s);
        return t >= 60 ? (t / 60) + "m" + String.format("%02d", t % 60) + "s" : t + "s";
    }

    /** Receives progress reports; called on the training thread, so keep it quick. */
    @FunctionalInterface
    public interface Listener {
        /**
         * @param progress the latest report
         */
        void onProgress(Progress progress);
    }
}
