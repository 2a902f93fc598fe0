package dev.compresso.kernel;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.compresso.model.TorchRuntime;
import dev.compresso.train.TrainOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * The Jupyter kernel: five ZMQ channels, one thread each for shell, control and heartbeat. Cells
 * run on the shell thread (JShell runs each snippet on its own thread), so control hears interrupt
 * and shutdown while a cell runs. Every valid request gets a reply, an error reply if its handler
 * throws; forged, malformed and unknown messages are logged and dropped. The handlers of the
 * introspection requests live in their own classes ({@link Completion}, {@link Inspection},
 * {@link Completeness}, {@link History}, {@link KernelInfo}); this class owns the sockets, the
 * threads, the running cell and what it publishes.
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
    private final History history = new History();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Object cellLock = new Object();
    private boolean cellActive; // an execute_request is being handled; guarded by cellLock
    private boolean interruptPending; // an interrupt came during it; guarded by cellLock
    private volatile boolean running = true;
    private volatile boolean restartRequested;
    private volatile JsonObject currentParent;
    private final StdinChannel stdinChannel;
    private InputStream originalIn;
    private int executionCount;
    /** Page payloads the running cell asked for (%doc), for its execute_reply; guarded by itself. */
    private final List<JsonObject> payload = new java.util.ArrayList<>();
    /** Warm-up steps done while idle (see {@link Evaluator#warmUp}). */
    private int warmUpStep;
    /** When the shell last received or answered a request; shell thread only. */
    private long lastRequestNanos = System.nanoTime();
    /** Warm-up waits for this much quiet on the shell channel, so a burst of cells never waits for it. */
    static final long WARM_UP_IDLE_NANOS = 300_000_000L;
    /** How many throw-away compiles the kernel runs while idle after start. */
    static final int WARM_UP_STEPS = Integer.getInteger("compresso.warmup", 100);
    /** Set when a cell failed with stop_on_error: execute requests already queued are aborted. */
    private boolean abortQueued;
    private PrintStream originalOut;
    private PrintStream originalErr;

    Kernel(ConnectionInfo conn) {
        this.conn = conn;
        this.wire = new Wire(conn.key(), conn.signatureScheme());
        try {
            shell = bind(SocketType.ROUTER, conn.shellPort(), "shell_port");
            control = bind(SocketType.ROUTER, conn.controlPort(), "control_port");
            iopub = bind(SocketType.PUB, conn.iopubPort(), "iopub_port");
            stdin = bind(SocketType.ROUTER, conn.stdinPort(), "stdin_port");
            heartbeat = bind(SocketType.REP, conn.hbPort(), "hb_port");
        } catch (IllegalStateException e) {
            ctx.close(); // the sockets bound so far release their ports
            throw e;
        }
        stdin.setReceiveTimeOut(STDIN_POLL_MILLIS);
        stdinChannel = new StdinChannel(stdin, wire, this::flushStreams);
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

    /** A socket of {@code type} listening on {@code port}, the connection file's {@code key}. */
    private ZMQ.Socket bind(SocketType type, int port, String key) {
        ZMQ.Socket s = ctx.createSocket(type);
        // Closing waits up to this long for queued messages, so the last replies (shutdown_reply, the
        // final idle status) reach the client; with 0 they could be dropped as the kernel exits.
        s.setLinger(CLOSE_LINGER_MILLIS);
        s.setReceiveTimeOut(POLL_MILLIS);
        try {
            s.bind(conn.address(port));
        } catch (org.zeromq.ZMQException e) {
            // jeromq says only "Errno 48" for a port in use; name the address and what to do
            throw new IllegalStateException("cannot listen on " + conn.address(port) + " (" + key
                    + " of the connection file): " + (e.getErrorCode() == zmq.ZError.EADDRINUSE
                            ? "the port is in use by another process; let Jupyter pick free ports (restart the kernel) or free the port"
                            : "ZeroMQ error " + e.getErrorCode() + " (" + e.getMessage() + "); check the connection file's ip and ports"), e);
        }
        return s;
    }

    /** Serves until a shutdown request; returns whether a restart was asked for. */
    boolean serve() throws InterruptedException {
        originalOut = System.out;
        originalErr = System.err;
        originalIn = System.in;
        System.setIn(stdinChannel.stream());
        System.setOut(new PrintStream(new IopubStream("stdout", originalOut, () -> currentParent,
                (parent, c) -> publish("stream", parent, c)), true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(new IopubStream("stderr", originalErr, () -> currentParent,
                (parent, c) -> publish("stream", parent, c)), true, StandardCharsets.UTF_8));
        Display.Sink sink = new CellSink();
        TrainOptions.setDefaultListener(() -> new NotebookProgress(sink));
        Thread hb = daemon("compresso-heartbeat", this::heartbeatLoop);
        Thread ctl = daemon("compresso-control", () -> loop(control, "control"));
        Thread in = daemon("compresso-stdin", () -> stdinChannel.loop(() -> running));
        Thread sh = daemon("compresso-shell", () -> {
            Display.bind(sink);
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
                boolean warming = socket == shell && warmUpStep < WARM_UP_STEPS && evaluator.isDone()
                        && System.nanoTime() - lastRequestNanos > WARM_UP_IDLE_NANOS;
                frames = warming ? Wire.receiveNow(socket) : Wire.receive(socket);
                if (warming && frames == null) {
                    // idle: one throw-away compile, so javac is JIT-compiled before the user's cells
                    // need it; a request that comes meanwhile waits for this one step only
                    warmUp();
                    continue;
                }
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
            if (socket == shell) {
                lastRequestNanos = System.nanoTime();
            }
            handle(socket, channel, msg);
            if (socket == shell) {
                lastRequestNanos = System.nanoTime();
            }
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

    private void warmUp() {
        try {
            evaluator.join().warmUp(warmUpStep++);
        } catch (RuntimeException e) {
            LOG.info("warm-up stopped: {}", e.toString());
            warmUpStep = WARM_UP_STEPS;
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
                case "kernel_info_request" -> KernelInfo.reply();
                case "execute_request" -> execute(msg);
                case "complete_request" -> Completion.reply(evaluator.join(), msg.content());
                case "inspect_request" -> Inspection.reply(evaluator.join(), msg.content());
                case "is_complete_request" -> Completeness.reply(evaluator.join(), msg.content());
                case "history_request" -> history.reply(msg.content());
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

    /** Where display(x), updateDisplay(id, x), clearOutput(), progress bars and %doc go in a cell. */
    private final class CellSink implements Display.Sink {
        @Override
        public void show(Object value, String id, boolean update) {
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

        @Override
        public void clear(boolean wait) {
            JsonObject parent = currentParent;
            if (parent != null) {
                flushStreams();
                publish("clear_output", parent, obj("wait", new com.google.gson.JsonPrimitive(wait)));
            }
        }

        @Override
        public void page(String text) {
            JsonObject page = new JsonObject();
            page.addProperty("source", "page");
            page.add("data", obj("text/plain", text));
            page.addProperty("start", 0);
            synchronized (payload) {
                payload.add(page);
            }
        }
    }

    private void flushStreams() {
        System.out.flush();
        System.err.flush();
    }

    // ------------------------------------------------------------------ handlers

    private JsonObject execute(Wire.Msg msg) {
        JsonObject req = msg.content();
        String code = req.has("code") ? req.get("code").getAsString() : "";
        boolean silent = req.has("silent") && req.get("silent").getAsBoolean();
        boolean store = !silent && (!req.has("store_history") || req.get("store_history").getAsBoolean());
        if (store) {
            executionCount++;
            history.add(code);
        }
        synchronized (payload) {
            payload.clear();
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
            stdinChannel.begin(msg, req.has("allow_stdin") && req.get("allow_stdin").getAsBoolean());
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
            stdinChannel.end();
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
            JsonArray pages = new JsonArray();
            synchronized (payload) {
                payload.forEach(pages::add);
            }
            reply.add("payload", pages);
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

    private static JsonObject ok(JsonObject c) {
        return Replies.ok(c);
    }

    private static JsonObject obj(String key, Object value) {
        return Replies.obj(key, value);
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
