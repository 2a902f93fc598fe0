import dev.compresso.kernel.Evaluator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;
import jdk.jshell.JShell;
import jdk.jshell.SnippetEvent;

/**
 * JShell's own cost per cell, in-process, with the kernel's startup imports and no kernel around it:
 * `1 + 1` and `int x = 1 + 1;`, in blocks of 200, once keeping every `$N` temporary (JShell's
 * default) and once dropping it after each cell (what the kernel does). Then a Java Flight Recorder
 * profile of 600 `1 + 1` evaluations, its samples counted by where in javac or JShell they fall.
 *
 * <p>Run: bench/run.sh jshell (a single-file program on the kernel's class path).
 */
public class JShellEval {

    static JShell shell() {
        JShell js = JShell.builder().executionEngine("local").compilerOptions("-parameters").build();
        Evaluator.STARTUP_IMPORTS.forEach(js::eval);
        return js;
    }

    static double median(long[] nanos) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        return s[s.length / 2] / 1e6;
    }

    static void blocks(String code, boolean drop) {
        try (JShell js = shell()) {
            StringBuilder line = new StringBuilder(String.format("%-16s %-5s ms per cell, median of each 200:", code, drop ? "drop" : "keep"));
            for (int b = 0; b < 6; b++) {
                long[] t = new long[200];
                for (int i = 0; i < t.length; i++) {
                    long t0 = System.nanoTime();
                    List<SnippetEvent> events = js.eval(code);
                    if (drop) {
                        js.drop(events.get(0).snippet());
                    }
                    t[i] = System.nanoTime() - t0;
                }
                line.append(String.format(" %6.2f", median(t)));
            }
            System.out.println(line);
        }
    }

    public static void main(String[] args) throws Exception {
        System.out.println("java " + System.getProperty("java.version") + ", " + Runtime.getRuntime().availableProcessors() + " cores");
        for (boolean drop : new boolean[] {false, true}) {
            blocks("1 + 1", drop);
            blocks("int x = 1 + 1;", drop);
        }
        Path jfr = Files.createTempFile("jshell-eval", ".jfr");
        try (JShell js = shell(); Recording r = new Recording()) {
            for (int i = 0; i < 100; i++) {
                js.drop(js.eval("1 + 1").get(0).snippet());
            }
            r.enable("jdk.ExecutionSample").withPeriod(Duration.ofMillis(2));
            r.start();
            for (int i = 0; i < 600; i++) {
                js.drop(js.eval("1 + 1").get(0).snippet());
            }
            r.stop();
            r.dump(jfr);
        }
        // JShell's clean-up runs in the same callback as the compile it follows, so it is named only
        // when no javac phase lies between it and the sampled frame.
        Map<String, String> parts = new LinkedHashMap<>();
        parts.put("JShell's symbol-table clean-up after each compile", "jdk.jshell.TaskFactory.lambda$runTask");
        parts.put("javac: finding and reading classes", "com.sun.tools.javac.code.ClassFinder|com.sun.tools.javac.jvm.ClassReader");
        parts.put("javac: imports and entering classes", "com.sun.tools.javac.comp.TypeEnter|com.sun.tools.javac.comp.Enter.");
        parts.put("javac: attribution (types)", "com.sun.tools.javac.comp.Attr.");
        parts.put("javac: parsing", "com.sun.tools.javac.parser.");
        parts.put("javac: flow, lowering, bytecode", "com.sun.tools.javac.comp.Flow|com.sun.tools.javac.comp.Lower|com.sun.tools.javac.jvm.Gen");
        parts.put("JShell: wrapping, snippet bookkeeping", "jdk.jshell.");
        Map<String, Integer> counts = new LinkedHashMap<>();
        parts.keySet().forEach(k -> counts.put(k, 0));
        counts.put("other", 0);
        int total = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(jfr)) {
            if (!e.getEventType().getName().equals("jdk.ExecutionSample") || e.getStackTrace() == null) {
                continue;
            }
            total++;
            String part = "other";
            // the innermost frame that belongs to a known part names the sample's part
            search:
            for (RecordedFrame f : e.getStackTrace().getFrames()) {
                String m = f.getMethod().getType().getName() + "." + f.getMethod().getName();
                for (var entry : parts.entrySet()) {
                    for (String prefix : entry.getValue().split("\\|")) {
                        if (m.startsWith(prefix)) {
                            part = entry.getKey();
                            break search;
                        }
                    }
                }
            }
            counts.merge(part, 1, Integer::sum);
        }
        Files.delete(jfr);
        System.out.println("profile of 600 x `1 + 1` (dropping temporaries), " + total + " samples:");
        for (var c : counts.entrySet()) {
            System.out.printf("  %5.1f %%  %s%n", 100.0 * c.getValue() / Math.max(1, total), c.getKey());
        }
    }
}
