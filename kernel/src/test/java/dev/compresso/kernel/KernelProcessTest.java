package dev.compresso.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/** The kernel in its own JVM, as Jupyter starts it: SIGINT, and the end of the process that launched it. */
class KernelProcessTest {

    @TempDir
    Path dir;

    private Kernel.ConnectionInfo info;
    private String key;

    /** Starts {@code ./compresso kernel CONNECTION_FILE}'s JVM with {@code env} added to its environment. */
    private Process startKernel(java.util.Map<String, String> env) throws Exception {
        key = UUID.randomUUID().toString();
        int[] ports = KernelProtocolTest.freePorts(5);
        info = new Kernel.ConnectionInfo("tcp", "127.0.0.1", ports[0], ports[1], ports[2], ports[3], ports[4],
                key, "hmac-sha256");
        Path conn = dir.resolve("kernel.json");
        Files.writeString(conn, String.format("{\"transport\":\"tcp\",\"ip\":\"127.0.0.1\",\"shell_port\":%d,\"iopub_port\":%d,"
                + "\"stdin_port\":%d,\"control_port\":%d,\"hb_port\":%d,\"key\":\"%s\",\"signature_scheme\":\"hmac-sha256\"}",
                ports[0], ports[1], ports[2], ports[3], ports[4], key));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx512m", "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "kernel", conn.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("kernel.log").toFile());
        pb.environment().remove("JPY_PARENT_PID");
        pb.environment().putAll(env);
        return pb.start();
    }

    @Test
    void theKernelEndsWhenTheProcessThatLaunchedItEnds() throws Exception {
        Process launcher = new ProcessBuilder("sleep", "120").start();
        Process kernel = startKernel(java.util.Map.of("JPY_PARENT_PID", Long.toString(launcher.pid())));
        Wire wire = new Wire(key, "hmac-sha256");
        try (ZContext ctx = new ZContext()) {
            ZMQ.Socket shell = dealer(ctx, info.shellPort(), 30_000);
            assertEquals("kernel_info_reply", roundTrip(wire, shell, "kernel_info_request", new JsonObject()).type());
            assertTrue(kernel.isAlive());
            launcher.destroy();
            assertTrue(kernel.waitFor(15, TimeUnit.SECONDS), "the kernel outlived its launcher; log:\n"
                    + Files.readString(dir.resolve("kernel.log")));
            assertTrue(Files.readString(dir.resolve("kernel.log")).contains("(pid " + launcher.pid() + ") has exited"));
        } finally {
            kernel.destroyForcibly();
            launcher.destroyForcibly();
        }
    }

    @Test
    void sigintStopsATightLoopInAKernelProcess() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/bin/kill")) || Files.isExecutable(Path.of("/usr/bin/kill")), "no kill command");
        // A process started with SIGINT ignored (a background job of a non-interactive shell) passes
        // that on, and then no JVM can handle it; the kernel logs a warning and interrupt_request works.
        assumeTrue(!sigintIgnoredHere(), "SIGINT is ignored in this process (started in the background?), so the kernel"
                + " would inherit that and could not handle it");
        Process kernel = startKernel(java.util.Map.of());
        Wire wire = new Wire(key, "hmac-sha256");
        try (ZContext ctx = new ZContext()) {
            ZMQ.Socket shell = dealer(ctx, info.shellPort(), 30_000);

            ZMQ.Socket control = dealer(ctx, info.controlPort(), 10_000); // connected at the start, as clients do
            assertEquals("kernel_info_reply", roundTrip(wire, shell, "kernel_info_request", new JsonObject()).type());
            // a first cell waits for JShell to start, which a loaded machine can take seconds for
            JsonObject ready = new JsonObject();
            ready.addProperty("code", "int ready = 1;");
            assertEquals("ok", roundTrip(wire, shell, "execute_request", ready).content().get("status").getAsString());
            JsonObject loop = new JsonObject();
            loop.addProperty("code", "while (true) { }");
            send(wire, shell, "execute_request", loop);
            Thread.sleep(1000); // until the loop really runs

            long t0 = System.nanoTime();
            Process kill = new ProcessBuilder("kill", "-INT", Long.toString(kernel.pid())).start();
            assertEquals(0, kill.waitFor());
            Wire.Msg reply = receive(wire, shell);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertNotNull(reply, "no execute_reply after SIGINT; log:\n" + Files.readString(dir.resolve("kernel.log")));
            assertEquals("execute_reply", reply.type());
            assertEquals("error", reply.content().get("status").getAsString(), reply.content().toString());
            assertEquals("Interrupted", reply.content().get("ename").getAsString());
            assertTrue(ms < 2000, "execute_reply came " + ms + " ms after SIGINT"); // latency: bench/run.sh kernel
            assertTrue(kernel.isAlive(), "SIGINT must not end the kernel");

            JsonObject two = new JsonObject();
            two.addProperty("code", "1 + 1");
            Wire.Msg after = roundTrip(wire, shell, "execute_request", two);
            assertEquals("ok", after.content().get("status").getAsString(), after.content().toString());

            JsonObject shutdown = new JsonObject();
            shutdown.addProperty("restart", false);
            assertEquals("shutdown_reply", roundTrip(wire, control, "shutdown_request", shutdown).type());
            assertTrue(kernel.waitFor(10, TimeUnit.SECONDS), "the kernel process ends after shutdown_request");
        } finally {
            kernel.destroyForcibly();
        }
    }

    /** A DEALER connected to the kernel's {@code port}, whose receive gives up after {@code timeoutMillis}. */
    private ZMQ.Socket dealer(ZContext ctx, int port, int timeoutMillis) {
        ZMQ.Socket s = ctx.createSocket(SocketType.DEALER);
        s.setReceiveTimeOut(timeoutMillis);
        s.setLinger(0);
        s.connect(info.address(port));
        return s;
    }

    /** Whether this process ignores SIGINT (Linux: bit 1 of SigIgn in /proc/self/status). */
    private static boolean sigintIgnoredHere() throws java.io.IOException {
        Path status = Path.of("/proc/self/status");
        if (!Files.isReadable(status)) {
            return false;
        }
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith("SigIgn:")) {
                return (Long.parseUnsignedLong(line.substring(7).trim(), 16) & 2L) != 0;
            }
        }
        return false;
    }

    private static void send(Wire wire, ZMQ.Socket socket, String type, JsonObject content) {
        wire.send(socket, List.of(), type, null, content, null);
    }

    private static Wire.Msg receive(Wire wire, ZMQ.Socket socket) throws Wire.BadMessage {
        List<byte[]> frames = Wire.receive(socket);
        return frames == null ? null : wire.parse(frames);
    }

    private Wire.Msg roundTrip(Wire wire, ZMQ.Socket socket, String type, JsonObject content) throws Exception {
        send(wire, socket, type, content);
        Wire.Msg m = receive(wire, socket);
        assertNotNull(m, "no reply to " + type + "; kernel log:\n" + Files.readString(dir.resolve("kernel.log")));
        return m;
    }
}
