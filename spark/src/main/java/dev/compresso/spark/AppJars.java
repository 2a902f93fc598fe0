package dev.compresso.spark;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;

/**
 * The application's jars, shipped to the executors: every jar of the driver's class path (and of the
 * recipe's class loader, where a notebook added jars) that is not one of Spark's own, which the
 * build lists in {@code spark-jars.txt}. Class folders (a build's target/classes) are packed into
 * jars first. So the DSL, DJL, the PyTorch natives and the recipe reach the workers with the job.
 */
final class AppJars {

    private AppJars() {}

    static List<String> find(ClassLoader recipeLoader) {
        Set<String> spark = sparkJarNames();
        Set<Path> entries = new LinkedHashSet<>();
        for (String e : System.getProperty("java.class.path", "").split(File.pathSeparator)) {
            add(entries, e);
        }
        for (ClassLoader l = recipeLoader; l != null; l = l.getParent()) {
            if (l instanceof URLClassLoader u) {
                for (URL url : u.getURLs()) {
                    if ("file".equals(url.getProtocol())) {
                        try {
                            add(entries, Path.of(url.toURI()).toString());
                        } catch (URISyntaxException | IllegalArgumentException ignored) {
                            // not a local file: nothing to ship
                        }
                    }
                }
            }
        }
        List<String> ship = new ArrayList<>();
        for (Path p : entries) {
            String name = p.getFileName() == null ? "" : p.getFileName().toString();
            if (Files.isDirectory(p)) {
                ship.add(packed(p).toString());
            } else if (name.endsWith(".jar") && !spark.contains(name) && !name.startsWith("surefire")) {
                ship.add(p.toString());
            }
        }
        return ship;
    }

    /** A class path entry with wildcards and manifest Class-Path references expanded, in order. */
    static List<Path> expand(String entry) {
        Set<Path> entries = new LinkedHashSet<>();
        add(entries, entry);
        return new ArrayList<>(entries);
    }

    /** Adds a class path entry, expanding {@code dir/*} and the Class-Path of a manifest-only jar. */
    private static void add(Set<Path> entries, String entry) {
        if (entry.isBlank()) {
            return;
        }
        if (entry.endsWith("*")) {
            Path dir = Path.of(entry.substring(0, entry.length() - 1));
            try (Stream<Path> s = Files.list(dir)) {
                s.filter(f -> f.toString().endsWith(".jar")).sorted().forEach(f -> add(entries, f.toString()));
            } catch (IOException ignored) {
                // a wildcard over a missing folder adds nothing, as the JVM does
            }
            return;
        }
        Path p = Path.of(entry).toAbsolutePath().normalize();
        if (!Files.exists(p) || !entries.add(p) || Files.isDirectory(p)) {
            return;
        }
        try (JarFile jar = new JarFile(p.toFile())) {
            Manifest m = jar.getManifest();
            String cp = m == null ? null : m.getMainAttributes().getValue(Attributes.Name.CLASS_PATH);
            if (cp != null) {
                for (String ref : cp.trim().split("\\s+")) {
                    try {
                        URL u = new URL(p.getParent().toUri().toURL(), ref);
                        if ("file".equals(u.getProtocol())) {
                            add(entries, Path.of(u.toURI()).toString());
                        }
                    } catch (IOException | URISyntaxException | IllegalArgumentException ignored) {
                        // an entry the JVM would skip too
                    }
                }
            }
        } catch (IOException ignored) {
            // not a jar: the JVM ignores it, so do we
        }
    }

