package dev.compresso.runs;

import dev.compresso.model.Network;
import dev.compresso.model.TorchRuntime;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * One result as the run store keeps it: what was measured (top-1, loss, sizes, seconds), how it was
 * made (name, chain, parameters, seed, threads), where (JDK, DJL, PyTorch, CPU) and, for a sweep, which
 * configuration of which sweep. Plain values only, so a Spark worker can send it back to the session.
 *
 * @param name the model's name in the log
 * @param chain the steps that made it, for example {@code lenet300100 → train(...) → prune(...)}
 * @param parameters technique parameters by name (a sweep's configuration), in order
 * @param top1 test top-1 accuracy in [0, 1], NaN if never evaluated
 * @param loss test loss, NaN if never evaluated
 * @param params parameter count
 * @param nonzeros non-zero weights
 * @param denseBytes fp32 bytes of the dense model
 * @param storedBytes bytes of its packed file, -1 if it has none
 * @param seconds wall time it took
 * @param seed the training seed
 * @param threads PyTorch intra-op threads
 * @param jdk the JDK version
 * @param djl the DJL version
 * @param pytorch the PyTorch version
 * @param cpu the processor's model name
 * @param packedPath the packed file's path, null if none
 * @param packedSha256 the packed file's SHA-256 in hex, null if none
 * @param sweep the sweep's name, null outside a named sweep
 * @param config the sweep configuration's label, for example {@code sparsity=0.9 bits=5}; null outside a sweep
 * @param error null for a finished run, else why the configuration failed
 */
public record Run(String name, String chain, Map<String, Double> parameters, double top1, double loss, long params,
        long nonzeros, long denseBytes, long storedBytes, double seconds, long seed, int threads, String jdk, String djl,
        String pytorch, String cpu, String packedPath, String packedSha256, String sweep, String config, String error)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Copies the parameters so the record stays immutable (and serializable: a plain LinkedHashMap). */
    public Run {
        parameters = parameters == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
    }

    /**
     * The run of a model as it is now, with this JVM's versions and threads.
     *
     * @param network the model; its last evaluation gives top-1 and loss
     * @param storedBytes its packed file's size, or -1
     * @param packedFile its packed file, or null; its SHA-256 is computed here
     * @return the run, outside any sweep
     */
    public static Run of(Network network, long storedBytes, Path packedFile) {
        double top1 = network.evaluation() == null ? Double.NaN : network.evaluation().top1();
        double loss = network.evaluation() == null ? Double.NaN : network.evaluation().loss();
        long seed = network.trainOptions() == null ? -1 : network.trainOptions().seed();
        return new Run(network.name(), network.chain(), Map.of(), top1, loss, network.parameterCount(),
                network.nonZeroCount(), network.denseBytes(), storedBytes, network.seconds(), seed, TorchRuntime.threads(),
                Runtime.version().toString(), TorchRuntime.djlVersion(), TorchRuntime.pytorchVersion(), cpuModel(),
                packedFile == null ? null : packedFile.toAbsolutePath().toString(),
                packedFile == null ? null : sha256(packedFile), null, null, null);
    }

    /**
     * A configuration that failed, with its error and this JVM's versions.
     *
     * @param sweep the sweep's name, or null
     * @param config the configuration's label
     * @param parameters its values
     * @param error what went wrong
     * @return the failed run
     */
    public static Run failed(String sweep, String config, Map<String, Double> parameters, String error) {
        return new Run("sweep[" + config + "]", null, parameters, Double.NaN, Double.NaN, -1, -1, -1, -1, Double.NaN, -1,
                -1, Runtime.version().toString(), TorchRuntime.djlVersion(), null, cpuModel(), null, null, sweep, config,
                error == null ? "failed" : error);
    }

    /** The same run as configuration {@code config} of sweep {@code sweepName}, named {@code newName}. */
    public Run inSweep(String sweepName, String newName, String configLabel, Map<String, Double> values, double wallSeconds) {
        return new Run(newName, chain, values, top1, loss, params, nonzeros, denseBytes, storedBytes, wallSeconds, seed,
                threads, jdk, djl, pytorch, cpu, packedPath, packedSha256, sweepName, configLabel, error);
    }

    /** True unless the configuration failed. */
    public boolean ok() {
        return error == null;
    }

    /** Dense bytes over stored bytes, NaN without a packed file. */
    public double ratio() {
        return storedBytes <= 0 || denseBytes < 0 ? Double.NaN : (double) denseBytes / storedBytes;
    }

    static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read packed file " + file + " to checksum it: " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The processor's model name as Linux's /proc/cpuinfo gives it, else the JVM's architecture name. */
    public static String cpuModel() {
        return Cpu.NAME;
    }

    private static final class Cpu {
        static final String NAME = read();

        private static String read() {
            try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
                return lines.filter(l -> l.startsWith("model name")).map(l -> l.substring(l.indexOf(':') + 1).trim())
                        .findFirst().orElse(System.getProperty("os.arch"));
            } catch (IOException | UncheckedIOException e) {
                return System.getProperty("os.arch");
            }
        }
    }
}
