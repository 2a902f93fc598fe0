package dev.compresso.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Runs a PyTorch training script in a subprocess and reads its per-epoch JSON lines; CPU time of this JVM. */
final class PyTorchSide {

    private static final Pattern SECONDS = Pattern.compile("\"seconds\": ([0-9.eE+-]+)");
    private static final Pattern CPU = Pattern.compile("\"cpu_seconds\": ([0-9.eE+-]+)");

    private PyTorchSide() {}

    /** CPU seconds this process has used (all threads: training, JIT, GC). */
    static double cpuSeconds() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime() / 1e9;
    }

    /**
     * Runs {@code command}, which prints one {@code {"epoch": .., "seconds": .., "cpu_seconds": ..}} line per epoch.
     *
     * @return wall seconds per epoch; CPU seconds per epoch are added to {@code cpu}
     */
    static List<Double> run(List<String> command, int epochs, List<Double> cpu) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        List<Double> secs = new ArrayList<>();
        StringBuilder all = new StringBuilder();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                all.append(line).append('\n');
                Matcher m = SECONDS.matcher(line);
                if (m.find()) {
                    secs.add(Double.parseDouble(m.group(1)));
                }
                Matcher c = CPU.matcher(line);
                if (c.find()) {
                    cpu.add(Double.parseDouble(c.group(1)));
                }
            }
        }
        int rc = p.waitFor();
        if (rc != 0 || secs.size() != epochs) {
            throw new IllegalStateException("PyTorch side failed (exit " + rc + "):\n" + all);
        }
        return secs;
    }

    static String fmt(List<Double> xs) {
        StringBuilder sb = new StringBuilder("[");
        for (double x : xs) {
            sb.append(sb.length() > 1 ? ", " : "").append(String.format(Locale.ROOT, "%.3f", x));
        }
        return sb.append(']').toString();
    }
}