    static Set<String> sparkJarNames() {
        Set<String> names = new HashSet<>();
        try (InputStream in = AppJars.class.getResourceAsStream("spark-jars.txt")) {
            if (in == null) {
                throw new IllegalStateException("spark-jars.txt is missing from compresso-spark; rebuild it with mvn package -pl spark");
            }
            for (String e : new String(in.readAllBytes(), StandardCharsets.UTF_8).trim().split(File.pathSeparator)) {
                names.add(Path.of(e.trim()).getFileName().toString());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return names;
    }

    private static final java.util.regex.Pattern SNIPPET = java.util.regex.Pattern.compile("REPL/\\$JShell\\$[A-Za-z0-9_$]+");

    /**
     * The notebook's snippet classes a recipe written in a cell needs, as a jar: JShell keeps them in
     * memory (its class loader serves their bytes), so a cluster's executors would not find them. The
     * recipe's class and every snippet class its class files name, transitively. Null for a recipe
     * that is not a JShell snippet's.
     */
    static Path snippets(Object recipe) {
        Class<?> host = recipe.getClass().isHidden() || recipe.getClass().isSynthetic() ? recipe.getClass().getNestHost() : recipe.getClass();
        if (!host.getName().startsWith("REPL.") || host.getClassLoader() == null) {
            return null;
        }
        ClassLoader loader = host.getClassLoader();
        java.util.Map<String, byte[]> classes = new java.util.TreeMap<>();
        java.util.ArrayDeque<String> todo = new java.util.ArrayDeque<>(List.of(host.getName().replace('.', '/')));
        while (!todo.isEmpty()) {
            String name = todo.poll();
            if (classes.containsKey(name)) {
                continue;
            }
            try (InputStream in = loader.getResourceAsStream(name + ".class")) {
                if (in == null) {
                    continue;
                }
                byte[] bytes = in.readAllBytes();
                classes.put(name, bytes);
                java.util.regex.Matcher m = SNIPPET.matcher(new String(bytes, StandardCharsets.ISO_8859_1));
                while (m.find()) {
                    todo.add(m.group());
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the notebook's class " + name + " to ship it to Spark: " + e.getMessage(), e);
            }
        }
        try {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            classes.forEach((k, v) -> md.update(v));
            Path out = Path.of(System.getProperty("java.io.tmpdir"), "compresso-spark-jars",
                    "snippets-" + java.util.HexFormat.of().formatHex(md.digest()).substring(0, 16) + ".jar");
            writeJar(out, classes, ".class");
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the notebook's classes into a jar for Spark: " + e.getMessage(), e);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A class folder as a jar in the temporary folder, made again when the folder changed. */
    private static Path packed(Path dir) {
        try {
            List<Path> files;
            try (Stream<Path> s = Files.walk(dir)) {
                files = s.filter(Files::isRegularFile).sorted().toList();
            }
            long stamp = 0;
            java.util.Map<String, byte[]> entries = new java.util.TreeMap<>();
            for (Path f : files) {
                stamp = stamp * 31 + Files.getLastModifiedTime(f).toMillis() + f.toString().hashCode();
                entries.put(dir.relativize(f).toString().replace(File.separatorChar, '/'), Files.readAllBytes(f));
            }
            Path out = Path.of(System.getProperty("java.io.tmpdir"), "compresso-spark-jars",
                    Integer.toHexString(dir.toString().hashCode()) + "-" + Long.toHexString(stamp) + ".jar");
            writeJar(out, entries, "");
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot pack class folder " + dir + " into a jar for the Spark executors: " + e.getMessage()
                    + "; check that " + System.getProperty("java.io.tmpdir") + " is writable", e);
        }
    }

    /** Writes a jar of these entries (name + suffix to bytes) unless it exists: a temporary file, then a rename. */
    private static void writeJar(Path out, java.util.Map<String, byte[]> entries, String suffix) throws IOException {
        if (Files.exists(out)) {
            return;
        }
        Files.createDirectories(out.getParent());
        Path tmp = Files.createTempFile(out.getParent(), "part", ".jar");
        try (OutputStream o = Files.newOutputStream(tmp); JarOutputStream jar = new JarOutputStream(o)) {
            for (java.util.Map.Entry<String, byte[]> e : entries.entrySet()) {
                jar.putNextEntry(new ZipEntry(e.getKey() + suffix));
                jar.write(e.getValue());
                jar.closeEntry();
            }
        }
        Files.move(tmp, out, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
}
