package dev.compresso.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import jdk.jshell.JShell;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import org.junit.jupiter.api.Test;

/** A recipe's fingerprint: the same cell in two kernels matches, an edited cell does not. */
public class FingerprintTest {

    /** Filled from JShell snippets below: the fingerprints their recipes got. */
    public static final List<String> SEEN = new ArrayList<>();

    /** Called from a JShell snippet with the recipe it wrote. */
    public static void see(Sweep.Recipe recipe) {
        SEEN.add(Fingerprint.of("grid(sparsity=[0.5])", recipe));
    }

    private static void eval(JShell js, String code) {
        for (SnippetEvent e : js.eval(code)) {
            if (e.status() == Snippet.Status.REJECTED || e.exception() != null) {
                throw new AssertionError("snippet failed: " + code + " " + e.exception()
                        + js.diagnostics(e.snippet()).map(d -> d.getMessage(null)).toList());
            }
        }
    }

    private static JShell kernel() {
        JShell js = JShell.builder().executionEngine("local").build();
        for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            js.addToClasspath(e);
        }
        return js;
    }

    @Test
    void theSameCellInAnotherKernelHasTheSameFingerprintAndAnEditedOneAnother() {
        SEEN.clear();
        String cell = "dev.compresso.eval.FingerprintTest.see(p -> p.get(\"sparsity\") * k);";
        try (JShell first = kernel()) {
            eval(first, "double k = 2;");
            eval(first, cell);
            eval(first, cell); // the cell run again: a new snippet class, $JShell$N+1
        }
        try (JShell second = kernel()) {
            eval(second, "int unrelated = 1;");
            eval(second, "String more = \"cells first\";");
            eval(second, "double k = 2;");
            eval(second, cell);
            eval(second, cell.replace("* k", "* k + 1")); // the recipe edited
        }
        assertEquals(4, SEEN.size());
        assertEquals(SEEN.get(0), SEEN.get(1), "re-running a cell keeps the fingerprint");
        assertEquals(SEEN.get(0), SEEN.get(2), "the same cell in a new kernel, after other cells, keeps it");
        assertNotEquals(SEEN.get(0), SEEN.get(3), "an edited recipe gets another");
    }

    @Test
    void snippetNumbersAreLeftOutOfClassFiles() {
        assertEquals("REPL.$JShell$.lambda", Fingerprint.withoutSnippetNumbers("REPL.$JShell$27.lambda"));
        Sweep.Recipe a = p -> 1.0;
        Sweep.Recipe b = p -> 2.0;
        assertNotEquals(Fingerprint.of("g", a), Fingerprint.of("g", b), "two lambdas of one class differ by their method");
        assertNotEquals(Fingerprint.of("g", a), Fingerprint.of("h", a), "the plan counts");
        assertTrue(Fingerprint.of("g", a).matches("[0-9a-f]{64}"));
    }
}
