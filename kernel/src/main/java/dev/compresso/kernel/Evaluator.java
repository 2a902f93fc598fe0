package dev.compresso.kernel;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import jdk.jshell.DeclarationSnippet;
import jdk.jshell.Diag;
import jdk.jshell.EvalException;
import jdk.jshell.ExpressionSnippet;
import jdk.jshell.JShell;
import jdk.jshell.JShellException;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.UnresolvedReferenceException;
import jdk.jshell.VarSnippet;

/**
 * Runs Java code in an in-process JShell with the DSL preloaded, and hands back live values.
 * Shared by the headless runner and the Jupyter kernel, so both behave the same.
 *
 * <pre>{@code
 * try (Evaluator ev = new Evaluator()) {
 *     Evaluator.Outcome o = ev.eval("var x = 20; x + 22", "cell", null);
 *     o.value(); // 42, an Integer
 * }
 * }</pre>
 *
 * Not thread-safe except for {@link #interrupt()}, which may be called from any thread.
 */
public final class Evaluator implements AutoCloseable {

    /**
     * The imports every script and notebook starts with. Packages the DSL does not have (yet) are
     * skipped silently.
     */
    public static final List<String> STARTUP_IMPORTS = List.of(
            "import java.util.*;",
            "import java.util.function.*;",
            "import java.util.stream.*;",
            "import java.nio.file.*;",
            "import tech.tablesaw.api.*;",
            "import org.knowm.xchart.*;",
            "import dev.compresso.*;",
            "import dev.compresso.model.*;",
            "import dev.compresso.data.*;",
            "import dev.compresso.train.*;",
            "import dev.compresso.eval.*;",
            "import dev.compresso.chart.*;",
            "import dev.compresso.prune.*;",
            "import dev.compresso.quantize.*;",
            "import dev.compresso.share.*;",
            "import dev.compresso.distill.*;",
            "import dev.compresso.store.*;",
            "import static dev.compresso.Compresso.*;",
            "import static dev.compresso.kernel.Display.*;");

    /**
     * How long an interrupt waits for user code to stop by itself before JShell stops it: long
     * enough for a sleep or a blocking read to end on the thread interrupt, short enough that a
     * runaway loop's reply comes as quickly as ipykernel's.
     */
    static final long STOP_GRACE_MILLIS = 5;
    /**
     * How long it waits while the DSL runs (training, sweeps, packing): those check the thread's
     * interrupt between batches and end cleanly, keeping the work done so far.
     */
    static final long DSL_GRACE_MILLIS = 10_000;

    /** Receives the value of each bare expression statement as it is evaluated. */
    @FunctionalInterface
    public interface ValueListener {
        /**
         * @param value the live value (may be null)
         * @param name the variable the expression names, or null for a computed value
         */
        void onValue(Object value, String name);
    }

    /**
     * The result of {@link #eval}.
     *
     * @param hasValue true if the last snippet was an expression with a non-void value
     * @param value that value
     * @param valueName the variable the last expression names, or null
     * @param error why the code stopped, or null if it ran to the end
     */
    public record Outcome(boolean hasValue, Object value, String valueName, CellError error) {
        /** True if the code ran to the end. */
        public boolean ok() {
            return error == null;
        }
    }

    private record Origin(String source, int firstLine) {}

