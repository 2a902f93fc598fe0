package dev.compresso.kernel;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Map;
import java.util.function.BooleanSupplier;
import jdk.jshell.execution.LocalExecutionControl;
import jdk.jshell.spi.ExecutionControl;
import jdk.jshell.spi.ExecutionControlProvider;
import jdk.jshell.spi.ExecutionEnv;

/**
 * JShell's in-process execution, keeping the live object each snippet returns and the thread that
 * runs it. It reuses {@link LocalExecutionControl}'s thread and stop logic (ThreadGroup.stop on JDK
 * 17, byte-code stop checks on JDK 21+) by invoking a trampoline that calls the snippet's real
 * {@code do_it$} method: the trampoline finds its {@link Invocation} through an inheritable thread
 * local set by the thread that asked JShell to evaluate, so several evaluators can coexist.
 */
final class CapturingExecutionControl extends LocalExecutionControl {

    /** One snippet run: its method, and what it returned or threw. */
    static final class Invocation {
        final Method doit;
        final BooleanSupplier skip;
        volatile Thread thread;
        volatile Object value;
        volatile Throwable thrown;
        volatile boolean finished;
        /** Set by {@link Capture}: the value of a wrapped expression, which do_it$ does not return. */
        volatile boolean captured;
        volatile Object capturedValue;

        Invocation(Method doit, BooleanSupplier skip) {
            this.doit = doit;
            this.skip = skip;
        }
    }

    private static final InheritableThreadLocal<Invocation> CURRENT = new InheritableThreadLocal<>();
    private static final Method TRAMPOLINE;

    static {
        try {
            TRAMPOLINE = CapturingExecutionControl.class.getDeclaredMethod("trampoline");
            TRAMPOLINE.setAccessible(true);
        } catch (NoSuchMethodException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private volatile Invocation running;
    private volatile Invocation last;
    private volatile BooleanSupplier skip = () -> false;

    /**
     * Snippets compiled while {@code stopRequested} is true do not run: an interrupt that comes while
     * JShell compiles a snippet (there is no thread to stop yet) still keeps it from starting.
     */
    void skipWhen(BooleanSupplier stopRequested) {
        this.skip = stopRequested;
    }

    @Override
    protected String invoke(Method doitMethod) throws Exception {
        Invocation inv = new Invocation(doitMethod, skip);
        last = inv;
        running = inv;
        CURRENT.set(inv);
        try {
            super.invoke(TRAMPOLINE);
        } finally {
            CURRENT.remove();
            inv.finished = true;
            running = null;
        }
        // JShell shows this string as the snippet's value; the renderers use the live object instead.
        return "";
    }

    /** Runs on LocalExecutionControl's snippet thread; rethrows the snippet's own exception. */
    @SuppressWarnings("unused")
    private static Object trampoline() throws Throwable {
        Invocation inv = CURRENT.get();
        inv.thread = Thread.currentThread();
        if (inv.skip.getAsBoolean()) {
            return null;
        }
        try {
            inv.value = inv.doit.invoke(null);
        } catch (InvocationTargetException e) {
            inv.thrown = e.getCause();
            throw e.getCause();
        }
        return null;
    }

    /** Keeps the value of a wrapped expression for the snippet that runs on this thread. */
    static void capture(Object value) {
        Invocation inv = CURRENT.get();
        if (inv != null) {
            inv.capturedValue = value;
            inv.captured = true;
        }
    }

    /** The snippet running now, or null. */
    Invocation running() {
        return running;
    }

    /** The last snippet run, or null. */
    Invocation last() {
        return last;
    }

    /** Hands JShell one {@link CapturingExecutionControl} and keeps it for the evaluator. */
    static final class Provider implements ExecutionControlProvider {
        private volatile CapturingExecutionControl control;

        @Override
        public String name() {
            return "compresso-local";
        }

        @Override
        public ExecutionControl generate(ExecutionEnv env, Map<String, String> parameters) {
            control = new CapturingExecutionControl();
            return control;
        }

        CapturingExecutionControl control() {
            return control;
        }
    }
}
