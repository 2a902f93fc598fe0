package dev.compresso.kernel;

/**
 * {@code display(x)}, {@code updateDisplay(id, x)} and {@code clearOutput()}, preloaded in every notebook and script. In a
 * notebook they send rich output at once; in a script they print text (charts are saved).
 */
public final class Display {

    /** Where displays go: the kernel, the notebook runner or the script runner. */
    interface Sink {
        /**
         * @param value what to show
         * @param id the display id to use
         * @param update true to replace an earlier display with this id
         */
        void show(Object value, String id, boolean update);

        /**
         * Clears the cell's output so far.
         *
         * @param wait true to clear only when the next output comes (no flicker in a loop)
         */
        default void clear(boolean wait) {}

        /**
         * Shows text in the front end's pager (a page payload of the execute reply).
         *
         * @param text plain text
         */
        default void page(String text) {
            System.out.println(text);
        }
    }

    private static final InheritableThreadLocal<Sink> SINK = new InheritableThreadLocal<>();

    private Display() {}

    /** Binds the sink for code run from this thread (and threads it starts); null unbinds. */
    static void bind(Sink sink) {
        if (sink == null) {
            SINK.remove();
        } else {
            SINK.set(sink);
        }
    }

    /**
     * Shows a value now, with the same renderers as a cell's result.
     *
     * @param value what to show: a chart, a table, a model, any object
     * @return the display id, for {@link #updateDisplay(DisplayId, Object)}; not shown itself
     */
    public static DisplayId display(Object value) {
        DisplayId handle = new DisplayId(java.util.UUID.randomUUID().toString());
        String id = handle.id();
        Sink sink = SINK.get();
        if (sink == null) {
            System.out.println(Renderers.text(value));
        } else {
            sink.show(value, id, false);
        }
        return handle;
    }

    /** Clears the cell's output now, in a notebook; elsewhere (a script) does nothing. */
    public static void clearOutput() {
        clearOutput(false);
    }

    /**
     * Clears the cell's output, in a notebook; elsewhere (a script) does nothing. In a loop that
     * redraws a result, {@code clearOutput(true)} then {@code display(x)} replaces it without a flicker.
     *
     * @param wait true to clear only when the next output arrives
     */
    public static void clearOutput(boolean wait) {
        Sink sink = SINK.get();
        if (sink != null) {
            System.out.flush();
            System.err.flush();
            sink.clear(wait);
        }
    }

    /** Shows text in the pager, in a notebook; prints it in a script. */
    static void page(String text) {
        Sink sink = SINK.get();
        if (sink == null) {
            System.out.println(text);
        } else {
            sink.page(text);
        }
    }

    /**
     * Replaces what an earlier {@link #display(Object)} showed.
     *
     * @param id what {@code display} returned
     * @param value the new content
     */
    public static void updateDisplay(DisplayId id, Object value) {
        if (id == null) {
            throw new IllegalArgumentException("display id is null; pass what display(x) returned");
        }
        updateDisplay(id.id(), value);
    }

    /**
     * Replaces what an earlier {@link #display(Object)} showed.
     *
     * @param id the id, as text
     * @param value the new content
     */
    public static void updateDisplay(String id, Object value) {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("display id '" + id + "' is empty; pass the id that display(x) returned");
        }
        Sink sink = SINK.get();
        if (sink == null) {
            System.out.println(Renderers.text(value));
        } else {
            sink.show(value, id, true);
        }
    }
}
