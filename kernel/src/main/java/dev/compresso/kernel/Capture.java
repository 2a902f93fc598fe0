package dev.compresso.kernel;

import java.util.Set;
import java.util.regex.Pattern;

/**
 * How the evaluator runs a cell's expression in one javac compile instead of JShell's two: the
 * expression becomes the body of a lambda in a variable declaration, {@code boolean $compresso =
 * Capture.value(() -> EXPR);}, and the lambda hands its live value to the running snippet's
 * invocation. JShell compiles an expression once to learn its type and again to run it, and a
 * statement once as a trial and again to run it; a declaration with a stated type it compiles once.
 * Overloading picks {@link ValueBody} for an expression with a value and {@link VoidBody} for a
 * void call. Only the evaluator writes such declarations; a cell never needs to name this class.
 */
public final class Capture {

    /** The variable every wrapped expression declares; each cell's declaration replaces the last. */
    static final String VARIABLE = "$compresso";

    private static final Set<String> STATEMENT_WORDS = Set.of("abstract", "assert", "boolean", "break", "byte",
            "case", "catch", "char", "class", "continue", "default", "do", "double", "else", "enum", "final",
            "finally", "float", "for", "if", "import", "int", "interface", "long", "native", "package",
            "private", "protected", "public", "record", "return", "sealed", "short", "static", "strictfp", "switch",
            "synchronized", "throw", "transient", "try", "var", "void", "volatile", "while", "yield");
    /** {@code Type name}, {@code List<String> xs}, {@code a.b.C[] c}: the start of a declaration. */
    private static final Pattern DECLARATION = Pattern.compile(
            "^[A-Za-z_$][\\w$]*(\\s*\\.\\s*[A-Za-z_$][\\w$]*)*\\s*(<[\\w$\\s,.<>?\\[\\]&]*>)?(\\s*\\[\\s*\\])*"
                    + "\\s+(?!instanceof\\b)[A-Za-z_$][\\w$]*");
    /** {@code label: statement}, but not {@code Type::method}. */
    private static final Pattern LABEL = Pattern.compile("^[A-Za-z_$][\\w$]*\\s*:(?!:)");
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_$][\\w$]*");

    private Capture() {}

    /**
     * The body of a wrapped expression that has a value.
     *
     * @param <T> the expression's type
     */
    @FunctionalInterface
    public interface ValueBody<T> {
        /**
         * Evaluates the expression.
         *
         * @return its value
         * @throws Throwable whatever the expression throws
         */
        T get() throws Throwable;
    }

    /** The body of a wrapped void method call. */
    @FunctionalInterface
    public interface VoidBody {
        /**
         * Runs the call.
         *
         * @throws Throwable whatever the call throws
         */
        void run() throws Throwable;
    }

    /**
     * Evaluates an expression and keeps its value for the cell's result.
     *
     * @param body the expression
     * @return true; the value itself goes to the running snippet, not to the variable, so the
     *     variable never keeps a large object alive
     */
    public static boolean value(ValueBody<?> body) {
        Object v;
        try {
            v = body.get();
        } catch (Throwable t) {
            throw Capture.<RuntimeException>sneaky(t);
        }
        CapturingExecutionControl.capture(v);
        return true;
    }

    /**
     * Runs a void call; the cell then has no value.
     *
     * @param body the call
     * @return true
     */
    public static boolean value(VoidBody body) {
        try {
            body.run();
        } catch (Throwable t) {
            throw Capture.<RuntimeException>sneaky(t);
        }
        return true;
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> T sneaky(Throwable t) throws T {
        throw (T) t;
    }

    /**
     * The expression a snippet may be, without leading comments and the trailing semicolon, or
     * null when it plainly is not one (a declaration, an import, a statement keyword, a block). A
     * snippet that looks like an expression but is not fails to compile wrapped, and the evaluator
     * then runs it as JShell would.
     */
    static String expression(String snippet) {
        String s = snippet.substring(Evaluator.codeStart(snippet)).stripTrailing();
        if (s.endsWith(";")) {
            s = s.substring(0, s.length() - 1).stripTrailing();
        }
        if (s.isEmpty() || "{@<;".indexOf(s.charAt(0)) >= 0 || s.endsWith(";")) {
            return null;
        }
        var word = IDENTIFIER.matcher(s);
        if (word.lookingAt() && STATEMENT_WORDS.contains(word.group())) {
            return null;
        }
        if (DECLARATION.matcher(s).lookingAt() || LABEL.matcher(s).lookingAt()) {
            return null;
        }
        return s;
    }

    /** The declaration that evaluates {@code expression} through {@link #value}. */
    static String wrap(String expression) {
        return "boolean " + VARIABLE + " = dev.compresso.kernel.Capture.value(() -> " + expression + "\n);";
    }

    /** The variable an expression names, when it is just a name; else null. */
    static String name(String expression) {
        return IDENTIFIER.matcher(expression).matches() ? expression : null;
    }
}
