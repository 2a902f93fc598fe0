package dev.compresso.kernel;

import java.util.List;
import org.zeromq.SocketType;
import org.zeromq.ZContext;

/**
 * The run the launcher makes once per build and JDK under {@code -XX:ArchiveClassesAtExit}: it
 * loads the classes a kernel and a first DSL cell load (the kernel's sockets, JShell, javac, the
 * DSL, DJL and the engine), so later JVMs map them from the class-data archive instead of reading
 * and verifying them again. Nothing it computes is kept.
 */
final class ClassDataTraining {

    private ClassDataTraining() {}

    static int run() {
        try (ZContext ctx = new ZContext(1)) {
            ctx.createSocket(SocketType.ROUTER).bind("tcp://127.0.0.1:*");
            Wire wire = new Wire("training", "hmac-sha256");
            wire.sign(new byte[1], new byte[1], new byte[1], new byte[1]);
        }
        KernelInfo.reply();
        try (Evaluator ev = new Evaluator()) {
            for (String cell : List.of("1 + 1", "int x = 2;", "System.out.print(\"\");", "var net = lenet300100();",
                    "net.parameterCount()")) {
                ev.eval(cell, "training", null);
            }
            ev.analysis().completionSuggestions("Str", 3, new int[1]);
            Renderers.bundle(ev.eval("net", "training", null).value());
        }
        return 0;
    }
}
