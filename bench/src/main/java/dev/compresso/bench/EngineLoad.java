package dev.compresso.bench;

import dev.compresso.model.TorchRuntime;
import java.lang.management.ManagementFactory;
import java.util.Locale;

/**
 * One engine load in this (fresh) JVM: prints the milliseconds from JVM start and from the first
 * call to {@link TorchRuntime#engine()} until the engine is ready (native library loaded, a manager
 * created and closed). Run by {@link EngineLoadDriver}, once per JVM.
 */
public final class EngineLoad {

    public static void main(String[] args) {
        long t0 = System.nanoTime();
        long sinceStart0 = System.currentTimeMillis() - ManagementFactory.getRuntimeMXBean().getStartTime();
        TorchRuntime.engine();
        double call = (System.nanoTime() - t0) / 1e6;
        System.out.printf(Locale.ROOT, "ENGINE call_ms=%.1f jvm_start_ms=%.1f%n", call, sinceStart0 + call);
    }
}
