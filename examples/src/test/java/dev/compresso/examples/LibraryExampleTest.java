package dev.compresso.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.compresso.model.Network;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("engine")
class LibraryExampleTest {

    @Test
    void thePlainJavaPipelineWritesAFileThatLoadsBack(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("m.cmpr");
        try (Network back = LibraryExample.run(3000, file)) {
            assertTrue(Files.size(file) < 1_066_440 / 20, "at least 20x smaller: " + Files.size(file));
            assertEquals(266_610, back.parameterCount());
            assertTrue(back.nonZeroCount() < 0.11 * 266_610, "pruned to 10 %: " + back.nonZeroCount());
        }
    }
}
