package dev.compresso.kernel;

import java.nio.file.Path;
import java.util.List;

/** Resolves Maven coordinates with their transitive dependencies (used by {@code %maven}). */
final class MavenResolver {

    private MavenResolver() {}

    /** The jars of {@code coords} (group:artifact:version) and its runtime dependencies. */
    static List<Path> resolve(String coords) {
        throw new UnsupportedOperationException("%maven is not available in this build; add the jar with %classpath PATH");
    }
}
