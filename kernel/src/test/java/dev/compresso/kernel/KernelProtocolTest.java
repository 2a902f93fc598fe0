package dev.compresso.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/** Drives the kernel over real ZMQ sockets, as Jupyter would. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KernelProtocolTest {

    Kernel kernel;
    Kernel.ConnectionInfo infoForTests;
    Thread server;
    ZContext ctx;
    ZMQ.Socket shell;
    ZMQ.Socket control;
    ZMQ.Socket iopub;
    ZMQ.Socket hb;
    Wire wire;
    String key = UUID.randomUUID().toString();

    /**
     * {@code n} distinct free ports: all held open together before any is released, so the system
     * cannot hand the same one out twice, and bound without SO_REUSEADDR (Java's default sets it), so
     * no port with a connection of an earlier test still in TIME_WAIT comes back: ZeroMQ's bind
     * would refuse it.
     */
    static int[] freePorts(int n) throws IOException {
        ServerSocket[] held = new ServerSocket[n];
        try {
            int[] ports = new int[n];
            for (int i = 0; i < n; i++) {
                held[i] = listenWithoutReuse(0);
                ports[i] = held[i].getLocalPort();
            }
            return ports;
        } finally {
            for (ServerSocket s : held) {
                if (s != null) {
                    s.close();
                }
            }
        }
    }

    /** A server socket on 127.0.0.1:{@code port} (0: any free one) without SO_REUSEADDR. */
    static ServerSocket listenWithoutReuse(int port) throws IOException {
        ServerSocket s = new ServerSocket();
        try {
            s.setReuseAddress(false);
            s.bind(new java.net.InetSocketAddress("127.0.0.1", port));
            return s;
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    @BeforeAll
    void start() throws Exception {
        System.setProperty("compresso.home", "..");
        int[] ports = freePorts(5);
        Kernel.ConnectionInfo info = new Kernel.ConnectionInfo("tcp", "127.0.0.1", ports[0], ports[1], ports[2],
                ports[3], ports[4], key, "hmac-sha256");
        infoForTests = info;
        kernel = new Kernel(info);
        server = new Thread(() -> {
            try {
                kernel.serve();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        server.start();
        wire = new Wire(key, "hmac-sha256");
        ctx = new ZContext();
        shell = connect(SocketType.DEALER, info.address(info.shellPort()));
        control = connect(SocketType.DEALER, info.address(info.controlPort()));
        iopub = connect(SocketType.SUB, info.address(info.iopubPort()));
        iopub.subscribe(new byte[0]);
        hb = connect(SocketType.REQ, info.address(info.hbPort()));
        Thread.sleep(200); // let the SUB subscription reach the PUB socket
    }

    ZMQ.Socket connect(SocketType type, String address) {
        ZMQ.Socket s = ctx.createSocket(type);
        s.setReceiveTimeOut(10_000);
        s.setLinger(0);
        s.connect(address);
        return s;
    }

    @AfterAll
    void stop() throws Exception {
        JsonObject reply = request(control, "shutdown_request", obj("restart", false));
        assertEquals("ok", reply.get("status").getAsString());
        server.join(5000);
        assertFalse(server.isAlive(), "serve() returns after shutdown_request");
        ctx.close();
    }

    static JsonObject obj(Object... kv) {
        JsonObject o = new JsonObject();
        for (int i = 0; i < kv.length; i += 2) {
            Object v = kv[i + 1];
            if (v instanceof String s) {
                o.addProperty((String) kv[i], s);
            } else if (v instanceof Number n) {
                o.addProperty((String) kv[i], n);
            } else if (v instanceof Boolean b) {
                o.addProperty((String) kv[i], b);
            }
        }
        return o;
    }

    JsonObject lastHeader;

    void send(ZMQ.Socket socket, String type, JsonObject content) {
        lastHeader = wire.header(type);
        // Wire.send makes its own header; build the frames here to know the msg_id.
        byte[] h = lastHeader.toString().getBytes(StandardCharsets.UTF_8);
        byte[] p = "{}".getBytes(StandardCharsets.UTF_8);
        byte[] m = "{}".getBytes(StandardCharsets.UTF_8);
        byte[] c = content.toString().getBytes(StandardCharsets.UTF_8);
        socket.sendMore("<IDS|MSG>");
        socket.sendMore(wire.sign(h, p, m, c));
        socket.sendMore(h);
        socket.sendMore(p);
        socket.sendMore(m);
        socket.send(c);
    }

    Wire.Msg receive(ZMQ.Socket socket) throws Wire.BadMessage {
        List<byte[]> frames = Wire.receive(socket);
        return frames == null ? null : wire.parse(frames);
    }

    JsonObject request(ZMQ.Socket socket, String type, JsonObject content) throws Exception {
        send(socket, type, content);
        Wire.Msg reply = receive(socket);
        assertNotNull(reply, "no reply to " + type);
        assertEquals(type.replace("_request", "_reply"), reply.type());
        assertEquals(lastHeader.get("msg_id").getAsString(), reply.parent().get("msg_id").getAsString());
        return reply.content();
    }

    /** iopub messages for the last request, up to its idle status. */
    List<Wire.Msg> iopubUntilIdle(String msgId) throws Exception {
        List<Wire.Msg> out = new ArrayList<>();
        while (true) {
            Wire.Msg m = receive(iopub);
            assertNotNull(m, "iopub went quiet before idle");
            if (!m.parent().has("msg_id") || !m.parent().get("msg_id").getAsString().equals(msgId)) {
                continue;
            }
            out.add(m);
            if (m.type().equals("status") && m.content().get("execution_state").getAsString().equals("idle")) {
                return out;
            }
        }
    }

    JsonObject execute(String code, List<Wire.Msg> iopubOut) throws Exception {
        JsonObject reply = request(shell, "execute_request", obj("code", code, "silent", false, "store_history", true));
        iopubOut.addAll(iopubUntilIdle(lastHeader.get("msg_id").getAsString()));
        return reply;
    }

    @Test
    void aPortInUseIsNamedAndReleasesTheOthers() throws Exception {
        int[] ports = freePorts(4);
        // the running kernel's shell port, and four free ones
        var taken = new Kernel.ConnectionInfo("tcp", "127.0.0.1", ports[0], ports[1], ports[2], ports[3],
                infoForTests.shellPort(), key, "hmac-sha256");
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> new Kernel(taken));
        assertTrue(e.getMessage().startsWith("cannot listen on tcp://127.0.0.1:" + infoForTests.shellPort() + " (hb_port of the connection file)")
                && e.getMessage().contains("in use by another process"), e.getMessage());
        // the four bound before the failure are free again
        for (int p : ports) {
            listenWithoutReuse(p).close();
        }
    }

    @Test
    void kernelInfoIsComplete() throws Exception {
        JsonObject c = request(shell, "kernel_info_request", new JsonObject());
        assertEquals("ok", c.get("status").getAsString());
        assertEquals("5.3", c.get("protocol_version").getAsString());
        assertEquals("compresso", c.get("implementation").getAsString());
        assertTrue(c.get("banner").getAsString().contains("Compresso"));
        assertTrue(c.getAsJsonArray("help_links").size() > 0);
        JsonObject lang = c.getAsJsonObject("language_info");
        for (String k : List.of("name", "version", "mimetype", "file_extension", "codemirror_mode", "pygments_lexer")) {
            assertTrue(lang.has(k), "language_info." + k);
        }
        assertEquals("java", lang.get("name").getAsString());
        // control answers too
        assertEquals("ok", request(control, "kernel_info_request", new JsonObject()).get("status").getAsString());
    }

    @Test
    void aFailedCellAbortsTheExecuteRequestsQueuedBehindIt() throws Exception {
        // "Run All": three cells sent at once; the first fails, so the other two are aborted
        send(shell, "execute_request", obj("code", "Thread.sleep(300); throw new IllegalStateException(\"boom\");",
                "silent", false, "store_history", true));
        String failing = lastHeader.get("msg_id").getAsString();
        send(shell, "execute_request", obj("code", "int shouldNotRun = 1;", "silent", false, "store_history", true));
        String second = lastHeader.get("msg_id").getAsString();
        send(shell, "execute_request", obj("code", "2 + 2", "silent", false, "store_history", true, "stop_on_error", true));
        String third = lastHeader.get("msg_id").getAsString();
        java.util.Map<String, String> status = new java.util.HashMap<>();
        for (int i = 0; i < 3; i++) {
            Wire.Msg reply = receive(shell);
            assertNotNull(reply, "no reply " + i);
            status.put(reply.parent().get("msg_id").getAsString(), reply.content().get("status").getAsString());
        }
        assertEquals("error", status.get(failing));
        assertEquals("aborted", status.get(second));
        assertEquals("aborted", status.get(third));
        // the aborted cell did not run, and the kernel carries on
        List<Wire.Msg> io = new ArrayList<>();
        assertEquals("error", execute("shouldNotRun", io).get("status").getAsString());
        // with stop_on_error false, the next queued cell runs
        send(shell, "execute_request", obj("code", "throw new RuntimeException();", "silent", false, "stop_on_error", false));
        send(shell, "execute_request", obj("code", "int ranAnyway = 3;", "silent", false));
        Wire.Msg first = receive(shell);
        Wire.Msg next = receive(shell);
        assertEquals("error", first.content().get("status").getAsString());
        assertEquals("ok", next.content().get("status").getAsString());
    }

    @Test
    void heartbeatEchoes() {
        hb.send("ping");
        assertEquals("ping", hb.recvStr());
    }

    @Test
    void executePublishesBusyInputResultIdle() throws Exception {
        List<Wire.Msg> io = new ArrayList<>();
        JsonObject reply = execute("20 + 22", io);
        assertEquals("ok", reply.get("status").getAsString());
        int count = reply.get("execution_count").getAsInt();
        List<String> types = io.stream().map(Wire.Msg::type).toList();
        assertEquals(List.of("status", "execute_input", "execute_result", "status"), types);
        assertEquals("busy", io.get(0).content().get("execution_state").getAsString());
        assertEquals(count, io.get(1).content().get("execution_count").getAsInt());
        assertEquals("42", io.get(2).content().getAsJsonObject("data").get("text/plain").getAsString());
        JsonObject next = execute("int unused = 0;", new ArrayList<>());
        assertEquals(count + 1, next.get("execution_count").getAsInt());
    }

    @Test
    void errorsReplyWithErrorAndPublishTraceback() throws Exception {
        List<Wire.Msg> io = new ArrayList<>();
        JsonObject reply = execute("int q = 1;\nint r = q / 0;", io);
        assertEquals("error", reply.get("status").getAsString());
        assertEquals("java.lang.ArithmeticException", reply.get("ename").getAsString());
        Wire.Msg err = io.stream().filter(m -> m.type().equals("error")).findFirst().orElseThrow();
        String tb = err.content().getAsJsonArray("traceback").toString();
        assertTrue(tb.contains(":2)"), tb);
        assertFalse(tb.contains("jdk.jshell"), tb);
    }

    @Test
    void outputStreamsWhileTheCellRuns() throws Exception {
        send(shell, "execute_request", obj("code", "System.out.println(\"first\");\nThread.sleep(700);\nSystem.out.println(\"second\");"));
        String id = lastHeader.get("msg_id").getAsString();
        long t0 = System.nanoTime();
        long firstAt = -1;
        long secondAt = -1;
        while (secondAt < 0) {
            Wire.Msg m = receive(iopub);
            assertNotNull(m);
            if (m.type().equals("stream") && m.parent().get("msg_id").getAsString().equals(id)) {
                String text = m.content().get("text").getAsString();
                if (text.contains("first")) {
                    firstAt = System.nanoTime() - t0;
                }
                if (text.contains("second")) {
                    secondAt = System.nanoTime() - t0;
                }
            }
        }
        assertTrue(firstAt >= 0 && secondAt - firstAt > 400_000_000L, "first line came " + (secondAt - firstAt) / 1e6 + " ms before the second");
        assertEquals("ok", receive(shell).content().get("status").getAsString());
        iopubUntilIdle(id);
    }

    @Test
    void clearOutputAndPagePayload() throws Exception {
        List<Wire.Msg> io = new ArrayList<>();
        JsonObject reply = execute("System.out.println(\"gone\");\nclearOutput(true);\nclearOutput();", io);
        assertEquals("ok", reply.get("status").getAsString());
        List<String> types = io.stream().map(Wire.Msg::type).toList();
        assertEquals(List.of("status", "execute_input", "stream", "clear_output", "clear_output", "status"), types);
        assertTrue(io.get(3).content().get("wait").getAsBoolean());
        assertFalse(io.get(4).content().get("wait").getAsBoolean());

        JsonObject paged = execute("%doc lenet300100", new ArrayList<>());
        JsonArray payload = paged.getAsJsonArray("payload");
        assertEquals(1, payload.size(), paged.toString());
        assertEquals("page", payload.get(0).getAsJsonObject().get("source").getAsString());
        assertTrue(payload.get(0).getAsJsonObject().getAsJsonObject("data").get("text/plain").getAsString().contains("LeNet-300-100"));
        assertEquals(0, execute("1", new ArrayList<>()).getAsJsonArray("payload").size(), "a page is for its own cell only");
    }

    /** The text/plain an inspect_request returns, or "" with found false. */
    String inspect(String code, int cursor, int detail) throws Exception {
        JsonObject doc = request(shell, "inspect_request", obj("code", code, "cursor_pos", cursor, "detail_level", detail));
        assertEquals("ok", doc.get("status").getAsString(), doc.toString());
        boolean found = doc.get("found").getAsBoolean();
        assertEquals(found, doc.getAsJsonObject("data").has("text/plain"), doc.toString());
        return found ? doc.getAsJsonObject("data").get("text/plain").getAsString() : "";
    }

    @Test
    void inspectionAnywhereInANameOrInsideTheCall() throws Exception {
        String code = "var m = lenet300100();";
        int name = code.indexOf("lenet");
        for (int at : new int[] {name, name + 4, name + "lenet300100".length(), code.indexOf('(') + 1}) {
            String text = inspect(code, at, 0);
            assertTrue(text.contains("lenet300100()") && text.contains("LeNet-300-100"), "cursor " + at + ": " + text);
        }
        String jdk = inspect("Math.max(1, 2)", 6, 0);
        assertTrue(jdk.contains("max(int") , jdk);
        execute("/** Doubles. */ int twice(int v) { return 2 * v; }\nvar width = 3;", new ArrayList<>());
        assertTrue(inspect("twice(4)", 2, 0).contains("twice(int v)"), inspect("twice(4)", 2, 0));
        String source = inspect("twice(4)", 2, 1);
        assertTrue(source.contains("return 2 * v;"), "level 1 shows the user's source: " + source);
        assertTrue(inspect("width", 3, 0).contains("int width"), inspect("width", 3, 0));
        String brief = inspect("lenet300100()", 3, 0);
        String full = inspect("lenet300100()", 3, 1);
        assertTrue(full.length() >= brief.length(), brief + "\n---\n" + full);
        // bad input: an empty reply, never an error reply
        assertEquals("", inspect("lenet300100()", 99, 0));
        assertEquals("", inspect("String s = \"lenet300100\";", 15, 0));
        assertEquals("", inspect("// lenet300100\nint k = 1;", 6, 0));
        assertEquals("", inspect("", 0, 0));
    }

    @Test
    void completionCarriesKindsAndSignaturesAndSurvivesBadCursors() throws Exception {
        execute("var base = lenet300100();\nint counter = 1;", new ArrayList<>());
        JsonObject c = request(shell, "complete_request", obj("code", "base.prune(magnitude().sp", "cursor_pos", 25));
        assertTrue(c.getAsJsonArray("matches").toString().contains("sparsity("), c.toString());
        JsonArray types = c.getAsJsonObject("metadata").getAsJsonArray("_jupyter_types_experimental");
        JsonObject sp = null;
        for (var t : types) {
            if (t.getAsJsonObject().get("text").getAsString().equals("sparsity(")) {
                sp = t.getAsJsonObject();
            }
        }
        assertNotNull(sp, types.toString());
        assertEquals("method", sp.get("type").getAsString());
        assertTrue(sp.get("signature").getAsString().contains("sparsity(double"), sp.toString());
        assertEquals(c.get("cursor_start").getAsInt(), sp.get("start").getAsInt());
        JsonObject noArgs = request(shell, "complete_request", obj("code", "lenet3", "cursor_pos", 6));
        JsonObject lenet = noArgs.getAsJsonObject("metadata").getAsJsonArray("_jupyter_types_experimental").get(0).getAsJsonObject();
        assertEquals("lenet300100()", lenet.get("text").getAsString());
        assertEquals("method", lenet.get("type").getAsString());
        assertTrue(lenet.get("signature").getAsString().contains("lenet300100()"), lenet.toString());
        JsonObject top = request(shell, "complete_request", obj("code", "coun", "cursor_pos", 4));
        assertTrue(top.getAsJsonObject("metadata").getAsJsonArray("_jupyter_types_experimental").toString()
                .contains("\"text\":\"counter\",\"type\":\"variable\""), top.toString());
        for (JsonObject bad : List.of(obj("code", "base.pr", "cursor_pos", 40), obj("code", "\"base.pr", "cursor_pos", 8),
                obj("code", "/* base.pr */", "cursor_pos", 10))) {
            JsonObject r = request(shell, "complete_request", bad);
            assertEquals("ok", r.get("status").getAsString(), r.toString());
            assertEquals(0, r.getAsJsonArray("matches").size(), r.toString());
            assertEquals(0, r.getAsJsonObject("metadata").getAsJsonArray("_jupyter_types_experimental").size());
        }
    }

    @Test
    void richDisplayAndUpdates() throws Exception {
        List<Wire.Msg> io = new ArrayList<>();
        execute("var d = display(Table.create(\"t\").addColumns(IntColumn.create(\"a\", 1)));\nupdateDisplay(d, \"done\");", io);
        Wire.Msg shown = io.stream().filter(m -> m.type().equals("display_data")).findFirst().orElseThrow();
        assertTrue(shown.content().getAsJsonObject("data").has("text/html"));
        String id = shown.content().getAsJsonObject("transient").get("display_id").getAsString();
        Wire.Msg updated = io.stream().filter(m -> m.type().equals("update_display_data")).findFirst().orElseThrow();
        assertEquals(id, updated.content().getAsJsonObject("transient").get("display_id").getAsString());
        assertEquals("done", updated.content().getAsJsonObject("data").get("text/plain").getAsString());
        List<Wire.Msg> chart = new ArrayList<>();
        execute("var ch = new XYChartBuilder().build(); ch.addSeries(\"s\", new double[] {1, 2}, new double[] {1, 4});\nch", chart);
        JsonObject data = chart.stream().filter(m -> m.type().equals("execute_result")).findFirst().orElseThrow().content().getAsJsonObject("data");
        assertTrue(data.get("image/png").getAsString().startsWith("iVBOR"), "base64 PNG");
        assertTrue(data.get("image/svg+xml").getAsString().contains("<svg"));
    }

    @Test
    void forgedAndMalformedMessagesAreDroppedWithoutWedging() throws Exception {
        // wrong signature
        byte[] h = wire.header("kernel_info_request").toString().getBytes(StandardCharsets.UTF_8);
        shell.sendMore("<IDS|MSG>");
        shell.sendMore(new Wire("wrong-key", "hmac-sha256").sign(h, "{}".getBytes(), "{}".getBytes(), "{}".getBytes()));
        shell.sendMore(h);
        shell.sendMore("{}");
        shell.sendMore("{}");
        shell.send("{}");
        // no delimiter
        shell.sendMore("garbage");
        shell.send("more garbage");
        // valid signature, broken JSON
        byte[] bad = "{not json".getBytes(StandardCharsets.UTF_8);
        shell.sendMore("<IDS|MSG>");
        shell.sendMore(wire.sign(bad, "{}".getBytes(), "{}".getBytes(), "{}".getBytes()));
        shell.sendMore(bad);
        shell.sendMore("{}");
        shell.sendMore("{}");
        shell.send("{}");
        // too few frames
        shell.sendMore("<IDS|MSG>");
        shell.send("sig");
        // an unknown request type
        send(shell, "frobnicate_request", new JsonObject());
        shell.setReceiveTimeOut(500);
        try {
            assertNull(Wire.receive(shell), "dropped messages get no reply");
        } finally {
            shell.setReceiveTimeOut(10_000);
        }
        assertEquals("ok", request(shell, "kernel_info_request", new JsonObject()).get("status").getAsString());
    }

    @Test
    void completeInspectIsCompleteHistoryCommInfo() throws Exception {
        execute("String greeting = \"hi\";", new ArrayList<>());
        JsonObject c = request(shell, "complete_request", obj("code", "int n = 1;\ngreeting.toUpp", "cursor_pos", 24));
        assertEquals("ok", c.get("status").getAsString());
        assertTrue(c.getAsJsonArray("matches").toString().contains("toUpperCase("), c.toString());
        assertEquals(20, c.get("cursor_start").getAsInt());
        assertEquals(24, c.get("cursor_end").getAsInt());

        JsonObject doc = request(shell, "inspect_request", obj("code", "lenet300100()", "cursor_pos", 4, "detail_level", 0));
        assertTrue(doc.get("found").getAsBoolean(), doc.toString());
        String text = doc.getAsJsonObject("data").get("text/plain").getAsString();
        assertTrue(text.contains("lenet300100()"), text);
        assertTrue(text.contains("LeNet-300-100"), "DSL Javadoc: " + text);

        assertEquals("complete", request(shell, "is_complete_request", obj("code", "int a = 1;")).get("status").getAsString());
        JsonObject inc = request(shell, "is_complete_request", obj("code", "for (int i = 0; i < 3; i++) {"));
        assertEquals("incomplete", inc.get("status").getAsString());
        assertEquals("    ", inc.get("indent").getAsString());
        assertEquals("invalid", request(shell, "is_complete_request", obj("code", "int ) x")).get("status").getAsString());

        JsonArray tail = request(shell, "history_request", obj("hist_access_type", "tail", "n", 1, "output", false, "raw", true))
                .getAsJsonArray("history");
        assertEquals(1, tail.size());
        assertEquals("String greeting = \"hi\";", tail.get(0).getAsJsonArray().get(2).getAsString());
        JsonArray search = request(shell, "history_request", obj("hist_access_type", "search", "pattern", "String greet*", "n", 5,
                "output", false, "raw", true)).getAsJsonArray("history");
        assertEquals(1, search.size());
        JsonArray range = request(shell, "history_request", obj("hist_access_type", "range", "session", 0, "start", 1, "stop", 3,
                "output", false, "raw", true)).getAsJsonArray("history");
        assertTrue(range.size() <= 2 && range.size() >= 1, range.toString());

        assertEquals("ok", request(shell, "comm_info_request", new JsonObject()).get("status").getAsString());
    }

    @Test
    void interruptStopsATightLoopAndLeavesNoCpuBurn() throws Exception {
        send(shell, "execute_request", obj("code", "long spins = 0;\nwhile (true) { spins++; }"));
        String id = lastHeader.get("msg_id").getAsString();
        Thread.sleep(400);
        long t0 = System.nanoTime();
        JsonObject ir = request(control, "interrupt_request", new JsonObject());
        assertEquals("ok", ir.get("status").getAsString());
        Wire.Msg reply = receive(shell);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertNotNull(reply);
        assertEquals("error", reply.content().get("status").getAsString());
        // latency is measured by `bench/run.sh kernel` (target 0.2 s); this bound only catches a lost stop
        assertTrue(ms < 2000, "execute_reply came " + ms + " ms after interrupt_request");
        iopubUntilIdle(id);

        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        Thread.sleep(500); // let the JIT and GC settle after the loop
        long cpu0 = os.getProcessCpuTime();
        Thread.sleep(2000);
        long cpuMs = (os.getProcessCpuTime() - cpu0) / 1_000_000;
        // a loop still spinning would use about 2000 ms here; this JVM also runs the test itself, and on a
        // loaded machine its JIT may still be compiling javac from the cells before (500-760 ms seen at load 11-15)
        assertTrue(cpuMs < 1200, "the idle kernel used " + cpuMs + " ms CPU in 2 s");

        List<Wire.Msg> io = new ArrayList<>();
        assertEquals("ok", execute("1 + 1", io).get("status").getAsString());
    }

    @Test
    void systemInReadsAskTheClientOverStdinWhenAllowed() throws Exception {
        // Jupyter clients give their shell and stdin sockets one identity; input_request goes there.
        byte[] identity = ("client-" + UUID.randomUUID()).getBytes(StandardCharsets.UTF_8);
        Kernel.ConnectionInfo info = infoForTests;
        ZMQ.Socket sh = ctx.createSocket(SocketType.DEALER);
        ZMQ.Socket in = ctx.createSocket(SocketType.DEALER);
        for (ZMQ.Socket s : List.of(sh, in)) {
            s.setIdentity(identity);
            s.setReceiveTimeOut(10_000);
            s.setLinger(0);
        }
        sh.connect(info.address(info.shellPort()));
        in.connect(info.address(info.stdinPort()));
        try {
            String code = "var r = new java.io.BufferedReader(new java.io.InputStreamReader(System.in));\n"
                    + "System.out.print(\"name? \");\n"
                    + "String a = r.readLine();\n"
                    + "String b = r.readLine();\n"
                    + "a + \"/\" + b";
            send(sh, "execute_request", obj("code", code, "silent", false, "allow_stdin", true));
            String id = lastHeader.get("msg_id").getAsString();
            for (String answer : List.of("Ada", "Grace")) {
                Wire.Msg ask = receive(in);
                assertNotNull(ask, "no input_request on stdin");
                assertEquals("input_request", ask.type());
                assertEquals(id, ask.parent().get("msg_id").getAsString());
                assertFalse(ask.content().get("password").getAsBoolean());
                send(in, "input_reply", obj("value", answer));
            }
            Wire.Msg reply = receive(sh);
            assertEquals("ok", reply.content().get("status").getAsString(), reply.content().toString());
            List<Wire.Msg> io = iopubUntilIdle(id);
            assertTrue(io.stream().anyMatch(m -> m.type().equals("stream")
                    && m.content().get("text").getAsString().contains("name? ")), "the prompt printed before input_request");
            Wire.Msg result = io.stream().filter(m -> m.type().equals("execute_result")).findFirst().orElseThrow();
            assertEquals("Ada/Grace", result.content().getAsJsonObject("data").get("text/plain").getAsString());

            // A client that does not allow stdin gets a clear error, not a hang.
            send(sh, "execute_request", obj("code", "new java.util.Scanner(System.in).nextLine()", "allow_stdin", false));
            id = lastHeader.get("msg_id").getAsString();
            reply = receive(sh);
            assertEquals("error", reply.content().get("status").getAsString());
            List<Wire.Msg> io2 = iopubUntilIdle(id);
            String tb = io2.stream().filter(m -> m.type().equals("error")).findFirst().orElseThrow().content().toString();
            // Scanner turns the IOException into NoSuchElementException; BufferedReader shows our text.
            assertTrue(tb.contains("NoSuchElementException"), tb);
            send(sh, "execute_request", obj("code", "new java.io.BufferedReader(new java.io.InputStreamReader(System.in)).readLine()",
                    "allow_stdin", false));
            id = lastHeader.get("msg_id").getAsString();
            reply = receive(sh);
            assertEquals("error", reply.content().get("status").getAsString());
            assertTrue(reply.content().toString().contains("allow_stdin is false"), reply.content().toString());
            iopubUntilIdle(id);

            // Interrupting a cell that waits for input ends the wait.
            send(sh, "execute_request", obj("code", "new java.io.BufferedReader(new java.io.InputStreamReader(System.in)).readLine()",
                    "allow_stdin", true));
            id = lastHeader.get("msg_id").getAsString();
            assertEquals("input_request", receive(in).type());
            assertEquals("ok", request(control, "interrupt_request", new JsonObject()).get("status").getAsString());
            reply = receive(sh);
            assertNotNull(reply, "no execute_reply after interrupting a cell waiting for input");
            assertEquals("error", reply.content().get("status").getAsString());
            iopubUntilIdle(id);
        } finally {
            sh.close();
            in.close();
        }
    }
}
