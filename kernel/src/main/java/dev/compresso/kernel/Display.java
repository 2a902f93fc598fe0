package dev.compresso.kernel;

/**
 * {@code display(x)} and {@code updateDisplay(id, x)}, preloaded in every notebook and script. In a
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
