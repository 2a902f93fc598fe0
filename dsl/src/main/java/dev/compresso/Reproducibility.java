package dev.compresso;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The reproducible mode: environment settings that make PyTorch's CPU kernels take the same code
 * paths on x86-64 CPUs with AVX2 of one vendor, so a notebook gives a colleague the same numbers.
 * Across vendors they do not hold: oneMKL's reproducible branch gave other bits on an Intel Xeon
 * than on an AMD EPYC (README, "Reproducible numbers").
 * oneMKL's conditional numerical reproducibility ({@code MKL_CBWR=AVX2,STRICT}), oneDNN's ISA cap
 * ({@code ONEDNN_MAX_CPU_ISA=AVX2}) and ATen's kernel choice ({@code ATEN_CPU_CAPABILITY=avx2}); the
 * thread count is fixed too ({@code COMPRESSO_THREADS}). The native libraries read them once, when
 * they load, so they must be in the environment before the JVM starts: the {@code ./compresso}
 * launcher sets them unless {@code COMPRESSO_REPRODUCIBLE=0} (full speed).
 */
public final class Reproducibility {

    /** The switch: {@code COMPRESSO_REPRODUCIBLE=0} runs at full speed on the CPU's best code paths. */
    public static final String SWITCH = "COMPRESSO_REPRODUCIBLE";

    /** The settings of the reproducible mode, in the order they are reported. */
    public static final Map<String, String> PINNED = pinned();

    private static final Map<String, Set<String>> ACCEPTED = Map.of(
            "MKL_CBWR", Set.of("AUTO", "COMPATIBLE", "SSE2", "SSE3", "SSSE3", "SSE4_1", "SSE4_2", "AVX", "AVX2",
                    "AVX512", "AVX512_E1", "AVX512_MIC", "AVX512_MIC_E1"),
            "ONEDNN_MAX_CPU_ISA", Set.of("SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX2_VNNI_2", "AVX512_CORE",
                    "AVX512_CORE_VNNI", "AVX512_CORE_BF16", "AVX10_1_512", "AVX512_CORE_FP16", "AVX10_1_512_AMX",
                    "AVX512_CORE_AMX", "AVX10_1_512_AMX_FP16", "AVX512_CORE_AMX_FP16", "DEFAULT", "ALL"),
            "ATEN_CPU_CAPABILITY", Set.of("default", "avx2", "avx512"));

    private Reproducibility() {}

    private static Map<String, String> pinned() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("MKL_CBWR", "AVX2,STRICT");
        m.put("ONEDNN_MAX_CPU_ISA", "AVX2");
        m.put("ATEN_CPU_CAPABILITY", "avx2");
        return m;
    }

    /**
     * The mode this process runs in, for {@link Compresso#versions()}: {@code reproducible} when
     * every setting has its pinned value, {@code full speed} when none is set, else {@code custom}
     * with the settings that are.
     */
    public static String mode() {
        return mode(System.getenv());
    }

    static String mode(Map<String, String> env) {
        List<String> set = new ArrayList<>();
        boolean allPinned = true;
        for (var e : PINNED.entrySet()) {
            String v = env.get(e.getKey());
            if (v != null && !v.isBlank()) {
                set.add(e.getKey() + "=" + v);
            }
            allPinned &= e.getValue().equals(v);
        }
        if (allPinned) {
            return "reproducible";
        }
        return set.isEmpty() ? "full speed" : "custom (" + String.join(" ", set) + ")";
    }

    /**
     * What is wrong with the environment's settings, one message each: an unknown value (named,
     * with the accepted ones), or, unless the switch is 0, a setting missing or differing from
     * the reproducible mode (the native code would then pick its kernels by CPU). Empty when fine.
     *
     * @param env the environment, usually {@code System.getenv()}
     * @return the warnings, each a full sentence
     */
    public static List<String> warnings(Map<String, String> env) {
        List<String> out = new ArrayList<>();
        String sw = env.get(SWITCH);
        if (sw != null && !Set.of("0", "1").contains(sw.strip())) {
            out.add(SWITCH + "=" + sw + " is not known; use 1 (reproducible, the default) or 0 (full speed)");
        }
        boolean fast = "0".equals(sw == null ? null : sw.strip());
        List<String> unpinned = new ArrayList<>();
        for (var e : PINNED.entrySet()) {
            String name = e.getKey();
            String v = env.get(name);
            if (v != null && !v.isBlank() && !accepted(name, v)) {
                out.add(name + "=" + v + " is not a value " + name + " accepts (" + String.join(", ",
                        ACCEPTED.get(name).stream().sorted().toList()) + (name.equals("MKL_CBWR") ? ", each optionally with ,STRICT" : "")
                        + "); the native library may ignore it and pick its kernels by CPU");
            }
            if (!fast && !e.getValue().equals(v)) {
                unpinned.add(name + "=" + (v == null ? "(unset)" : v));
            }
        }
        if (!unpinned.isEmpty()) {
            out.add("not in the reproducible mode: " + String.join(", ", unpinned) + "; numbers may differ on another CPU. "
                    + "Start through ./compresso (it sets " + PINNED.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                    .reduce((a, b) -> a + " " + b).orElse("") + "), or set " + SWITCH + "=0 to run at full speed on purpose");
        }
        return out;
    }

    private static boolean accepted(String name, String value) {
        String v = value.strip();
        if (name.equals("MKL_CBWR")) {
            String[] parts = v.toUpperCase(Locale.ROOT).split(",");
            return parts.length <= 2 && ACCEPTED.get(name).contains(parts[0].strip())
                    && (parts.length == 1 || parts[1].strip().equals("STRICT"));
        }
        if (name.equals("ONEDNN_MAX_CPU_ISA")) {
            return ACCEPTED.get(name).contains(v.toUpperCase(Locale.ROOT));
        }
        return ACCEPTED.get(name).contains(v);
    }
}
