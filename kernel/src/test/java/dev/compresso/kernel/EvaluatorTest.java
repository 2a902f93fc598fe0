package dev.compresso.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class EvaluatorTest {

    static Evaluator ev;

    @BeforeAll
    static void start() {
        ev = new Evaluator();
    }

    @AfterAll
    static void stop() {
        ev.close();
    }

    @Test
    void statePersistsAcrossCalls() {
        assertTrue(ev.eval("int persisted = 41;", "c1", null).ok());
        Evaluator.Outcome o = ev.eval("persisted + 1", "c2", null);
        assertTrue(o.ok());
        assertTrue(o.hasValue());
        assertEquals(42, o.value());
    }

    @Test
    void capturesTheLiveObjectNotItsText() {
        Evaluator.Outcome o = ev.eval("var live = new java.util.ArrayList<String>(List.of(\"a\"));\nlive", "c", null);
        assertInstanceOf(ArrayList.class, o.value());
        assertEquals("live", o.valueName());
        Evaluator.Outcome again = ev.eval("live", "c", null);
        assertSame(o.value(), again.value(), "the same object each time, not a copy");
    }

    @Test
    void expressionsRunWrappedInOneCompileWithJShellsOwnResults() {
        assertEquals(List.of("a", "b"), ev.eval("List.of(\"a\", \"b\")", "c", null).value());
        Evaluator.Outcome voidCall = ev.eval("System.out.print(\"\");", "c", null);
        assertTrue(voidCall.ok());
        assertFalse(voidCall.hasValue(), "a void call has no value");
        var names = new ArrayList<String>();
        Evaluator.Outcome both = ev.eval("var xs = new ArrayList<Integer>();\nxs.add(3);\nxs", "c", (v, n) -> names.add(n));
        assertEquals(List.of(3), both.value());
        assertEquals(Arrays.asList(null, "xs"), names, "a call with a value is shown (as JShell does), a name keeps its name");
        // a snippet that looks like an expression but is not one still gets JShell's own message and column
        Evaluator.Outcome bad = ev.eval("int ok = 1;\nnoSuchName + 1", "cell [2]", null);
        assertFalse(bad.ok());
        assertTrue(bad.error().traceback().get(0).startsWith("cell [2]:2:1: error: cannot find symbol"), bad.error().traceback().toString());
        // a checked exception from an expression: one top-level frame, on the cell's line
        Evaluator.Outcome thrown = ev.eval("\njava.nio.file.Files.readString(java.nio.file.Path.of(\"/no/such/file\"))", "cell [3]", null);
        assertEquals("java.nio.file.NoSuchFileException", thrown.error().ename());
        List<String> top = thrown.error().traceback().stream().filter(l -> l.contains("<top level>")).toList();
        assertEquals(List.of("    at <top level>(cell [3]:2)"), top, thrown.error().traceback().toString());
        // a lambda or a method reference alone has no type: JShell's own error, not the wrapper's
        assertEquals("CompilationError", ev.eval("() -> 1", "c", null).error().ename());
    }

    @Test
    void warmUpStepsLeaveNoTraceInTheSession() {
        for (int i = 0; i < 10; i++) {
            ev.warmUp(i);
        }
        assertTrue(ev.eval("1 + 1", "c", null).ok());
        List<String> live = ev.jshell().variables().filter(v -> ev.jshell().status(v).isActive())
                .map(v -> v.name()).filter(n -> !n.startsWith(Capture.VARIABLE)).toList();
        assertEquals(List.of(), live.stream().filter(n -> n.startsWith("$")).toList());
    }

    @Test
    void computedValuesAreShownButNotKeptAsTemporaries() {
        Evaluator.Outcome o = ev.eval("var kept = 2;\nkept * 21", "c", null);
        assertEquals(42, o.value());
        Evaluator.Outcome failed = ev.eval("Integer.parseInt(\"x\")", "c", null);
        assertFalse(failed.ok());
        List<String> live = ev.jshell().variables().filter(v -> ev.jshell().status(v).isActive())
                .map(v -> v.name()).toList();
        assertTrue(live.contains("kept"), live.toString());
        assertTrue(live.stream().noneMatch(n -> n.startsWith("$") && !n.startsWith(Capture.VARIABLE)), "no $N temporaries left: " + live);
        assertEquals("boolean", ev.jshell().variables().filter(v -> v.name().equals(Capture.VARIABLE))
                .filter(v -> ev.jshell().status(v).isActive()).findFirst().orElseThrow().typeName(),
                "the wrapper's variable keeps no value alive");
        assertTrue(ev.eval("kept + 1", "c", null).ok(), "state declared before still works");
    }

    @Test
    void anInterruptJustBeforeACellStopsItBeforeItsFirstSnippet() {
        assertTrue(ev.eval("int ran = 0;", "c", null).ok());
        ev.interrupt(); // as the kernel does when the interrupt comes while JShell still starts
        Evaluator.Outcome o = ev.eval("ran = 1;\nwhile (true) { }", "cell [9]", null);
        assertFalse(o.ok());
        assertEquals(CellError.Kind.INTERRUPTED, o.error().kind());
        assertEquals(0, ev.eval("ran", "c", null).value(), "no snippet of the interrupted cell ran");
        ev.interrupt();
        ev.clearInterrupt(); // as the kernel does when the interrupt came as the cell ended
        assertTrue(ev.eval("ran = 2;", "c", null).ok());
        assertEquals(2, ev.eval("ran", "c", null).value(), "a cleared interrupt does not stop the next cell");
    }

    @Test
    void declarationsAndVoidCallsHaveNoValue() {
        assertFalse(ev.eval("int quiet = 3;", "c", null).hasValue());
        assertFalse(ev.eval("System.out.print(\"\")", "c", null).hasValue());
    }

    @Test
    void reportsEveryBareExpressionToTheListener() {
        List<Object> seen = new ArrayList<>();
        ev.eval("1 + 1;\nint z = 5;\n\"x\";\nz", "c", (v, n) -> seen.add(v));
        assertEquals(List.of(2, "x", 5), seen);
    }

    @Test
    void startupImportsIncludeTheDslAndTablesaw() {
        assertTrue(ev.eval("Table t = Table.create(\"t\"); TrainOptions o = epochs(3); Path p = Path.of(\".\");", "c", null).ok());
    }

    @Test
    void compileErrorGivesLineAndColumnInTheCell() {
        Evaluator.Outcome o = ev.eval("int a = 1;\nint b = 2;\nint c = a +\n   \"text\";", "cell", null);
        assertFalse(o.ok());
        CellError e = o.error();
        assertEquals(CellError.Kind.COMPILE, e.kind());
        assertEquals(3, e.line());
        assertTrue(e.traceback().get(0).startsWith("cell:3:9: error: incompatible types"), e.text());
    }

    @Test
    void compileErrorAfterLeadingCommentPointsAtTheRightLine() {
        Evaluator.Outcome o = ev.eval("// comment\n\nundefinedName.run();", "cell", null);
        assertEquals(3, o.error().line(), o.error().text());
        assertTrue(o.error().text().contains("cell:3:1: error: cannot find symbol"), o.error().text());
    }

    @Test
    void runtimeTraceIsCutToUserCode() {
        Evaluator.Outcome o = ev.eval("int boom(int n) {\n  return 10 / n;\n}\nint ok = 1;\nboom(0);", "cell", null);
        CellError e = o.error();
        assertEquals(CellError.Kind.RUNTIME, e.kind());
        assertEquals("java.lang.ArithmeticException", e.ename());
        assertEquals("/ by zero", e.evalue());
        assertTrue(e.text().contains("at boom(cell:2)"), e.text());
        assertTrue(e.text().contains("at <top level>(cell:5)"), e.text());
        for (String line : e.traceback()) {
            assertFalse(line.contains("jdk.jshell") || line.contains("reflect") || line.contains("dev.compresso.kernel"), line);
        }
    }

    @Test
    void stopsAtTheFirstFailingSnippet() {
        Evaluator.Outcome o = ev.eval("int before = 1;\nObject x = null; x.hashCode();\nint after = 2;", "cell", null);
        assertEquals("java.lang.NullPointerException", o.error().ename());
        assertFalse(ev.eval("after", "c", null).ok(), "'after' must not have been declared");
    }

    @Test
    void incompleteInputIsAnError() {
        Evaluator.Outcome o = ev.eval("int x = (1 + ", "cell", null);
        assertEquals(CellError.Kind.INCOMPLETE, o.error().kind());
    }

    @Test
    void stackOverflowAndOutOfMemoryLeaveTheEvaluatorUsable() {
        Evaluator.Outcome so = ev.eval("int deep(int n) { return deep(n + 1) + 1; }\ndeep(0)", "c", null);
        assertEquals("java.lang.StackOverflowError", so.error().ename());
        Evaluator.Outcome oom = ev.eval("long[] hog = new long[Integer.MAX_VALUE - 16];", "c", null);
        assertEquals("java.lang.OutOfMemoryError", oom.error().ename());
        assertEquals(7, ev.eval("3 + 4", "c", null).value());
    }

    @Test
    void interruptStopsATightLoop() throws Exception {
        long[] interruptedAt = new long[1];
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                return;
            }
            interruptedAt[0] = System.nanoTime();
            ev.interrupt();
        });
        t.start();
        Evaluator.Outcome o = ev.eval("while (true) { }", "c", null);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - interruptedAt[0]);
        t.join();
        assertEquals(CellError.Kind.INTERRUPTED, o.error().kind());
        // the 0.2 s target is measured by `bench/run.sh kernel`, not here: on a loaded machine a unit
        // test may wait longer; this catches a stop that only lands once the loop happens to yield
        assertTrue(ms < 2000, "stopped " + ms + " ms after the interrupt");
        assertEquals(2, ev.eval("1 + 1", "c", null).value(), "usable after the interrupt");
    }

    /** A started thread that interrupts the evaluator after {@code millis}. */
    Thread interruptAfter(long millis) {
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                return;
            }
            ev.interrupt();
        });
        t.start();
        return t;
    }

    @Test
    void interruptedTrainingStopsCleanlyBetweenBatches() throws Exception {
        assertTrue(ev.eval("var blobsData = blobs(20000, 100, 32, 4);\nmlp(32, 4).parameterCount()", "c", null).ok());
        System.clearProperty("compresso.test.training");
        Thread t = new Thread(() -> { // interrupt once training runs (a slow machine may take long to compile the cell)
            try {
                while (System.getProperty("compresso.test.training") == null) {
                    Thread.sleep(20);
                }
                Thread.sleep(500);
            } catch (InterruptedException e) {
                return;
            }
            ev.interrupt();
        });
        t.start();
        Evaluator.Outcome o = ev.eval("var trained = ((Supplier<Network>) () -> {\n"
                + "    System.setProperty(\"compresso.test.training\", \"started\");\n"
                + "    return mlp(32, 256, 4).train(blobsData, epochs(500));\n}).get();", "c", null);
        t.join();
        // a runaway loop is stopped after 5 ms; the DSL is given time to end its batch and say where it stopped
        assertEquals(CellError.Kind.INTERRUPTED, o.error().kind());
        assertTrue(o.error().evalue().contains("was interrupted at"), "the DSL's own clean stop, not a thread stop: "
                + o.error().traceback());
    }

    @Test
    void interruptEndsASleepingCellCleanly() throws Exception {
        Thread t = interruptAfter(200);
        Evaluator.Outcome o = ev.eval("Thread.sleep(60_000);", "c", null);
        t.join();
        assertNotNull(o.error());
        assertNull(ev.eval("int fine = 1;", "c", null).error());
    }
}
