package dev.compresso.kernel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Notebook magics, handled before Java sees the cell: {@code %%time} on the first line times the
 * whole cell; lines at the top of a cell starting with {@code %} are line magics.
 */
final class Magics {

    static final String HELP = String.join("\n",
            "Compresso magics:",
            "  %%time               (first line) run the cell and print its wall time",
            "  %time EXPR           run one line and print its wall time",
            "  %classpath [PATH]    show the class path, or add a jar or folder to it",
            "  %load FILE.jsh       run a script's code in this session",
            "  %maven G:A:V         resolve an artifact and its dependencies from Maven Central, add them",
            "  %spark               add Compresso's Spark module: sweep(name, grid, recipe, spark()) or spark(\"spark://host:7077\")",
            "  %doc NAME            the signature, Javadoc and (for your own code) source of NAME, in the pager",
            "  %help                this text",
            "Preloaded: the DSL (import static dev.compresso.Compresso.*), java.util, java.nio.file,",
            "Tablesaw, XChart, display(x), updateDisplay(id, x) and clearOutput().");

    private final Evaluator evaluator;

    Magics(Evaluator evaluator) {
        this.evaluator = evaluator;
    }

    /** Runs a cell: magics first, then the remaining Java code. */
    Evaluator.Outcome run(String cell, String source) {
        String trimmed = cell.stripLeading();
        if (trimmed.startsWith("%%")) {
            int nl = trimmed.indexOf('\n');
            String magic = (nl < 0 ? trimmed : trimmed.substring(0, nl)).trim();
            String body = nl < 0 ? "" : trimmed.substring(nl + 1);
            if (!magic.equals("%%time")) {
                return fail(source, "UnknownMagic", "cell magic '" + magic + "' is not known; " + "%%time is the one cell magic (see %help)");
            }
            long t0 = System.nanoTime();
            Evaluator.Outcome o = run(body, source);
            System.out.println(wall(t0));
            return o;
        }
        String rest = cell;
        while (true) {
            String s = rest.stripLeading();
            if (!s.startsWith("%")) {
                break;
            }
            int nl = s.indexOf('\n');
            String line = (nl < 0 ? s : s.substring(0, nl)).trim();
            rest = nl < 0 ? "" : s.substring(nl + 1);
            String[] parts = line.split("\\s+", 2);
            String arg = parts.length > 1 ? parts[1].trim() : "";
            switch (parts[0]) {
                case "%help" -> System.out.println(HELP);
                case "%doc" -> {
                    String doc = arg.isEmpty() ? "" : Inspection.text(evaluator, arg, arg.codePointCount(0, arg.length()), 1);
                    if (doc.isEmpty()) {
                        return fail(source, "UsageError", arg.isEmpty() ? "%doc needs a name, for example %doc lenet300100"
                                : "no documentation found for '" + arg + "'; check the spelling, or run the cell that declares it");
                    }
                    Display.page(doc);
                }
                case "%classpath" -> {
                    if (!arg.isEmpty()) {
                        Path p = Path.of(arg);
                        if (!Files.exists(p)) {
                            return fail(source, "ClasspathError", "'" + arg + "' does not exist; give a jar or a class folder");
                        }
                        evaluator.addToClasspath(p.toAbsolutePath().toString());
                        System.out.println("added " + p.toAbsolutePath());
                    } else {
                        evaluator.classpath().forEach(System.out::println);
                    }
                }
                case "%time" -> {
                    long t0 = System.nanoTime();
                    Evaluator.Outcome o = evaluator.eval(arg, source, null);
                    System.out.println(wall(t0));
                    if (!o.ok() || rest.isBlank()) {
                        return o;
                    }
                }
                case "%load" -> {
                    if (arg.isEmpty()) {
                        return fail(source, "UsageError", "%load needs a file, for example %load examples/demo.jsh");
                    }
                    String code;
                    try {
                        code = Files.readString(Path.of(arg), StandardCharsets.UTF_8);
                    } catch (IOException e) {
                        return fail(source, "LoadError", "cannot read '" + arg + "' (" + e + "); check the path, relative to "
                                + Path.of("").toAbsolutePath());
                    }
                    Evaluator.Outcome o = evaluator.eval(code, Path.of(arg).getFileName().toString(), null);
                    if (!o.ok() || rest.isBlank()) {
                        return o;
                    }
                }
                case "%maven" -> {
                    if (arg.isEmpty()) {
                        return fail(source, "UsageError", "%maven needs coordinates, for example %maven org.apache.commons:commons-math3:3.6.1");
                    }
                    try {
                        List<Path> jars = MavenResolver.resolve(arg);
                        StringBuilder out = new StringBuilder("added " + jars.size() + " jar(s) for " + arg + ":");
                        for (Path jar : jars) {
                            evaluator.addToClasspath(jar.toString());
                            out.append("\n  ").append(jar);
                        }
                        System.out.println(out);
                    } catch (RuntimeException e) {
                        return fail(source, "MavenError", e.getMessage());
                    }
                }
                case "%spark" -> {
                    Evaluator.Outcome o = SparkModule.add(evaluator, source);
                    if (!o.ok() || rest.isBlank()) {
                        return o;
                    }
                }
                default -> {
                    return fail(source, "UnknownMagic", "magic '" + parts[0] + "' is not known; see %help");
                }
            }
        }
        if (rest.isBlank()) {
            return new Evaluator.Outcome(false, null, null, null);
        }
        return evaluator.eval(rest, source, null);
    }

    private static String wall(long t0) {
        double s = (System.nanoTime() - t0) / 1e9;
        return s < 1 ? String.format("Wall time: %.1f ms", s * 1000) : String.format("Wall time: %.2f s", s);
    }

    static Evaluator.Outcome fail(String source, String ename, String message) {
        return new Evaluator.Outcome(false, null, null,
                new CellError(CellError.Kind.RUNTIME, ename, message, List.of(ename + ": " + message), source, 1));
    }
}
