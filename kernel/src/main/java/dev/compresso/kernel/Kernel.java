package dev.compresso.kernel;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.compresso.model.TorchRuntime;
import dev.compresso.train.TrainOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Pattern;
import jdk.jshell.SourceCodeAnalysis;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * The Jupyter kernel: five ZMQ channels, one thread each for shell, control and heartbeat. Cells
 * run on the shell thread (JShell runs each snippet on its own thread), so control hears interrupt
 * and shutdown while a cell runs. Every valid request gets a reply, an error reply if its handler
 * throws; forged, malformed and unknown messages are logged and dropped.
 */
final class Kernel {

    private static final Logger LOG = LoggerFactory.getLogger(Kernel.class);
    private static final int POLL_MILLIS = 100;
    /** How long closing a socket waits for its queued messages. */
    static final int CLOSE_LINGER_MILLIS = 1000;
    /** How long an input_request may wait in the queue before the stdin thread sends it. */
    private static final int STDIN_POLL_MILLIS = 20;

    private final ConnectionInfo conn;
    private final Wire wire;
    private final ZContext ctx = new ZContext(1);
    private final ZMQ.Socket shell;
    private final ZMQ.Socket control;
    private final ZMQ.Socket iopub;
    private final ZMQ.Socket stdin;
    private final ZMQ.Socket heartbeat;
    private final Object iopubLock = new Object();
    private final CompletableFuture<Evaluator> evaluator;
    private final List<String> history = new ArrayList<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Object cellLock = new Object();
    private boolean cellActive; // an execute_request is being handled; guarded by cellLock
    private boolean interruptPending; // an interrupt came during it; guarded by cellLock
    private volatile boolean running = true;
    private volatile boolean restartRequested;
    private volatile JsonObject currentParent;
    /** The request a running cell came from, for input_request on stdin; null outside a cell. */
    private volatile Wire.Msg currentRequest;
    private volatile boolean currentAllowStdin;
    private final Object stdinLock = new Object();
    private final java.util.concurrent.BlockingQueue<Object[]> stdinRequests = new java.util.concurrent.LinkedBlockingQueue<>();
    private final java.util.concurrent.BlockingQueue<String> stdinReplies = new java.util.concurrent.LinkedBlockingQueue<>();
    private InputStream originalIn;
    private final StdinStream stdinStream = new StdinStream();
    private int executionCount;
    /** Set when a cell failed with stop_on_error: execute requests already queued are aborted. */
    private boolean abortQueued;
    private PrintStream originalOut;
    private PrintStream originalErr;

    Kernel(ConnectionInfo conn) {
        this.conn = conn;
        this.wire = new Wire(conn.key(), conn.signatureScheme());
        shell = bind(SocketType.ROUTER, conn.shellPort());
        control = bind(SocketType.ROUTER, conn.controlPort());
        iopub = bind(SocketType.PUB, conn.iopubPort());
        stdin = bind(SocketType.ROUTER, conn.stdinPort());
        heartbeat = bind(SocketType.REP, conn.hbPort());
        stdin.setReceiveTimeOut(STDIN_POLL_MILLIS);
        // JShell and the DSL imports take a moment; answer kernel_info meanwhile.
        evaluator = CompletableFuture.supplyAsync(Evaluator::new);
        // So does the PyTorch engine, which the first DSL cell needs: load it alongside (cells share this
        // JVM's class loader). A failure is only logged; that cell then reports it.
        daemon("compresso-engine", () -> {
            try {
                TorchRuntime.engine();
            } catch (RuntimeException | LinkageError e) {
                LOG.warn("the PyTorch engine did not load ahead of the first cell: {}", e.toString());
            }
        }).start();
    }

    private ZMQ.Socket bind(SocketType type, int port) {
        ZMQ.Socket s = ctx.createSocket(type);
        // Closing waits up to this long for queued messages, so the last replies (shutdown_reply, the
        // final idle status) reach the client; with 0 they could be dropped as the kernel exits.
        s.setLinger(CLOSE_LINGER_MILLIS);
        s.setReceiveTimeOut(POLL_MILLIS);
        s.bind(conn.address(port));
        return s;
    }

