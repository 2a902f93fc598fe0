package dev.compresso.kernel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.slf4j.LoggerFactory;

/**
 * Starts the Jupyter kernel on a connection file, routes SIGINT to the running cell, and ends the
 * kernel when the process that launched it ends.
 */
final class KernelMain {

    private KernelMain() {}

    static int serve(Path connectionFile) {
        Kernel.ConnectionInfo info;
        try {
            info = Kernel.ConnectionInfo.read(connectionFile);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the connection file " + connectionFile + ": " + e.getMessage()
                    + "; Jupyter passes it as {connection_file} in kernel.json", e);
        }
        Kernel kernel = new Kernel(info);
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("INT"), sig -> kernel.interrupt());
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            LoggerFactory.getLogger(KernelMain.class).warn("SIGINT cannot be handled here ({}); use interrupt_request", e.toString());
        }
        // Like ipykernel: a kernel whose launcher is gone (a killed client, a crashed server) exits
        // instead of lingering. jupyter_client passes its pid as JPY_PARENT_PID.
        launcher().ifPresent(parent -> parent.onExit().thenRun(
                () -> kernel.stop("the process that launched it (pid " + parent.pid() + ") has exited")));
        try {
            kernel.serve();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    /** The process whose end ends the kernel: JPY_PARENT_PID if set and alive, else the parent process. */
    static java.util.Optional<ProcessHandle> launcher() {
        String pid = System.getenv("JPY_PARENT_PID");
        if (pid != null && !pid.isBlank()) {
            try {
                return ProcessHandle.of(Long.parseLong(pid.trim()));
            } catch (NumberFormatException e) {
                LoggerFactory.getLogger(KernelMain.class).warn("JPY_PARENT_PID='{}' is not a process id; watching the parent process", pid);
            }
        }
        return ProcessHandle.current().parent().filter(p -> p.pid() > 1);
    }
}
