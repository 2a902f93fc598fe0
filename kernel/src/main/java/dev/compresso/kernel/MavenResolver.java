package dev.compresso.kernel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Resolves Maven coordinates with their transitive runtime dependencies from Maven Central into the
 * local repository (used by {@code %maven}). Maven's resolver lives in {@code kernel/target/resolver-lib},
 * off the kernel's class path: it is loaded on the first {@code %maven}, in a class loader of its own,
 * so the kernel starts without it and its dependencies never clash with the user's.
 */
final class MavenResolver {

    /** group:artifact[:extension[:classifier]]:version, as Maven's resolver accepts them. */
    private static final Pattern COORDS = Pattern.compile("[^: /]+:[^: /]+(:[^: /]*){0,2}:[^: /]+");

    private static Method resolve;

    private MavenResolver() {}

    /**
     * The jars of {@code coords} and its runtime dependencies, the artifact's first.
     *
     * @throws IllegalArgumentException if the coordinates are malformed
     * @throws IllegalStateException if resolution fails; the message names the coordinates, the
     *     repository and the fix
     */
    static List<Path> resolve(String coords) {
        if (!COORDS.matcher(coords).matches()) {
            throw new IllegalArgumentException("'" + coords + "' are not Maven coordinates; write group:artifact:version, "
                    + "for example %maven org.apache.commons:commons-text:1.12.0");
        }
        String local = System.getProperty("maven.repo.local",
                Path.of(System.getProperty("user.home"), ".m2", "repository").toString());
        List<String> files;
        try {
            files = invoke(coords, local, centralUrl());
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException("cannot resolve " + coords + ": " + e.getCause(), e.getCause());
        }
        return files.stream().map(Path::of).toList();
    }

    /** Maven Central, or what {@code -Dmaven.repo.central=URL} names instead (a mirror), as in Maven. */
    static String centralUrl() {
        String url = System.getProperty("maven.repo.central");
        return url != null && !url.isBlank() ? url : org.apache.maven.model.interpolation.ModelInterpolator.DEFAULT_MAVEN_REPO_CENTRAL_URL;
    }

    private static synchronized List<String> invoke(String coords, String local, String remote) throws InvocationTargetException {
        try {
            if (resolve == null) {
                resolve = loader().loadClass("dev.compresso.kernel.resolver.AetherResolver")
                        .getMethod("resolve", String.class, String.class, String.class);
            }
            @SuppressWarnings("unchecked")
            List<String> files = (List<String>) resolve.invoke(null, coords, local, remote);
            return files;
        } catch (ReflectiveOperationException e) {
            if (e instanceof InvocationTargetException ite) {
                throw ite;
            }
            throw new IllegalStateException("%maven is broken in this build (" + e + "); rebuild with ./compresso", e);
        }
    }

    /**
     * The resolver's jars and this module's classes, over the JDK; slf4j (so its log goes where ours
     * goes) and commons-codec (which the kernel has too) come from the kernel.
     */
    private static ClassLoader loader() {
        Path libs = resolverLib();
        List<URL> urls = new ArrayList<>();
        try (Stream<Path> jars = Files.list(libs)) {
            for (Path jar : jars.filter(p -> p.toString().endsWith(".jar")).sorted().toList()) {
                urls.add(jar.toUri().toURL());
            }
            urls.add(MavenResolver.class.getProtectionDomain().getCodeSource().getLocation());
        } catch (IOException e) {
            throw new UncheckedIOException("%maven needs Maven's resolver in " + libs + " (" + e.getMessage()
                    + "); rebuild with ./compresso or mvn -pl kernel package", e);
        }
        ClassLoader app = MavenResolver.class.getClassLoader();
        ClassLoader parent = new ClassLoader("compresso-resolver-parent", ClassLoader.getPlatformClassLoader()) {
            @Override
            protected Class<?> loadClass(String name, boolean resolveIt) throws ClassNotFoundException {
                return name.startsWith("org.slf4j.") || name.startsWith("org.apache.commons.codec.") ? app.loadClass(name) : super.loadClass(name, resolveIt);
            }
        };
        return new URLClassLoader("compresso-resolver", urls.toArray(URL[]::new), parent);
    }

    /** {@code compresso.resolver.lib}, else {@code resolver-lib} beside this module's classes (target/). */
    static Path resolverLib() {
        String prop = System.getProperty("compresso.resolver.lib");
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop);
        }
        try {
            Path here = Path.of(MavenResolver.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return here.getParent().resolve("resolver-lib");
        } catch (java.net.URISyntaxException | RuntimeException e) {
            throw new IllegalStateException("cannot locate Maven's resolver (" + e + "); set -Dcompresso.resolver.lib=DIR", e);
        }
    }
}
