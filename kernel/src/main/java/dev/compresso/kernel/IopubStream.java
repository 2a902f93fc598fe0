package dev.compresso.kernel;

import com.google.gson.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * What a cell prints, sent to iopub as a stream message on each flush; outside a cell (no parent
 * request), to the real stream.
 */
final class IopubStream extends OutputStream {

    private final String name;
    private final PrintStream fallback;
    private final Supplier<JsonObject> parent;
    private final BiConsumer<JsonObject, JsonObject> publish;
    private final ByteArrayOutputStream buf = new ByteArrayOutputStream();

    /**
     * @param name stdout or stderr
     * @param fallback the stream outside a cell
     * @param parent the header of the request the running cell came from, or null
     * @param publish sends a stream message: (parent header, content)
     */
    IopubStream(String name, PrintStream fallback, Supplier<JsonObject> parent, BiConsumer<JsonObject, JsonObject> publish) {
        this.name = name;
        this.fallback = fallback;
        this.parent = parent;
        this.publish = publish;
    }

    @Override
    public synchronized void write(int b) {
        buf.write(b);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
        buf.write(b, off, len);
    }

    @Override
    public synchronized void flush() {
        if (buf.size() == 0) {
            return;
        }
        JsonObject p = parent.get();
        if (p == null) {
            fallback.write(buf.toByteArray(), 0, buf.size());
            fallback.flush();
        } else {
            JsonObject c = new JsonObject();
            c.addProperty("name", name);
            c.addProperty("text", buf.toString(StandardCharsets.UTF_8));
            publish.accept(p, c);
        }
        buf.reset();
    }
}
