package dev.compresso.kernel;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.compresso.train.ConsoleProgress;
import dev.compresso.train.TrainOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * Executes a notebook's code cells in order through the same evaluator, magics and renderers as
 * the kernel, and writes the notebook back with its outputs (images embedded). Stops at the first
 * failing cell, which keeps its error output.
 */
final class NotebookRunner {

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

    private final PrintStream log;

    NotebookRunner(PrintStream log) {
        this.log = log;
    }

    /** Runs the notebook and writes it back; true if every cell succeeded. */
    boolean run(Evaluator evaluator, Path file) {
        JsonObject nb;
        try {
            nb = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read notebook " + file + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("notebook " + file + " is not valid JSON (" + e.getMessage()
                    + "); open and save it in Jupyter to repair it", e);
        }
        JsonArray cells = nb.has("cells") ? nb.getAsJsonArray("cells") : new JsonArray();
        int count = 0;
        boolean ok = true;
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        Magics magics = new Magics(evaluator);
        TrainOptions.setDefaultListener(() -> new ConsoleProgress(System.out, false));
        try {
            for (int i = 0; i < cells.size(); i++) {
                JsonObject cell = cells.get(i).getAsJsonObject();
                if (!"code".equals(cell.has("cell_type") ? cell.get("cell_type").getAsString() : "")) {
                    continue;
                }
                String source = joinSource(cell.get("source"));
                JsonArray outputs = new JsonArray();
                cell.add("outputs", outputs);
                if (!ok) {
                    cell.add("execution_count", null);
                    continue;
                }
                count++;
                cell.addProperty("execution_count", count);
                CellOutput stdout = new CellOutput("stdout", outputs);
                CellOutput stderr = new CellOutput("stderr", outputs);
                System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
                System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
                final int n = count;
                Display.bind(new Display.Sink() {
                    @Override
                    public void show(Object value, String id, boolean update) {
                        stdout.flushText();
                        stderr.flushText();
                        JsonObject o = new JsonObject();
                        o.addProperty("output_type", "display_data");
                        o.add("data", data(Renderers.bundle(value)));
                        o.add("metadata", new JsonObject());
                        outputs.add(o);
                    }

                    @Override
                    public void clear(boolean wait) { // the saved notebook keeps what came after, either way
                        stdout.flushText();
                        stderr.flushText();
                        while (!outputs.isEmpty()) {
                            outputs.remove(outputs.size() - 1);
                        }
                    }
                });
                long t0 = System.nanoTime();
                Evaluator.Outcome outcome;
                try {
                    outcome = magics.run(source, "cell [" + n + "]");
                } finally {
                    System.out.flush();
                    System.err.flush();
                    System.setOut(oldOut);
                    System.setErr(oldErr);
                    Display.bind(null);
                    stdout.flushText();
                    stderr.flushText();
                }
                if (outcome.ok() && outcome.hasValue() && !(outcome.value() instanceof DisplayId)) {
                    JsonObject o = new JsonObject();
                    o.addProperty("output_type", "execute_result");
                    o.addProperty("execution_count", n);
                    o.add("data", data(Renderers.bundle(outcome.value())));
                    o.add("metadata", new JsonObject());
                    outputs.add(o);
                }
                if (!outcome.ok()) {
                    CellError e = outcome.error();
                    JsonObject o = new JsonObject();
                    o.addProperty("output_type", "error");
                    o.addProperty("ename", e.ename());
                    o.addProperty("evalue", e.evalue());
                    JsonArray tb = new JsonArray();
                    e.traceback().forEach(tb::add);
                    o.add("traceback", tb);
                    outputs.add(o);
                    ok = false;
                    log.println(e.text());
                    log.println("compresso: " + file + ": cell " + (i + 1) + " failed at " + e.where() + ": " + e.evalue());
                } else {
                    log.printf("compresso: cell %d done in %.1f s%n", i + 1, (System.nanoTime() - t0) / 1e9);
                }
            }
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
            TrainOptions.setDefaultListener(null);
        }
        write(nb, file);
        log.println("compresso: wrote " + file + " with outputs");
        return ok;
    }

    static String joinSource(JsonElement src) {
        if (src == null || src.isJsonNull()) {
            return "";
        }
        if (src.isJsonArray()) {
            StringBuilder sb = new StringBuilder();
            src.getAsJsonArray().forEach(e -> sb.append(e.getAsString()));
            return sb.toString();
        }
        return src.getAsString();
    }

    static JsonObject data(Map<String, String> bundle) {
        JsonObject d = new JsonObject();
        bundle.forEach(d::addProperty);
        return d;
    }

    private static void write(JsonObject nb, Path file) {
        try {
            Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), "." + file.getFileName(), ".part");
            Files.writeString(tmp, GSON.toJson(nb) + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write notebook " + file + ": " + e.getMessage(), e);
        }
    }

    /** Collects one stream's text and appends it as a stream output, merging consecutive writes. */
    private static final class CellOutput extends ByteArrayOutputStream {
        private final String name;
        private final JsonArray outputs;

        CellOutput(String name, JsonArray outputs) {
            this.name = name;
            this.outputs = outputs;
        }

        synchronized void flushText() {
            if (size() == 0) {
                return;
            }
            String text = toString(StandardCharsets.UTF_8);
            reset();
            JsonElement last = outputs.isEmpty() ? null : outputs.get(outputs.size() - 1);
            if (last != null && last.getAsJsonObject().get("output_type").getAsString().equals("stream")
                    && last.getAsJsonObject().get("name").getAsString().equals(name)) {
                JsonObject o = last.getAsJsonObject();
                o.addProperty("text", o.get("text").getAsString() + text);
                return;
            }
            JsonObject o = new JsonObject();
            o.addProperty("output_type", "stream");
            o.addProperty("name", name);
            o.addProperty("text", text);
            outputs.add(o);
        }
    }
}
