package dev.compresso.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code %maven} against the real Maven Central, into a temporary local repository so the download
 * really happens. Skipped when Central is unreachable, unless COMPRESSO_REQUIRE_NETWORK is set.
 */
class MavenMagicTest {

    @TempDir
    Path repo;

    private String savedRepo;
    private String savedCentral;

    @BeforeEach
    void useTemporaryLocalRepository() {
        savedRepo = System.getProperty("maven.repo.local");
        savedCentral = System.getProperty("maven.repo.central");
        System.setProperty("maven.repo.local", repo.toString());
    }

    @AfterEach
    void restore() {
        restore("maven.repo.local", savedRepo);
        restore("maven.repo.central", savedCentral);
    }

    private static void restore(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }

    private static void assumeCentralReachable() {
        boolean up;
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create(MavenResolver.centralUrl() + "/").toURL().openConnection();
            c.setConnectTimeout(5000);
            c.setReadTimeout(5000);
            c.setRequestMethod("HEAD");
            up = c.getResponseCode() < 500;
        } catch (Exception e) {
            up = false;
        }
        if (System.getenv("COMPRESSO_REQUIRE_NETWORK") == null) {
            assumeTrue(up, "Maven Central is not reachable");
        }
    }

    @Test
    void resolvesTransitivelyFromCentralAndAddsTheJarsToJShell() {
        assumeCentralReachable();
        // The resolver stays off the kernel's class path: it is loaded only by %maven.
        assertFalse(isOnKernelClassPath("org.eclipse.aether.RepositorySystem"));
        try (Evaluator ev = new Evaluator()) {
            Magics magics = new Magics(ev);
            Evaluator.Outcome before = magics.run("org.apache.commons.text.WordUtils.capitalize(\"x\")", "cell [1]");
            assertFalse(before.ok(), "commons-text must not be on the class path before %maven");

            Evaluator.Outcome o = magics.run("%maven org.apache.commons:commons-text:1.12.0\n"
                    + "org.apache.commons.text.WordUtils.capitalize(\"hello world\") + org.apache.commons.lang3.StringUtils.reverse(\"ab\")",
                    "cell [2]");
            assertTrue(o.ok(), () -> String.valueOf(o.error()));
            assertEquals("Hello Worldba", o.value());
            // commons-lang3 came along as a dependency, into the local repository we named
            assertTrue(Files.isRegularFile(repo.resolve("org/apache/commons/commons-text/1.12.0/commons-text-1.12.0.jar")));
            assertTrue(ev.classpath().stream().anyMatch(p -> p.contains("commons-lang3")), ev.classpath()::toString);
        }
    }

    @Test
    void unknownArtifactNamesTheCoordinatesTheRepositoryAndTheFix() {
        assumeCentralReachable();
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> MavenResolver.resolve("dev.compresso.nonexistent:no-such-artifact:0.0.1"));
        String m = e.getMessage();
        assertTrue(m.contains("dev.compresso.nonexistent:no-such-artifact:0.0.1"), m);
        assertTrue(m.contains("was not found in Maven Central (" + MavenResolver.centralUrl() + ")"), m);
        assertTrue(m.contains("Check the group id, artifact id and version"), m);
    }

    @Test
    void unreachableRepositoryIsReportedAsOffline() {
        System.setProperty("maven.repo.central", "http://127.0.0.1:9/maven2");
        try (Evaluator ev = new Evaluator()) {
            Evaluator.Outcome o = new Magics(ev).run("%maven org.apache.commons:commons-text:1.12.0", "cell [1]");
            assertFalse(o.ok());
            assertEquals("MavenError", o.error().ename());
            String m = o.error().evalue();
            assertTrue(m.contains("org.apache.commons:commons-text:1.12.0"), m);
            assertTrue(m.contains("http://127.0.0.1:9/maven2") && m.contains("not reachable"), m);
            assertTrue(m.contains("%classpath"), m);
        }
    }

    @Test
    void malformedCoordinatesAreAUsageError() {
        try (Evaluator ev = new Evaluator()) {
            Evaluator.Outcome o = new Magics(ev).run("%maven commons-text", "cell [1]");
            assertFalse(o.ok());
            assertTrue(o.error().evalue().contains("'commons-text' are not Maven coordinates; write group:artifact:version"),
                    o.error().evalue());
        }
    }

    private static boolean isOnKernelClassPath(String cls) {
        try {
            Class.forName(cls, false, MavenResolver.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }
}