    /** Serves until a shutdown request; returns whether a restart was asked for. */
    boolean serve() throws InterruptedException {
        originalOut = System.out;
        originalErr = System.err;
        originalIn = System.in;
        System.setIn(stdinStream);
        System.setOut(new PrintStream(new IopubStream("stdout", originalOut), true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(new IopubStream("stderr", originalErr), true, StandardCharsets.UTF_8));
        TrainOptions.setDefaultListener(() -> new NotebookProgress(this::showDisplay));
        Thread hb = daemon("compresso-heartbeat", this::heartbeatLoop);
        Thread ctl = daemon("compresso-control", () -> loop(control, "control"));
        Thread in = daemon("compresso-stdin", this::stdinLoop);
        Thread sh = daemon("compresso-shell", () -> {
            Display.bind(this::showDisplay);
            loop(shell, "shell");
        });
        hb.start();
        in.start();
        ctl.start();
        sh.start();
        publishStatus("starting", null);
        stopped.await();
        running = false;
        evaluator.thenAccept(Evaluator::interrupt);
        sh.join(2000);
        ctl.join(1000);
        hb.join(1000);
        in.join(1000);
        System.setOut(originalOut);
        System.setErr(originalErr);
        System.setIn(originalIn);
        TrainOptions.setDefaultListener(null);
        ctx.close();
        return restartRequested;
    }

    /** Ends {@link #serve} as a shutdown request would, logging why. */
    void stop(String why) {
        LOG.warn("shutting down: {}", why);
        stopped.countDown();
    }

    /**
     * Handles SIGINT and interrupt_request alike: stops the cell that runs, also one still waiting for
     * JShell to start; with no cell running it does nothing.
     */
    void interrupt() {
        synchronized (cellLock) {
            if (!cellActive) {
                return;
            }
            interruptPending = true;
            Evaluator ev = evaluator.getNow(null);
            if (ev != null) {
                ev.interrupt(); // returns at once
            }
        }
    }

    private static Thread daemon(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    private void heartbeatLoop() {
        while (running) {
            List<byte[]> frames = Wire.receive(heartbeat);
            if (frames == null) {
                continue;
            }
            for (int i = 0; i < frames.size(); i++) {
                if (i < frames.size() - 1) {
                    heartbeat.sendMore(frames.get(i));
                } else {
                    heartbeat.send(frames.get(i));
                }
            }
        }
    }

    private void loop(ZMQ.Socket socket, String channel) {
        while (running) {
            List<byte[]> frames;
            try {
                frames = Wire.receive(socket);
            } catch (RuntimeException e) {
                if (running) {
                    LOG.warn("{}: receive failed: {}", channel, e.toString());
                }
                continue;
            }
            Wire.Msg msg = parseOrDrop(frames, channel);
            if (msg == null) {
                continue;
            }
            handle(socket, channel, msg);
        }
    }

    /** The parsed message, or null (logged) if it is forged or malformed, or there were no frames. */
    private Wire.Msg parseOrDrop(List<byte[]> frames, String channel) {
        if (frames == null) {
            return null;
        }
        try {
            return wire.parse(frames);
        } catch (Wire.BadMessage e) {
            LOG.warn("{}: dropped a message: {}", channel, e.getMessage());
            return null;
        }
    }

    /**
     * After a failed cell with {@code stop_on_error} (the default), answers every execute request
     * that is already waiting with status {@code aborted}, as ipykernel does, so "Run All" stops at
     * the first error. Other requests waiting meanwhile are handled normally.
     */
    private void abortQueuedExecutes(ZMQ.Socket socket, String channel) {
        while (running) {
            List<byte[]> frames = Wire.receiveNow(socket);
            if (frames == null) {
                return;
            }
            Wire.Msg msg = parseOrDrop(frames, channel);
            if (msg == null) {
                continue;
            }
            if (!msg.type().equals("execute_request")) {
                handle(socket, channel, msg);
                continue;
            }
            publishStatus("busy", msg.header());
            JsonObject aborted = new JsonObject();
            aborted.addProperty("status", "aborted");
            aborted.add("execution_count", com.google.gson.JsonNull.INSTANCE);
            wire.send(socket, msg.ids(), "execute_reply", msg.header(), aborted, null);
            publishStatus("idle", msg.header());
        }
    }

    private void handle(ZMQ.Socket socket, String channel, Wire.Msg msg) {
        String type = msg.type();
        if (!type.endsWith("_request")) {
            LOG.info("{}: ignored {}", channel, type);
            return;
        }
        String replyType = type.replace("_request", "_reply");
        publishStatus("busy", msg.header());
        try {
            JsonObject content = switch (type) {
                case "kernel_info_request" -> kernelInfo();
                case "execute_request" -> execute(msg);
                case "complete_request" -> complete(msg.content());
                case "inspect_request" -> inspect(msg.content());
                case "is_complete_request" -> isComplete(msg.content());
                case "history_request" -> history(msg.content());
                case "comm_info_request" -> ok(obj("comms", new JsonObject()));
                case "interrupt_request" -> {
                    interrupt();
                    yield ok(new JsonObject());
                }
                case "shutdown_request" -> {
                    restartRequested = msg.content().has("restart") && msg.content().get("restart").getAsBoolean();
                    JsonObject c = ok(new JsonObject());
                    c.addProperty("restart", restartRequested);
                    yield c;
                }
                default -> null;
            };
            if (abortQueued) {
                // A cell failed with stop_on_error: abort the executes queued behind it before its reply
                // goes out, so that whatever the client sends after hearing of the failure runs.
                abortQueued = false;
                abortQueuedExecutes(socket, channel);
            }
            if (content == null) {
                LOG.warn("{}: dropped unknown request type '{}'", channel, type);
            } else {
                wire.send(socket, msg.ids(), replyType, msg.header(), content, null);
            }
            if (type.equals("shutdown_request")) {
                publishStatus("idle", msg.header());
                running = false;
                stopped.countDown();
                return;
            }
        } catch (RuntimeException | Error e) {
            LOG.warn("{}: {} failed: {}", channel, type, e.toString());
            JsonObject c = new JsonObject();
            c.addProperty("status", "error");
            c.addProperty("ename", e.getClass().getSimpleName());
            c.addProperty("evalue", String.valueOf(e.getMessage()));
            JsonArray tb = new JsonArray();
            tb.add(e.toString());
            c.add("traceback", tb);
            wire.send(socket, msg.ids(), replyType, msg.header(), c, null);
        }
        publishStatus("idle", msg.header());
    }

    // ------------------------------------------------------------------ iopub

    void publish(String type, JsonObject parent, JsonObject content) {
        synchronized (iopubLock) {
            wire.send(iopub, List.of(type.getBytes(StandardCharsets.UTF_8)), type, parent, content, null);
        }
    }

    private void publishStatus(String state, JsonObject parent) {
        publish("status", parent, obj("execution_state", state));
    }

    /** Display sink for display(x), updateDisplay(id, x) and progress bars. */
    private void showDisplay(Object value, String id, boolean update) {
        JsonObject parent = currentParent;
        if (parent == null) {
            return;
        }
        flushStreams();
        JsonObject c = new JsonObject();
        c.add("data", NotebookRunner.data(Renderers.bundle(value)));
        c.add("metadata", new JsonObject());
        c.add("transient", obj("display_id", id));
        publish(update ? "update_display_data" : "display_data", parent, c);
    }

    private void flushStreams() {
        System.out.flush();
        System.err.flush();
    }

    /** Sends what a cell prints to iopub as it is printed; outside a cell, to the real stream. */
    private final class IopubStream extends OutputStream {
        private final String name;
        private final PrintStream fallback;
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();

        IopubStream(String name, PrintStream fallback) {
            this.name = name;
            this.fallback = fallback;
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
            JsonObject parent = currentParent;
            if (parent == null) {
                fallback.write(buf.toByteArray(), 0, buf.size());
                fallback.flush();
            } else {
                JsonObject c = new JsonObject();
                c.addProperty("name", name);
                c.addProperty("text", buf.toString(StandardCharsets.UTF_8));
                publish("stream", parent, c);
            }
            buf.reset();
        }
    }

    /**
     * {@code System.in} in a cell: each time its buffer runs dry, asks the client for a line with
     * input_request on the stdin channel and waits for the input_reply (the line, plus a newline).
     * Interrupting the cell ends the wait. Outside a cell, or when the client does not allow stdin,
     * reading fails with an IOException that says so.
     */
    private final class StdinStream extends InputStream {
        private byte[] buf = new byte[0];
        private int pos;

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            synchronized (stdinLock) {
                if (pos >= buf.length) {
                    buf = (requestLine() + "\n").getBytes(StandardCharsets.UTF_8);
                    pos = 0;
                }
                int n = Math.min(len, buf.length - pos);
                System.arraycopy(buf, pos, b, off, n);
                pos += n;
                return n;
            }
        }

        /** Drops what a cell left unread, so the next cell does not read it. */
        void discard() {
            synchronized (stdinLock) {
                buf = new byte[0];
                pos = 0;
            }
        }

        @Override
        public int available() {
            synchronized (stdinLock) {
                return buf.length - pos;
            }
        }

        private String requestLine() throws IOException {
            Wire.Msg req = currentRequest;
            if (req == null) {
                throw new IOException("System.in can only be read while a cell runs");
            }
            if (!currentAllowStdin) {
                throw new IOException("this client does not accept input (allow_stdin is false), so System.in cannot be "
                        + "read here; pass the value in the code instead, or run the notebook in a front end that "
                        + "supports input, such as JupyterLab");
            }
            flushStreams();
            JsonObject c = new JsonObject();
            c.addProperty("prompt", "");
            c.addProperty("password", false);
            stdinReplies.clear();
            stdinRequests.add(new Object[] {req.ids(), req.header(), c});
            try {
                return stdinReplies.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for input");
            }
        }
    }

    /**
     * Owns the stdin socket (ZMQ sockets are single-threaded, and a cell's thread may be
     * interrupted): sends queued input_requests and hands input_reply values to the waiting cell.
     */
    private void stdinLoop() {
        while (running) {
            Object[] out;
            while ((out = stdinRequests.poll()) != null) {
                @SuppressWarnings("unchecked")
                List<byte[]> ids = (List<byte[]>) out[0];
                wire.send(stdin, ids, "input_request", (JsonObject) out[1], (JsonObject) out[2], null);
            }
            List<byte[]> frames;
            try {
                frames = Wire.receive(stdin);
            } catch (RuntimeException e) {
                if (running) {
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
                stdinReplies.add(rc.has("value") && !rc.get("value").isJsonNull() ? rc.get("value").getAsString() : "");
            } catch (Wire.BadMessage e) {
                LOG.warn("stdin: dropped a message: {}", e.getMessage());
            }
        }
    }

    // ------------------------------------------------------------------ handlers

    private JsonObject kernelInfo() {
        JsonObject lang = new JsonObject();
        lang.addProperty("name", "java");
        lang.addProperty("version", String.valueOf(Runtime.version().feature()));
        lang.addProperty("mimetype", "text/x-java");
        lang.addProperty("file_extension", ".jsh");
        lang.addProperty("codemirror_mode", "text/x-java");
        lang.addProperty("pygments_lexer", "java");
        JsonObject c = ok(new JsonObject());
        c.addProperty("protocol_version", Wire.PROTOCOL_VERSION);
        c.addProperty("implementation", "compresso");
        c.addProperty("implementation_version", "0.1.0");
        c.add("language_info", lang);
        c.addProperty("banner", "Compresso (Java " + Runtime.version() + "): JShell with the neural-network "
                + "compression DSL preloaded. Type %help for magics.");
        JsonArray links = new JsonArray();
        links.add(link("Compresso magics: %help", "https://jupyter.org/"));
        links.add(link("Java API", "https://docs.oracle.com/en/java/javase/17/docs/api/"));
        links.add(link("DJL", "https://docs.djl.ai/"));
        c.add("help_links", links);
        c.addProperty("debugger", false);
        return c;
    }

    private static JsonObject link(String text, String url) {
        JsonObject l = new JsonObject();
        l.addProperty("text", text);
        l.addProperty("url", url);
        return l;
    }

    private JsonObject execute(Wire.Msg msg) {
        JsonObject req = msg.content();
        String code = req.has("code") ? req.get("code").getAsString() : "";
        boolean silent = req.has("silent") && req.get("silent").getAsBoolean();
        boolean store = !silent && (!req.has("store_history") || req.get("store_history").getAsBoolean());
        if (store) {
            executionCount++;
            history.add(code);
        }
        int count = executionCount;
        JsonObject input = new JsonObject();
        input.addProperty("code", code);
        input.addProperty("execution_count", count);
        if (!silent) {
            publish("execute_input", msg.header(), input);
        }
        synchronized (cellLock) {
            cellActive = true;
            interruptPending = false;
        }
        Evaluator.Outcome outcome;
        Evaluator ev = null;
        try {
            ev = evaluator.join();
            synchronized (cellLock) {
                if (interruptPending) { // came while JShell was starting
                    ev.interrupt();
                }
            }
            currentAllowStdin = req.has("allow_stdin") && req.get("allow_stdin").getAsBoolean();
            currentRequest = msg;
            currentParent = msg.header();
            outcome = new Magics(ev).run(code, "cell [" + count + "]");
        } finally {
            synchronized (cellLock) {
                cellActive = false;
                if (ev != null) {
                    ev.clearInterrupt(); // one that came as the cell ended must not stop the next
                }
            }
            flushStreams();
            currentParent = null;
            currentRequest = null;
            stdinStream.discard();
        }
        if (outcome.ok()) {
            // System.out.printf(...) returns the stream itself: a statement, not a value to show
            if (outcome.hasValue() && !silent && !(outcome.value() instanceof DisplayId)
                    && !(outcome.value() instanceof java.io.PrintStream)) {
                JsonObject r = new JsonObject();
                r.addProperty("execution_count", count);
                r.add("data", NotebookRunner.data(Renderers.bundle(outcome.value())));
                r.add("metadata", new JsonObject());
                publish("execute_result", msg.header(), r);
            }
            JsonObject reply = ok(new JsonObject());
            reply.addProperty("execution_count", count);
            reply.add("user_expressions", new JsonObject());
            reply.add("payload", new JsonArray());
            return reply;
        }
        CellError e = outcome.error();
        abortQueued = !req.has("stop_on_error") || req.get("stop_on_error").getAsBoolean();
        JsonObject err = new JsonObject();
        err.addProperty("ename", e.ename());
        err.addProperty("evalue", e.evalue());
        JsonArray tb = new JsonArray();
        e.traceback().forEach(tb::add);
        err.add("traceback", tb);
        if (!silent) {
            publish("error", msg.header(), err.deepCopy());
        }
        JsonObject reply = err;
        reply.addProperty("status", "error");
        reply.addProperty("execution_count", count);
        return reply;
    }

    /** The start of the snippet that contains {@code cursor}, so JShell analyses one snippet. */
    private static int snippetStart(SourceCodeAnalysis sca, String code, int cursor) {
        int start = 0;
        String rest = code.substring(0, cursor);
        while (true) {
            SourceCodeAnalysis.CompletionInfo ci = sca.analyzeCompletion(rest);
            if (!ci.completeness().isComplete() || ci.remaining().isBlank()) {
                return start;
            }
            start += rest.length() - ci.remaining().length();
            rest = ci.remaining();
        }
    }

    private static int charIndex(String code, int codePoints) {
        int n = Math.max(0, Math.min(codePoints, code.codePointCount(0, code.length())));
        return code.offsetByCodePoints(0, n);
    }

    private JsonObject complete(JsonObject req) {
        String code = req.get("code").getAsString();
        int cursor = charIndex(code, req.has("cursor_pos") ? req.get("cursor_pos").getAsInt() : code.length());
        SourceCodeAnalysis sca = evaluator.join().analysis();
        int start = snippetStart(sca, code, cursor);
        int[] anchor = new int[1];
        List<SourceCodeAnalysis.Suggestion> suggestions = sca.completionSuggestions(code.substring(start), cursor - start, anchor);
        JsonArray matches = new JsonArray();
        java.util.Set<String> seen = new java.util.LinkedHashSet<>();
        for (SourceCodeAnalysis.Suggestion s : suggestions) {
            if (seen.add(s.continuation())) {
                matches.add(s.continuation());
            }
        }
        JsonObject c = ok(new JsonObject());
        c.add("matches", matches);
        c.addProperty("cursor_start", code.codePointCount(0, start + anchor[0]));
        c.addProperty("cursor_end", code.codePointCount(0, cursor));
        c.add("metadata", new JsonObject());
        return c;
    }

    private JsonObject inspect(JsonObject req) {
        String code = req.get("code").getAsString();
        int cursor = charIndex(code, req.has("cursor_pos") ? req.get("cursor_pos").getAsInt() : code.length());
        SourceCodeAnalysis sca = evaluator.join().analysis();
        int start = snippetStart(sca, code, cursor);
        String snippet = code.substring(start);
        int at = cursor - start;
        List<SourceCodeAnalysis.Documentation> docs = sca.documentation(snippet, at, true);
        if (docs.isEmpty()) {
            // JShell documents the call whose '(' is before the cursor; Jupyter puts the cursor on the name.
            int end = at;
            while (end < snippet.length() && Character.isJavaIdentifierPart(snippet.charAt(end))) {
                end++;
            }
            docs = end < snippet.length() && snippet.charAt(end) == '('
                    ? sca.documentation(snippet, end + 1, true)
                    : sca.documentation(snippet.substring(0, end) + "(", end + 1, true);
        }
        StringBuilder text = new StringBuilder();
        for (SourceCodeAnalysis.Documentation d : docs) {
            if (text.length() > 0) {
                text.append("\n\n");
            }
            text.append(d.signature());
            String doc = d.javadoc();
            if (doc == null || doc.isBlank()) {
                doc = SourceDocs.javadoc(d.signature());
            }
            if (doc != null && !doc.isBlank()) {
                text.append("\n\n").append(doc.strip());
            }
        }
        JsonObject c = ok(new JsonObject());
        c.addProperty("found", text.length() > 0);
        JsonObject data = new JsonObject();
        if (text.length() > 0) {
            data.addProperty("text/plain", text.toString());
        }
        c.add("data", data);
        c.add("metadata", new JsonObject());
        return c;
    }

    private JsonObject isComplete(JsonObject req) {
        String code = req.get("code").getAsString();
        JsonObject c = new JsonObject();
        if (code.stripLeading().startsWith("%")) {
            c.addProperty("status", "complete");
            return c;
        }
        SourceCodeAnalysis sca = evaluator.join().analysis();
        String rest = code;
        while (true) {
            SourceCodeAnalysis.CompletionInfo ci = sca.analyzeCompletion(rest);
            switch (ci.completeness()) {
                case COMPLETE, COMPLETE_WITH_SEMI -> {
                    if (ci.remaining().isBlank()) {
                        c.addProperty("status", "complete");
                        return c;
                    }
                    rest = ci.remaining();
                }
                case EMPTY -> {
                    c.addProperty("status", "complete");
                    return c;
                }
                case DEFINITELY_INCOMPLETE, CONSIDERED_INCOMPLETE -> {
                    c.addProperty("status", "incomplete");
                    c.addProperty("indent", indentFor(code));
                    return c;
                }
                default -> {
                    c.addProperty("status", "invalid");
                    return c;
                }
            }
        }
    }

    private static String indentFor(String code) {
        String[] lines = code.split("\n", -1);
        String last = lines[lines.length - 1].isBlank() && lines.length > 1 ? lines[lines.length - 2] : lines[lines.length - 1];
        String lead = last.substring(0, last.length() - last.stripLeading().length());
        return last.strip().endsWith("{") || last.strip().endsWith("(") ? lead + "    " : lead;
    }

    private JsonObject history(JsonObject req) {
        String access = req.has("hist_access_type") ? req.get("hist_access_type").getAsString() : "tail";
        boolean output = req.has("output") && req.get("output").getAsBoolean();
        int n = req.has("n") && !req.get("n").isJsonNull() ? req.get("n").getAsInt() : history.size();
        List<Integer> lines = new ArrayList<>();
        switch (access) {
            case "range" -> {
                int startLine = req.has("start") ? req.get("start").getAsInt() : 1;
                int stop = req.has("stop") && !req.get("stop").isJsonNull() ? req.get("stop").getAsInt() : history.size() + 1;
                for (int i = Math.max(1, startLine); i < Math.min(stop, history.size() + 1); i++) {
                    lines.add(i);
                }
            }
            case "search" -> {
                String glob = req.has("pattern") ? req.get("pattern").getAsString() : "*";
                Pattern p = Pattern.compile(globToRegex(glob), Pattern.DOTALL);
                boolean unique = req.has("unique") && req.get("unique").getAsBoolean();
                java.util.Set<String> seen = new java.util.HashSet<>();
                for (int i = history.size(); i >= 1 && lines.size() < n; i--) {
                    String code = history.get(i - 1);
                    if (p.matcher(code).matches() && (!unique || seen.add(code))) {
                        lines.add(0, i);
                    }
                }
            }
            default -> {
                for (int i = Math.max(1, history.size() - n + 1); i <= history.size(); i++) {
                    lines.add(i);
                }
            }
        }
        JsonArray h = new JsonArray();
        for (int i : lines) {
            JsonArray e = new JsonArray();
            e.add(1);
            e.add(i);
            if (output) {
                JsonArray io = new JsonArray();
                io.add(history.get(i - 1));
                io.add((String) null);
                e.add(io);
            } else {
                e.add(history.get(i - 1));
            }
            h.add(e);
        }
        return ok(obj("history", h));
    }

    static String globToRegex(String glob) {
        StringBuilder sb = new StringBuilder();
        for (char ch : glob.toCharArray()) {
            switch (ch) {
                case '*' -> sb.append(".*");
                case '?' -> sb.append('.');
                default -> sb.append(Pattern.quote(String.valueOf(ch)));
            }
        }
        return sb.toString();
    }

    private static JsonObject ok(JsonObject c) {
        c.addProperty("status", "ok");
        return c;
    }

    private static JsonObject obj(String key, Object value) {
        JsonObject o = new JsonObject();
        if (value instanceof String s) {
            o.addProperty(key, s);
        } else {
            o.add(key, (com.google.gson.JsonElement) value);
        }
        return o;
    }

    /** The connection file Jupyter writes. */
    record ConnectionInfo(String transport, String ip, int shellPort, int iopubPort, int stdinPort, int controlPort,
            int hbPort, String key, String signatureScheme) {

        static ConnectionInfo read(Path file) throws IOException {
            JsonObject o = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
            return new ConnectionInfo(
                    o.has("transport") ? o.get("transport").getAsString() : "tcp",
                    o.has("ip") ? o.get("ip").getAsString() : "127.0.0.1",
                    o.get("shell_port").getAsInt(), o.get("iopub_port").getAsInt(), o.get("stdin_port").getAsInt(),
                    o.get("control_port").getAsInt(), o.get("hb_port").getAsInt(),
                    o.has("key") ? o.get("key").getAsString() : "",
                    o.has("signature_scheme") ? o.get("signature_scheme").getAsString() : "hmac-sha256");
        }

        String address(int port) {
            return transport.equals("ipc") ? "ipc://" + ip + "-" + port : transport + "://" + ip + ":" + port;
        }
    }
}
