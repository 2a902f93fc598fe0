package dev.compresso.kernel;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.ZMQ;

/**
 * The stdin channel and {@code System.in} in a cell: each time the stream's buffer runs dry, it
 * asks the client for a line with input_request and waits for the input_reply (the line, plus a
 * newline). Interrupting the cell ends the wait. Outside a cell, or when the client does not allow
 * stdin, reading fails with an IOException that says so. One thread owns the socket (ZMQ sockets are
 * single-threaded, and a cell's thread may be interrupted).
 */
final class StdinChannel {

    private static final Logger LOG = LoggerFactory.getLogger(StdinChannel.class);

    private record Request(List<byte[]> ids, JsonObject parent, JsonObject content) {}

    private final ZMQ.Socket socket;
    private final Wire wire;
    private final Runnable flush;
    private final BlockingQueue<Request> requests = new LinkedBlockingQueue<>();
    private final BlockingQueue<String> replies = new LinkedBlockingQueue<>();
    private final Stream stream = new Stream();
    /** The request a running cell came from; null outside a cell. */
    private volatile Wire.Msg current;
    private volatile boolean allowed;

    /**
     * @param socket the bound stdin socket, with a short receive timeout
     * @param flush flushes stdout and stderr before a prompt
     */
    StdinChannel(ZMQ.Socket socket, Wire wire, Runnable flush) {
        this.socket = socket;
        this.wire = wire;
        this.flush = flush;
    }

    /** The stream to install as {@code System.in}. */
    InputStream stream() {
        return stream;
    }

    /** A cell starts: reads go to the client that sent {@code request}, if it allows stdin. */
    void begin(Wire.Msg request, boolean allowStdin) {
        allowed = allowStdin;
        current = request;
    }

    /** The cell ended: what it left unread is dropped, so the next cell does not read it. */
    void end() {
        current = null;
        stream.discard();
    }

    /** Sends queued input_requests and hands input_reply values to the waiting cell, until stopped. */
    void loop(BooleanSupplier running) {
        while (running.getAsBoolean()) {
            Request out;
            while ((out = requests.poll()) != null) {
                wire.send(socket, out.ids(), "input_request", out.parent(), out.content(), null);
            }
            List<byte[]> frames;
            try {
                frames = Wire.receive(socket);
            } catch (RuntimeException e) {
                if (running.getAsBoolean()) {
                    LOG.warn("stdin: receive failed: {}", e.toString());
                }
                continue;
            }
            if (frames == null) {
                continue;
            }
            try {
                Wire.Msg reply = wire.parse(frames);
                if (!reply.type().equals("input_reply")) {
                    LOG.warn("stdin: ignored {}", reply.type());
                    continue;
                }
                JsonObject rc = reply.content();
                replies.add(rc.has("value") && !rc.get("value").isJsonNull() ? rc.get("value").getAsString() : "");
            } catch (Wire.BadMessage e) {
                LOG.warn("stdin: dropped a message: {}", e.getMessage());
            }
        }
    }

    private String requestLine() throws IOException {
        Wire.Msg req = current;
        if (req == null) {
            throw new IOException("System.in can only be read while a cell runs");
        }
        if (!allowed) {
            throw new IOException("this client does not accept input (allow_stdin is false), so System.in cannot be "
                    + "read here; pass the value in the code instead, or run the notebook in a front end that "
                    + "supports input, such as JupyterLab");
        }
        flush.run();
        JsonObject c = new JsonObject();
        c.addProperty("prompt", "");
        c.addProperty("password", false);
        replies.clear();
        requests.add(new Request(req.ids(), req.header(), c));
        try {
            return replies.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for input");
        }
    }

    private final class Stream extends InputStream {
        private byte[] buf = new byte[0];
        private int pos;

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public synchronized int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (pos >= buf.length) {
                buf = (requestLine() + "\n").getBytes(StandardCharsets.UTF_8);
                pos = 0;
            }
            int n = Math.min(len, buf.length - pos);
            System.arraycopy(buf, pos, b, off, n);
            pos += n;
            return n;
        }

        synchronized void discard() {
            buf = new byte[0];
            pos = 0;
        }

        @Override
        public synchronized int available() {
            return buf.length - pos;
        }
    }
}
