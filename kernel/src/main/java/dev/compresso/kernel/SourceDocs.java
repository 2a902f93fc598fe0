package dev.compresso.kernel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Javadoc of DSL methods for inspection, read from the DSL's sources under {@code
 * $compresso.home/dsl/src/main/java} (JShell only finds Javadoc in the JDK's src.zip).
 */
final class SourceDocs {

    private static final Pattern MEMBER = Pattern.compile("([\\w.]+)\\.(\\w+)\\(");

    private SourceDocs() {}

    /** The Javadoc for a JShell signature such as {@code Network dev.compresso.Compresso.lenet5()}, or null. */
    static String javadoc(String signature) {
        Matcher m = MEMBER.matcher(signature);
        if (!m.find()) {
            return null;
        }
        String cls = m.group(1);
        String member = m.group(2);
        Path root = Path.of(System.getProperty("compresso.home", "."), "dsl", "src", "main", "java");
        if (!Files.isDirectory(root)) {
            return null;
        }
        String simple = cls.substring(cls.lastIndexOf('.') + 1);
        try (java.util.stream.Stream<Path> files = Files.walk(root)) {
            Path file = files.filter(p -> p.getFileName().toString().equals(simple + ".java"))
                    .filter(p -> !cls.contains(".") || p.toString().replace('/', '.').contains(cls))
                    .findFirst().orElse(null);
            return file == null ? null : find(Files.readString(file), member);
        } catch (IOException | java.io.UncheckedIOException e) {
            return null;
        }
    }

    /** The doc comment right before the first declaration of {@code member(} in {@code source}. */
    static String find(String source, String member) {
        Pattern decl = Pattern.compile("/\\*\\*((?:(?!\\*/).)*)\\*/\\s*(?:@\\w+(?:\\([^)]*\\))?\\s*)*[\\w<>\\[\\],.? ]*\\b"
                + Pattern.quote(member) + "\\s*\\(", Pattern.DOTALL);
        Matcher m = decl.matcher(source);
        if (!m.find()) {
            return null;
        }
        StringBuilder sb = new StringBuilder();
        for (String line : m.group(1).split("\n")) {
            String l = line.strip();
            if (l.startsWith("*")) {
                l = l.substring(1).strip();
            }
            sb.append(l).append('\n');
        }
        return sb.toString().replaceAll("\\{@code ([^}]*)}", "$1").replaceAll("<[^>]+>", "").strip();
    }
}