    private final CapturingExecutionControl.Provider provider = new CapturingExecutionControl.Provider();
    private final JShell jshell;
    private final SourceCodeAnalysis analysis;
    private final Map<String, Origin> origins = new ConcurrentHashMap<>();
    private final ScheduledExecutorService stopper = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "compresso-interrupt");
        t.setDaemon(true);
        return t;
    });
    private final List<String> addedClasspath = new ArrayList<>();
    private volatile boolean interruptRequested;
    private volatile boolean evaluating;

    /** A new JShell with the startup imports evaluated. */
    public Evaluator() {
        // JShell's own out/err carry nothing for in-process execution (user code prints to
        // System.out), so give it a sink.
        PrintStream sink = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        jshell = JShell.builder()
                .executionEngine(provider, Map.of())
                .out(sink).err(sink)
                .compilerOptions("-parameters")
                .build();
        analysis = jshell.sourceCodeAnalysis();
        for (String imp : STARTUP_IMPORTS) {
            jshell.eval(imp);
        }
        // JShell starts its execution engine when it is built, so the control exists by now
        provider.control().skipWhen(() -> interruptRequested);
    }

    /** The JShell instance, for tests. */
    JShell jshell() {
        return jshell;
    }

    /** The JShell source analysis, for completion and documentation. */
    public SourceCodeAnalysis analysis() {
        return analysis;
    }

    /**
     * Adds a jar or folder to the class path of later snippets.
     *
     * @param path the jar or class folder
     */
    public void addToClasspath(String path) {
        jshell.addToClasspath(path);
        addedClasspath.add(path);
    }

    /** The class path: the JVM's, then what {@link #addToClasspath} added. */
    public List<String> classpath() {
        List<String> cp = new ArrayList<>(List.of(System.getProperty("java.class.path").split(java.io.File.pathSeparator)));
        cp.addAll(addedClasspath);
        return cp;
    }

    /**
     * Evaluates every snippet of {@code code} in order and stops at the first failure.
     *
     * @param code Java statements, declarations and expressions
     * @param source a name for error messages, such as {@code demo.jsh} or {@code cell [3]}
     * @param onValue called with the value of each bare expression statement, or null
     * @return the last value and the error, if any
     */
    public Outcome eval(String code, String source, ValueListener onValue) {
        evaluating = true;
        try {
            return evalSnippets(code, source, onValue);
        } finally {
            evaluating = false;
            interruptRequested = false;
        }
    }

    private Outcome evalSnippets(String code, String source, ValueListener onValue) {
        String rest = code;
        boolean hasValue = false;
        Object value = null;
        String valueName = null;
        while (!rest.isBlank()) {
            int offset = code.length() - rest.length();
            if (interruptRequested) { // asked before this snippet started, possibly before the cell did
                return new Outcome(false, null, null, interrupted(source, lineOf(code, offset + leadingSpace(rest))));
            }
            SourceCodeAnalysis.CompletionInfo ci = analysis.analyzeCompletion(rest);
            if (!ci.completeness().isComplete()) {
                if (ci.completeness() == SourceCodeAnalysis.Completeness.EMPTY) {
                    break;
                }
                int line = lineOf(code, offset + leadingSpace(rest));
                return new Outcome(false, null, null, new CellError(CellError.Kind.INCOMPLETE, "IncompleteInput",
                        "the code ends in the middle of a statement",
                        List.of(source + ":" + line + ": error: the code ends in the middle of a statement; "
                                + "check for a missing ')', '}' or ';'"),
                        source, line));
            }
            String snippetSource = ci.source();
            rest = ci.remaining();
            hasValue = false;
            value = null;
            valueName = null;
            // An expression runs wrapped in one compile (see Capture); whatever does not compile
            // wrapped runs as JShell would, which also gives JShell's own error messages.
            String expression = Capture.expression(snippetSource);
            List<SnippetEvent> events = expression == null ? null : evalWrapped(expression);
            boolean wrapped = events != null;
            if (!wrapped) {
                events = jshell.eval(snippetSource);
            }
            if (events.isEmpty()) {
                continue;
            }
            SnippetEvent main = events.get(0);
            Snippet snippet = main.snippet();
            int firstLine = lineOf(code, offset + codeStart(snippetSource));
            origins.put(snippet.id(), new Origin(source, firstLine));
            if (main.status() == Snippet.Status.REJECTED) {
                return new Outcome(false, null, null, compileError(snippet, code, offset, source));
            }
            // A computed value lives in a JShell temporary ($N). JShell imports every live one into each
            // later snippet and re-reads its class, so every cell would compile slower than the last
            // (bench/README.md, "Kernel"); the kernel shows the value and drops the temporary.
            boolean temporary = snippet instanceof VarSnippet vs
                    && vs.subKind() == Snippet.SubKind.TEMP_VAR_EXPRESSION_SUBKIND;
            try {
                JShellException ex = events.stream().map(SnippetEvent::exception)
                        .filter(e -> e != null).findFirst().orElse(null);
                CapturingExecutionControl.Invocation inv = provider.control() == null ? null : provider.control().last();
                if (interruptRequested || (inv != null && inv.thrown instanceof ThreadDeath)) {
                    if (inv != null && inv.thrown instanceof dev.compresso.train.TrainingInterruptedException stopped) {
                        // training ended cleanly between batches: say where, as the DSL does
                        return new Outcome(false, null, null, new CellError(CellError.Kind.INTERRUPTED, "Interrupted",
                                stopped.getMessage(), List.of("Interrupted (" + source + ":" + firstLine + "): " + stopped.getMessage()),
                                source, firstLine));
                    }
                    return new Outcome(false, null, null, interrupted(source, firstLine));
                }
                if (ex != null) {
                    return new Outcome(false, null, null, runtimeError(ex, inv, source, firstLine));
                }
                if (snippet instanceof DeclarationSnippet decl
                        && (main.status() == Snippet.Status.RECOVERABLE_DEFINED
                                || main.status() == Snippet.Status.RECOVERABLE_NOT_DEFINED)) {
                    String missing = jshell.unresolvedDependencies(decl).collect(Collectors.joining(", "));
                    System.err.println(source + ":" + firstLine + ": note: " + decl.name()
                            + " refers to " + missing + ", which is not declared yet; declare it before using " + decl.name());
                }
                String typeName = null;
                if (wrapped) {
                    if (inv != null && inv.finished && inv.captured) {
                        hasValue = true;
                        value = inv.capturedValue;
                        valueName = Capture.name(expression);
                        if (onValue != null) {
                            onValue.onValue(value, valueName);
                        }
                    }
                } else if (snippet instanceof ExpressionSnippet es) {
                    typeName = es.typeName();
                    valueName = es.name();
                } else if (temporary) {
                    typeName = ((VarSnippet) snippet).typeName();
                }
                if (typeName != null && !typeName.equals("void") && inv != null && inv.finished) {
                    hasValue = true;
                    value = inv.value;
                    if (onValue != null) {
                        onValue.onValue(value, valueName);
                    }
                }
            } finally {
                if (temporary) {
                    jshell.drop(snippet);
                }
            }
        }
        return new Outcome(hasValue, value, valueName, null);
    }

    /**
     * Runs an expression wrapped, or returns null (having left nothing defined) when it does not
     * compile so.
     */
    private List<SnippetEvent> evalWrapped(String expression) {
        List<SnippetEvent> events = jshell.eval(Capture.wrap(expression));
        if (events.isEmpty()) {
            return null;
        }
        SnippetEvent main = events.get(0);
        if (main.status() == Snippet.Status.VALID) {
            return events;
        }
        if (main.status().isActive()) { // defined, but refers to something undeclared
            jshell.drop(main.snippet());
        }
        return null;
    }

    /** Index of the first character that is neither white space nor inside a comment. */
    static int codeStart(String s) {
        int i = 0;
        while (i < s.length()) {
            if (Character.isWhitespace(s.charAt(i))) {
                i++;
            } else if (s.startsWith("//", i)) {
                int nl = s.indexOf('\n', i);
                i = nl < 0 ? s.length() : nl + 1;
            } else if (s.startsWith("/*", i)) {
                int end = s.indexOf("*/", i + 2);
                i = end < 0 ? s.length() : end + 2;
            } else {
                break;
            }
        }
        return i;
    }

    private static int leadingSpace(String s) {
        int i = 0;
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
        return i;
    }

    /** The 1-based line of character {@code index} in {@code text}. */
    static int lineOf(String text, int index) {
        int line = 1;
        for (int i = 0; i < index && i < text.length(); i++) {
            if (text.charAt(i) == '\n') {
                line++;
            }
        }
        return line;
    }

    private CellError compileError(Snippet snippet, String code, int offset, String source) {
        List<String> lines = new ArrayList<>();
        int firstLine = 0;
        String firstMessage = null;
        for (Diag d : jshell.diagnostics(snippet).collect(Collectors.toList())) {
            if (!d.isError()) {
                continue;
            }
            int pos = offset + (int) Math.max(0, d.getStartPosition());
            int line = lineOf(code, pos);
            int lineStart = code.lastIndexOf('\n', Math.max(0, pos - 1)) + 1;
            if (pos > 0 && code.charAt(Math.min(pos, code.length()) - 1) == '\n') {
                lineStart = pos;
            }
            int lineEnd = code.indexOf('\n', lineStart);
            String text = code.substring(lineStart, lineEnd < 0 ? code.length() : lineEnd);
            int column = pos - lineStart + 1;
            String message = d.getMessage(Locale.ROOT).lines()
                    .filter(l -> !l.strip().equals("location: class"))
                    .collect(Collectors.joining("\n"));
            if (firstMessage == null) {
                firstMessage = source + ":" + line + ":" + column + ": " + message.lines().findFirst().orElse("");
                firstLine = line;
            }
            lines.add(source + ":" + line + ":" + column + ": error: " + message);
            lines.add("    " + text);
            lines.add("    " + " ".repeat(Math.max(0, column - 1)) + "^");
        }
        if (firstMessage == null) {
            firstLine = lineOf(code, offset);
            firstMessage = source + ":" + firstLine + ": the snippet was rejected";
            lines.add(firstMessage);
        }
        return new CellError(CellError.Kind.COMPILE, "CompilationError", firstMessage, lines, source, firstLine);
    }

    private static CellError interrupted(String source, int line) {
        return new CellError(CellError.Kind.INTERRUPTED, "Interrupted", "interrupted by the user",
                List.of("Interrupted (" + source + ":" + line + ")"), source, line);
    }

    private CellError runtimeError(JShellException ex, CapturingExecutionControl.Invocation inv, String source, int line) {
        if (ex instanceof UnresolvedReferenceException ure) {
            String name = ure.getSnippet().name();
            String missing = jshell.unresolvedDependencies(ure.getSnippet()).collect(Collectors.joining(", "));
            String msg = name + " cannot be used until " + missing + " is declared; declare it, then run again";
            return new CellError(CellError.Kind.RUNTIME, "UnresolvedReference", msg, List.of(source + ":" + line + ": " + msg), source, line);
        }
        List<String> tb = new ArrayList<>();
        int userLine = 0;
        Throwable real = inv == null ? null : inv.thrown;
        String ename = ex instanceof EvalException ee ? ee.getExceptionClassName() : ex.getClass().getName();
        String evalue = ex.getMessage() == null ? "" : ex.getMessage();
        Throwable t = ex;
        String prefix = "";
        while (t != null) {
            String cls = t instanceof EvalException ee ? ee.getExceptionClassName() : t.getClass().getName();
            tb.add(prefix + cls + (t.getMessage() == null ? "" : ": " + t.getMessage()));
            StackTraceElement[] frames = t.getStackTrace();
            int last = -1;
            for (int i = 0; i < frames.length; i++) {
                if (isUser(frames[i])) {
                    last = i;
                }
            }
            int keep = last >= 0 ? last + 1 : frames.length;
            String previous = null;
            for (int i = 0; i < keep; i++) {
                StackTraceElement f = frames[i];
                if (isMachinery(f)) {
                    continue;
                }
                String text = frameText(f);
                if (text.equals(previous)) { // a wrapped expression: its lambda and the cell are one line
                    continue;
                }
                previous = text;
                if (userLine == 0 && isUser(f)) {
                    userLine = userLineOf(f);
                }
                tb.add("    at " + text);
            }
            t = t.getCause();
            prefix = "Caused by: ";
        }
        if (real instanceof OutOfMemoryError || real instanceof StackOverflowError) {
            tb.add("(" + real.getClass().getSimpleName() + " in user code; the session is still usable. "
                    + "Raise the heap with COMPRESSO_JAVA_OPTS=-Xmx... if needed)");
        }
        int l = userLine > 0 ? userLine : line;
        return new CellError(CellError.Kind.RUNTIME, ename, evalue, tb, source, l);
    }

    private static boolean isMachinery(StackTraceElement f) {
        String c = f.getClassName();
        return c.startsWith("jdk.internal.reflect.") || c.startsWith("java.lang.reflect.")
                || c.startsWith("jdk.jshell.") || c.startsWith("dev.compresso.kernel.");
    }

    /** A frame of user code: JShell names its file after the snippet id, {@code #12}. */
    private static boolean isUser(StackTraceElement f) {
        return f.getFileName() != null && f.getFileName().startsWith("#");
    }

    private String frameText(StackTraceElement f) {
        if (!isUser(f)) {
            return f.toString();
        }
        String method = f.getMethodName().isEmpty() || f.getMethodName().equals("do_it$")
                || f.getMethodName().startsWith("lambda$do_it$") ? "<top level>" : f.getMethodName();
        String cls = f.getClassName().startsWith("REPL.") ? "" : f.getClassName();
        cls = cls.isEmpty() ? "" : cls + ".";
        Origin o = originOf(f);
        String where = o == null ? String.valueOf(f.getFileName()) + ":" + f.getLineNumber()
                : o.source() + ":" + (o.firstLine() + Math.max(1, f.getLineNumber()) - 1);
        return cls + method + "(" + where + ")";
    }

    private int userLineOf(StackTraceElement f) {
        Origin o = originOf(f);
        return o == null ? 0 : o.firstLine() + Math.max(1, f.getLineNumber()) - 1;
    }

    private Origin originOf(StackTraceElement f) {
        String file = f.getFileName();
        if (file == null || !file.startsWith("#")) {
            return null;
        }
        return origins.get(file.substring(1));
    }

    /**
     * Stops the running code: first a {@link Thread#interrupt()} so loops that check it (training)
     * end cleanly, then, if the code still runs after {@value #STOP_GRACE_MILLIS} ms ({@value
     * #DSL_GRACE_MILLIS} ms inside the DSL), JShell's {@code stop()}, which ends tight loops. Called before {@link #eval} starts, it stops that eval
     * before its first snippet (the kernel calls it only while a cell runs or waits to). Returns at
     * once; safe from any thread.
     */
    public void interrupt() {
        interruptRequested = true;
        if (!evaluating) {
            return;
        }
        CapturingExecutionControl control = provider.control();
        CapturingExecutionControl.Invocation inv = control == null ? null : control.running();
        if (inv == null) {
            return;
        }
        Thread t = inv.thread;
        if (t != null) {
            t.interrupt();
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DSL_GRACE_MILLIS);
        stopper.schedule(new Runnable() {
            @Override
            public void run() {
                if (inv.finished) {
                    return;
                }
                if (t == null || System.nanoTime() >= deadline || !inDsl(t)) {
                    jshell.stop();
                } else { // look again: a user loop that only calls into the DSL now and then is stopped too
                    stopper.schedule(this, STOP_GRACE_MILLIS, TimeUnit.MILLISECONDS);
                }
            }
        }, STOP_GRACE_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** True if the thread is inside DSL code, which stops cleanly on an interrupt. */
    static boolean inDsl(Thread t) {
        for (StackTraceElement f : t.getStackTrace()) {
            String c = f.getClassName();
            if (c.startsWith("dev.compresso.") && !c.startsWith("dev.compresso.kernel.")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Compiles and runs a few throw-away snippets so that javac's code is compiled by the JIT before
     * the user's cells need it; the kernel calls it while idle, one step at a time.
     *
     * @param step which step, from 0
     */
    void warmUp(int step) {
        String[] cells = {"1 + 1", "\"cell \" + " + step, "java.util.List.of(1, 2, 3).size()",
            "Math.max(" + step + ", 3) * 2.0"};
        if (evaluating) {
            return;
        }
        jshell.eval(step % 5 == 4 ? "int " + Capture.VARIABLE + "Warm = " + step + ";" : Capture.wrap(cells[step % cells.length]));
    }

    /** Forgets an {@link #interrupt} that came after the last {@link #eval} ended. */
    void clearInterrupt() {
        interruptRequested = false;
    }

    /** True while {@link #eval} runs. */
    public boolean evaluating() {
        return evaluating;
    }

    @Override
    public void close() {
        stopper.shutdownNow();
        jshell.close();
    }
}
