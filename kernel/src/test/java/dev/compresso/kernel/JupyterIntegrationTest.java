package dev.compresso.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Installs the kernelspec into a temporary prefix and runs kernel/src/test/python/jupyter_integration.py
 * with Debian's /usr/bin/python3 (jupyter_client, nbconvert). The kernelspec runs java on this test's
 * class path, so no launcher build is needed. Set COMPRESSO_REQUIRE_JUPYTER=1 (CI) to fail instead
 * of skipping when Jupyter is missing.
 */
class JupyterIntegrationTest {

    @TempDir
    Path dir;

    @Test
    void kernelspecInstallsAndRunsUnderJupyter() throws Exception {
        boolean have = Files.isExecutable(Path.of("/usr/bin/python3")) && Files.isExecutable(Path.of("/usr/bin/jupyter"));
        if (System.getenv("COMPRESSO_REQUIRE_JUPYTER") == null) {
            assumeTrue(have, "Debian's jupyter packages are not installed");
        }
        KernelSpec.Location where = KernelSpec.location(List.of("--prefix", dir.toString()));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path installed = KernelSpec.install(where, List.of(java, "-Xmx1g", "-Dai.djl.offline=true",
                "-Dcompresso.home=" + Path.of("..").toAbsolutePath().normalize(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        assertTrue(Files.exists(installed.resolve("kernel.json")));
        Path dataDir = dir.resolve("share/jupyter");
        Process p = new ProcessBuilder("/usr/bin/python3", "src/test/python/jupyter_integration.py", dataDir.toString(), dir.toString())
                .redirectErrorStream(true).start();
        boolean finished = p.waitFor(5, TimeUnit.MINUTES);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!finished) {
            p.destroyForcibly();
        }
        assertTrue(finished, "timed out:\n" + out);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("jupyter integration: ok"), out);

        assertEquals(installed, KernelSpec.uninstall(where));
        assertFalse(Files.exists(installed));
        assertNull(KernelSpec.uninstall(where));
    }
}
