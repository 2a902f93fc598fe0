package dev.compresso.kernel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.slf4j.LoggerFactory;

/** Starts the Jupyter kernel on a connection file and routes SIGINT to the running cell. */
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
        try {
            kernel.serve();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }
}
