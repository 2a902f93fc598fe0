package dev.compresso.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Engine load time after the first extraction: runs {@link EngineLoad} in {@code runs} fresh JVMs
 * (same java, same classpath) after one untimed run that makes sure {@code ~/.djl.ai} is
 * populated, and prints the median and spread of (a) the first {@code TorchRuntime.engine()} call
 * and (b) the time from JVM start to engine ready.
 *
 * <p>Usage: {@code EngineLoadDriver [runs=7]}.
 */
public final class EngineLoadDriver {

    private static final Pattern LINE = Pattern.compile("ENGINE call_ms=([0-9.]+) jvm_start_ms=([0-9.]+)");

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        String java = ProcessHandle.current().info().command().orElse("java");
        String cp = System.getProperty("java.class.path");
        List<Double> call = new ArrayList<>();
        List<Double> fromStart = new ArrayList<>();
        List<Double> process = new ArrayList<>();
        for (int i = 0; i <= runs; i++) {
            long t0 = System.nanoTime();
            Process p = new ProcessBuilder(java, "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", cp,
                    EngineLoad.class.getName()).redirectErrorStream(true).start();
            String out;
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                out = in.lines().reduce("", (a, b) -> a + b + "\n");
            }
            int rc = p.waitFor();
            double wall = (System.nanoTime() - t0) / 1e6;
            Matcher m = LINE.matcher(out);
            if (rc != 0 || !m.find()) {
                throw new IllegalStateException("engine load run failed (exit " + rc + "):\n" + out);
            }
            if (i == 0) {
                System.out.println("untimed first run (extraction if ~/.djl.ai was empty): " + m.group(0) + String.format(" process_ms=%.0f", wall));
                continue;
            }
            call.add(Double.parseDouble(m.group(1)));
            fromStart.add(Double.parseDouble(m.group(2)));
            process.add(wall);
            System.out.println("run " + i + ": " + m.group(0) + String.format(" process_ms=%.0f", wall));
        }
        System.out.println("first engine() call to ready:   " + Stats.summary(call, "%.0f ms"));
        System.out.println("JVM start to engine ready:      " + Stats.summary(fromStart, "%.0f ms"));
        System.out.println("whole process (spawn to exit):  " + Stats.summary(process, "%.0f ms"));
    }
}
