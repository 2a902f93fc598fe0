package dev.compresso.kernel;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.lang.model.SourceVersion;
import dev.compresso.chart.Charts;
import org.knowm.xchart.internal.chartpart.Chart;

/**
 * Runs a {@code .jsh} script like a quiet shell script: declarations print nothing, the value of
 * each bare expression statement is printed (tables in full), and charts are saved as PNG and SVG
 * into the output folder.
 */
final class ScriptRunner {

    private final Path outDir;
    private final PrintStream out;
    private final PrintStream err;
    private int charts;

    ScriptRunner(Path outDir, PrintStream out, PrintStream err) {
        this.outDir = outDir;
        this.out = out;
        this.err = err;
    }

    /**
     * Runs the script and reports any failure on {@code err}.
     *
     * @return true if it ran to the end
     */
    boolean run(Evaluator evaluator, Path script) {
        String code;
        try {
            code = Files.readString(script, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read script " + script.toAbsolutePath() + ": " + e.getMessage()
                    + "; check the path", e);
        }
        Display.bind((value, id, update) -> show(value, null));
        try {
            Evaluator.Outcome o = evaluator.eval(code, script.getFileName().toString(), this::show);
            if (!o.ok()) {
                err.println(o.error().text());
                err.println("compresso: " + script + " failed at " + o.error().where() + ": " + o.error().evalue());
                return false;
            }
            return true;
        } finally {
            Display.bind(null);
        }
    }

    private void show(Object value, String name) {
        if (value instanceof Chart<?, ?> chart) {
            charts++;
            String base = name != null && SourceVersion.isIdentifier(name) && !name.startsWith("$")
                    ? name : "chart-" + charts;
            List<Path> files = Charts.save(chart, outDir.resolve(base));
            out.println("chart " + Renderers.chartLabel(chart) + ": " + files.get(0) + " (+ .svg)");
        } else if (value instanceof DisplayId) {
            return;
        } else if (!Renderers.hasOwnToString(value)) {
            return; // an identity like Foo@1b2c3d says nothing in a script's output
        } else {
            out.println(Renderers.text(value));
        }
        out.flush();
    }

}
