package dev.compresso.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;

/**
 * Loads DJL's PyTorch engine offline, once, and sets its thread count.
 *
 * <p>Compresso never downloads at run time: {@code ai.djl.offline=true} and tracking is off. The
 * PyTorch native library comes from the {@code pytorch-native-cpu} jar on the classpath; its first
 * load extracts it to {@code ~/.djl.ai} (a few seconds), later loads take well under a second.
 */
public final class TorchRuntime {

    /** The Maven coordinates that provide the native library, for error messages. */
    static final String NATIVE_ARTIFACTS =
            "ai.djl.pytorch:pytorch-native-cpu:2.7.1 (classifier linux-x86_64, osx-aarch64 or win-x86_64)"
                    + " and ai.djl.pytorch:pytorch-jni:2.7.1-0.36.0";

    private static volatile Engine engine;

    private TorchRuntime() {}

    /**
     * The PyTorch engine, loaded on first use. Honours {@code COMPRESSO_THREADS} (or the system
     * property {@code compresso.threads}) for the number of intra-op threads.
     *
     * @return the engine
     * @throws IllegalStateException if the native library cannot be loaded; the message names the
     *     artifacts to add
     */
    public static Engine engine() {
        Engine e = engine;
        if (e != null) {
            return e;
        }
        synchronized (TorchRuntime.class) {
            if (engine == null) {
                engine = load();
            }
            return engine;
        }
    }

    private static Engine load() {
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("OPT_OUT_TRACKING", "true");
        System.setProperty("ai.djl.pytorch.graph_optimizer", System.getProperty("ai.djl.pytorch.graph_optimizer", "false"));
        Integer threads = configuredThreads();
        if (threads != null) {
            System.setProperty("ai.djl.pytorch.num_threads", threads.toString());
        }
        if (System.getProperty("ai.djl.pytorch.num_interop_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        }
        if (Thread.currentThread().getContextClassLoader() == null) {
            Thread.currentThread().setContextClassLoader(TorchRuntime.class.getClassLoader());
        }
        boolean nativeJar = TorchRuntime.class.getClassLoader().getResource("native/lib/pytorch.properties") != null;
        try {
            Engine loaded = Engine.getEngine("PyTorch");
            loaded.newBaseManager().close(); // forces the native library to load now, not mid-training
            return loaded;
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            String why = nativeJar
                    ? "the native library is on the classpath but failed to load"
                    : "the PyTorch native jar is not on the classpath";
            throw new IllegalStateException(
                    "The PyTorch engine could not be loaded offline: "
                            + why
                            + " ("
                            + e
                            + "). Fix: add "
                            + NATIVE_ARTIFACTS
                            + " to the classpath; Compresso never downloads them at run time.",
                    e);
        }
    }

    private static Integer configuredThreads() {
        String value = System.getProperty("compresso.threads", System.getenv("COMPRESSO_THREADS"));
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            int n = Integer.parseInt(value.trim());
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // fall through to the error below
        }
        throw new IllegalArgumentException(
                "COMPRESSO_THREADS=" + value + " must be a whole number ≥ 1, for example 2");
    }

    /**
     * Sets the number of intra-op threads PyTorch uses from now on.
     *
     * @param n threads, ≥ 1
     */
    public static void threads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("threads=" + n + " must be ≥ 1, for example 1 or 2");
        }
        engine();
        ai.djl.pytorch.jni.JniUtils.setNumThreads(n);
    }

    /**
     * Turns PyTorch's gradient recording off for the calling thread. Grad mode is per thread and on
     * by default in threads other than the one that loaded the engine (a notebook runs each cell in
     * a new thread), and in-place changes to weights fail while it is on. Every DSL entry point that
     * touches weights calls this first; the fit loop turns recording on only inside its gradient
     * collector.
     */
    public static void noGrad() {
        engine();
        ai.djl.pytorch.jni.JniUtils.setGradMode(false);
    }

    /** Whether PyTorch records gradients on the calling thread (inside the fit loop's collector). */
    static boolean recordingGradients() {
        return ai.djl.pytorch.jni.JniUtils.isGradMode();
    }

    /** The number of intra-op threads PyTorch uses. */
    public static int threads() {
        engine();
        return ai.djl.pytorch.jni.JniUtils.getNumThreads();
    }

    /** The PyTorch version of the native library, for example {@code 2.7.1}. */
    public static String pytorchVersion() {
        return engine().getVersion();
    }

    /** The DJL version on the classpath, for example {@code 0.36.0}. */
    public static String djlVersion() {
        String v = Engine.class.getPackage().getImplementationVersion();
        return v != null ? v : Engine.getDjlVersion();
    }

    /** A new root manager; close it when done. */
    static NDManager newManager() {
        return engine().newBaseManager();
    }
}
