package dev.compresso.train;

import java.io.PrintStream;

/**
 * Renders progress as text: an in-place bar redrawn with carriage returns on a terminal, or one line
 * per epoch when the output is a file or pipe. At most ten redraws a second.
 */
public final class ConsoleProgress implements Progress.Listener {

    private final PrintStream out;
    private final boolean interactive;
    private long lastDraw;
    private int lastEpochPrinted;

    /**
     * @param out where to print
     * @param interactive true to redraw one line in place (a terminal), false for a line per epoch
     */
    public ConsoleProgress(PrintStream out, boolean interactive) {
        this.out = out;
        this.interactive = interactive;
    }

    /** A console renderer on {@code System.out}, interactive when a terminal is attached. */
    public static ConsoleProgress stdout() {
        return new ConsoleProgress(System.out, System.console() != null);
    }

    @Override
    public void onProgress(Progress p) {
        if (interactive) {
            long now = System.nanoTime();
            if (!p.done() && now - lastDraw < 100_000_000L) {
                return;
            }
            lastDraw = now;
            out.print("\r" + bar(p.fraction(), 24) + " " + p.line() + (p.done() ? "\n" : ""));
            out.flush();
        } else if (p.done() || (p.batch() == p.batches() && p.epoch() != lastEpochPrinted)) {
            lastEpochPrinted = p.epoch();
            out.println(p.line());
        }
    }

    static String bar(double fraction, int width) {
        int filled = (int) Math.round(Math.max(0, Math.min(1, fraction)) * width);
        return "[" + "#".repeat(filled) + ".".repeat(width - filled) + "]";
    }
}
