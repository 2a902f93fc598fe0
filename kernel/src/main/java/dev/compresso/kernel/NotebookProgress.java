package dev.compresso.kernel;

import dev.compresso.train.Progress;
import java.util.Locale;

/**
 * Shows training progress in a notebook as one HTML bar, shown with display_data and then updated
 * in place with update_display_data, at most ten times a second. The text/plain fallback is the
 * same bar in characters.
 */
final class NotebookProgress implements Progress.Listener {

    static final long MIN_INTERVAL_NANOS = 100_000_000L;

    private final Display.Sink sink;
    private final String id = java.util.UUID.randomUUID().toString();
    private boolean shown;
    private long last;

    NotebookProgress(Display.Sink sink) {
        this.sink = sink;
    }

    @Override
    public void onProgress(Progress p) {
        long now = System.nanoTime();
        if (shown && !p.done() && now - last < MIN_INTERVAL_NANOS) {
            return;
        }
        last = now;
        sink.show(new Bar(p), id, shown);
        shown = true;
    }

    /** One rendering of the bar: HTML for notebooks, text otherwise. */
    static final class Bar {
        private final Progress p;

        Bar(Progress p) {
            this.p = p;
        }

        /** The bar as HTML. */
        public String toHtml() {
            double f = Math.max(0, Math.min(1, p.fraction()));
            return String.format(Locale.ROOT,
                    "<div style=\"font-family:monospace\"><progress value=\"%.4f\" max=\"1\" style=\"width:30em\"></progress> %s</div>",
                    f, Renderers.escape(p.line()));
        }

        @Override
        public String toString() {
            int width = 24;
            int filled = (int) Math.round(Math.max(0, Math.min(1, p.fraction())) * width);
            return "[" + "#".repeat(filled) + ".".repeat(width - filled) + "] " + p.line();
        }
    }
}
