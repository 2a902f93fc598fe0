package dev.compresso.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's DSL tour is examples/tour.jsh, and it runs: on real Fashion-MNIST, through the runner. */
@Tag("engine")
class ReadmeTourTest {

    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();

    @TempDir Path dir;

    private static List<String> statements(List<String> lines) {
        return lines.stream()
                .map(l -> l.replaceFirst("//.*$", "").strip())
                .filter(l -> !l.isEmpty() && !l.startsWith("import "))
                .collect(Collectors.toList());
    }

    @Test
    void theReadmeTourIsTheTourScript() throws Exception {
        String readme = Files.readString(ROOT.resolve("README.md"));
        int section = readme.indexOf("## A short DSL tour");
        assertTrue(section >= 0, "README has a DSL tour section");
        int start = readme.indexOf("```java", section) + "```java".length();
        int end = readme.indexOf("```", start);
        List<String> fromReadme = statements(List.of(readme.substring(start, end).split("\n")));
        List<String> fromScript = statements(Files.readAllLines(ROOT.resolve("examples/tour.jsh")));
        assertEquals(fromScript, fromReadme, "README's tour and examples/tour.jsh must say the same");
    }

    @Test
    void theTourRuns() {
        String out = MainTest.runCapturing("run", ROOT.resolve("examples/tour.jsh").toString(), "--out", dir.toString());
        assertTrue(out.startsWith("0\n"), "exit code 0 expected: " + out);
        // the log's text form fits 120 columns, so a long name may wrap at its hyphens
        assertTrue(out.contains("experiment log") && out.replaceAll("-\\s*\\|[^\n]*\n", "-").contains("lenet-300-100-pruned-shared-packed"), out);
        assertTrue(out.contains("size breakdown of lenet-300-100-pruned-shared.cmpr"), out);
        assertTrue(Files.exists(dir.resolve("lenet-300-100-pruned-shared.cmpr")), "the packed file is in the output folder");
    }
}
