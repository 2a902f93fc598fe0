package dev.compresso;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReproducibilityTest {

    static Map<String, String> pinned() {
        return new HashMap<>(Reproducibility.PINNED);
    }

    @Test
    void theModeIsReproducibleOnlyWithEveryPinnedValue() {
        assertEquals("reproducible", Reproducibility.mode(pinned()));
        assertEquals("full speed", Reproducibility.mode(Map.of()));
        Map<String, String> env = pinned();
        env.put("ATEN_CPU_CAPABILITY", "avx512");
        assertEquals("custom (MKL_CBWR=AVX2,STRICT ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx512)", Reproducibility.mode(env));
    }

    @Test
    void unknownValuesAreNamedWithTheAcceptedOnes() {
        assertEquals(List.of(), Reproducibility.warnings(pinned()));
        Map<String, String> env = pinned();
        env.put("MKL_CBWR", "AVX3");
        env.put("ATEN_CPU_CAPABILITY", "AVX2");
        List<String> w = Reproducibility.warnings(env);
        assertTrue(w.get(0).startsWith("MKL_CBWR=AVX3 is not a value MKL_CBWR accepts (") && w.get(0).contains("AVX2, AVX512"), w.get(0));
        assertTrue(w.get(1).startsWith("ATEN_CPU_CAPABILITY=AVX2 is not a value") && w.get(1).contains("(avx2, avx512, default)"), w.get(1));
        assertTrue(w.get(2).startsWith("not in the reproducible mode: MKL_CBWR=AVX3, ATEN_CPU_CAPABILITY=AVX2"), w.get(2));
        assertEquals(List.of(), Reproducibility.warnings(Map.of("MKL_CBWR", "avx512,strict", "COMPRESSO_REPRODUCIBLE", "0")),
                "full speed on purpose: accepted values, case as oneMKL reads them, no warning");
        assertEquals(List.of("COMPRESSO_REPRODUCIBLE=yes is not known; use 1 (reproducible, the default) or 0 (full speed)"),
                Reproducibility.warnings(Map.of("COMPRESSO_REPRODUCIBLE", "yes", "MKL_CBWR", "AVX2,STRICT",
                        "ONEDNN_MAX_CPU_ISA", "AVX2", "ATEN_CPU_CAPABILITY", "avx2")));
        assertTrue(Reproducibility.warnings(Map.of()).get(0).startsWith("not in the reproducible mode: MKL_CBWR=(unset)"));
    }
}
