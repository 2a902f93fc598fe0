package dev.compresso.kernel;

import dev.compresso.Reproducibility;
import dev.compresso.eval.ExperimentLog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code ./compresso} command: run scripts and notebooks, the demo, the Jupyter kernel, and its
 * installation. See {@link #USAGE}.
 */
public final class Main {

    static final String USAGE = String.join("\n",
            "usage: compresso COMMAND [ARGS]",
            "  run FILE.jsh|FILE.ipynb [--log OUT.csv] [--out DIR]",
            "                      run a script (values printed, charts saved into DIR, default out/NAME)",
            "                      or a notebook (executed and written back with its outputs)",
            "  demo [--log OUT.csv] [--out DIR]   run examples/demo.jsh (charts into out/demo)",
            "  kernel CONNECTION_FILE             the Jupyter kernel (started by Jupyter)",
            "  install [--user|--sys-prefix|--prefix DIR]   install the Jupyter kernelspec (default --user)",
            "  uninstall [--user|--sys-prefix|--prefix DIR] remove it",
            "  help                               this text",
            "JVM options: COMPRESSO_JAVA_OPTS (default -Xmx6g). Full-speed numerics: COMPRESSO_REPRODUCIBLE=0.");

    private Main() {}

    /**
     * Entry point; exits with 0 on success, 1 on a failed run, 2 on a usage error.
     *
     * @param args the command and its arguments
     */
    public static void main(String[] args) {
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        int code;
        try {
            code = run(args);
        } catch (UsageException e) {
            System.err.println("compresso: " + e.getMessage());
            System.err.println(USAGE);
            code = 2;
        } catch (RuntimeException e) {
            System.err.println("compresso: " + e.getMessage());
            code = 1;
        }
        System.out.flush();
        System.err.flush();
        System.exit(code);
    }

    /** A command line that does not fit {@link #USAGE}. */
    static final class UsageException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    /** Runs a command and returns the exit code (for tests: no System.exit). */
    static int run(String[] args) {
        if (args.length == 0) {
            throw new UsageException("no command given");
        }
        List<String> rest = new ArrayList<>(List.of(args).subList(1, args.length));
        if (List.of("run", "demo", "kernel").contains(args[0])) {
            // the native libraries read these as they load, which is after this line
            Reproducibility.warnings(System.getenv()).forEach(w -> System.err.println("compresso: warning: " + w));
        }
        switch (args[0]) {
            case "help", "--help", "-h" -> {
                System.out.println(USAGE);
                return 0;
            }
            case "run" -> {
                Path log = pathOption(rest, "--log");
                Path out = pathOption(rest, "--out");
                if (rest.size() != 1) {
                    throw new UsageException("run takes one FILE.jsh or FILE.ipynb, got " + rest);
                }
                return runFile(Path.of(rest.get(0)), out, log);
            }
            case "demo" -> {
                Path log = pathOption(rest, "--log");
                Path out = pathOption(rest, "--out");
                if (!rest.isEmpty()) {
                    throw new UsageException("demo takes only --log OUT.csv and --out DIR, got " + rest);
                }
                String home = System.getProperty("compresso.home", ".");
                Path script = Path.of(home, "examples", "demo.jsh");
                return runFile(script, out == null ? Path.of("out", "demo") : out, log);
            }
            case "kernel" -> {
                if (rest.size() != 1) {
                    throw new UsageException("kernel takes the connection file Jupyter passes, got " + rest);
                }
                return KernelMain.serve(Path.of(rest.get(0)));
            }
            case "cds-training" -> { // the launcher's, see ClassDataTraining
                return ClassDataTraining.run();
            }
            case "install", "uninstall" -> {
                KernelSpec.Location where = KernelSpec.location(rest);
                if (args[0].equals("install")) {
                    Path dir = KernelSpec.install(where);
                    System.out.println("installed kernelspec 'compresso' in " + dir);
                } else {
                    Path dir = KernelSpec.uninstall(where);
                    System.out.println(dir == null ? "no kernelspec 'compresso' installed there" : "removed " + dir);
                }
                return 0;
            }
            default -> throw new UsageException("unknown command '" + args[0] + "'");
        }
    }

    private static Path pathOption(List<String> rest, String name) {
        int i = rest.indexOf(name);
        if (i < 0) {
            return null;
        }
        if (i + 1 >= rest.size() || rest.get(i + 1).startsWith("--")) {
            throw new UsageException(name + " needs a path, for example " + name + (name.equals("--log") ? " out/log.csv" : " out/charts"));
        }
        Path p = Path.of(rest.get(i + 1));
        rest.remove(i + 1);
        rest.remove(i);
        return p;
    }

    static int runFile(Path file, Path out, Path log) {
        if (!Files.isRegularFile(file)) {
            System.err.println("compresso: no such file: " + file.toAbsolutePath()
                    + "; give the path of a .jsh script or .ipynb notebook");
            return 1;
        }
        String name = file.getFileName().toString();
        String stem = name.contains(".") ? name.substring(0, name.lastIndexOf('.')) : name;
        Path outDir = out != null ? out : Path.of("out", stem);
        // the DSL's save(chart, name) and reports write here too
        System.setProperty("compresso.out", outDir.toString());
        boolean ok = false;
        try (Evaluator evaluator = new Evaluator()) {
            if (name.endsWith(".ipynb")) {
                ok = new NotebookRunner(System.err).run(evaluator, file);
            } else {
                ok = new ScriptRunner(outDir, System.out, System.err).run(evaluator, file);
            }
        } finally {
            if (log != null) {
                Path written = ExperimentLog.session().writeCsv(log);
                System.err.println("compresso: log (" + ExperimentLog.session().size() + " rows) written to " + written);
            }
        }
        return ok ? 0 : 1;
    }
}
