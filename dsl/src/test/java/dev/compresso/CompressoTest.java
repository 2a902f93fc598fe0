package dev.compresso;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("engine")
class CompressoTest {

    @Test
    void versionsEndWithTheCpuModelAsTheNotebookCheckReadsIt() throws IOException {
        // notebooks/check.py finds the CPU a notebook ran on with this pattern (VERSIONS_CPU)
        String versions = Compresso.versions();
        Matcher m = Pattern.compile("^JDK .*, threads \\d+, CPU (.+)$").matcher(versions);
        assertTrue(m.matches(), versions);
        Path cpuinfo = Path.of("/proc/cpuinfo");
        if (Files.isReadable(cpuinfo)) {
            String cpu = m.group(1);
            assertTrue(Files.readAllLines(cpuinfo).stream().anyMatch(l -> l.startsWith("model name") && l.endsWith(": " + cpu)),
                    "'" + cpu + "' is no model name in /proc/cpuinfo");
        }
    }
}
