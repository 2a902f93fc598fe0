package dev.compresso.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code %spark} in a checkout whose Spark module is not built says where it looked and how to build it. */
class SparkMagicTest {

    @Test
    void anUnbuiltSparkModuleIsNamedWithTheBuildCommand(@TempDir Path home) {
        String saved = System.getProperty("compresso.home");
        System.setProperty("compresso.home", home.toString());
        try (Evaluator ev = new Evaluator()) {
            Evaluator.Outcome o = new Magics(ev).run("%spark\n1 + 1", "cell [1]");
            assertFalse(o.ok());
            assertEquals("SparkError", o.error().ename());
            String m = o.error().evalue();
            assertTrue(m.contains(home.resolve("spark").resolve("target").toString()) && m.contains("mvn -B -q -DskipTests -pl spark -am package"), m);
            assertFalse(ev.classpath().stream().anyMatch(p -> p.contains("spark-lib")), "nothing was added");
            assertTrue(Magics.HELP.contains("%spark"), Magics.HELP);
        } finally {
            if (saved == null) {
                System.clearProperty("compresso.home");
            } else {
                System.setProperty("compresso.home", saved);
            }
        }
    }
}
