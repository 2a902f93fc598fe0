package dev.compresso.kernel;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * Writes and removes the Jupyter kernelspec {@code compresso}: kernel.json (argv runs the launcher
 * with {@code kernel {connection_file}}, interrupt_mode message) and two generated logos.
 */
final class KernelSpec {

    static final String NAME = "compresso";

    private KernelSpec() {}

    /** Where kernelspecs go: the {@code kernels} folder of a Jupyter data directory. */
    record Location(Path kernelsDir) {}

    /** {@code --user} (default), {@code --sys-prefix} or {@code --prefix DIR}. */
    static Location location(List<String> args) {
        if (args.isEmpty() || args.equals(List.of("--user"))) {
            String data = System.getenv("JUPYTER_DATA_DIR");
            if (data != null && !data.isBlank()) {
                return new Location(Path.of(data, "kernels"));
            }
            String xdg = System.getenv("XDG_DATA_HOME");
            Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".local", "share");
            return new Location(base.resolve("jupyter").resolve("kernels"));
        }
        if (args.size() == 2 && args.get(0).equals("--prefix")) {
            return new Location(Path.of(args.get(1)).toAbsolutePath().resolve("share/jupyter/kernels"));
        }
        if (args.equals(List.of("--sys-prefix"))) {
            return new Location(Path.of(sysPrefix()).resolve("share/jupyter/kernels"));
        }
        throw new Main.UsageException("install/uninstall take --user, --sys-prefix or --prefix DIR, got " + args);
    }

    private static String sysPrefix() {
        String python = System.getenv().getOrDefault("COMPRESSO_PYTHON", "python3");
        try {
            Process p = new ProcessBuilder(python, "-c", "import sys; print(sys.prefix)").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (p.waitFor() != 0 || out.isEmpty()) {
                throw new IllegalStateException("'" + python + "' failed: " + out);
            }
            return out;
        } catch (IOException | InterruptedException | IllegalStateException e) {
            throw new IllegalStateException("--sys-prefix needs the Python that runs Jupyter (" + e.getMessage()
                    + "); set COMPRESSO_PYTHON to it or use --prefix DIR", e);
        }
    }

    /** The launcher script Jupyter runs. */
    static Path launcher() {
        return Path.of(System.getProperty("compresso.home", "."), "compresso").toAbsolutePath().normalize();
    }

    static Path install(Location where) {
        Path launcher = launcher();
        if (!Files.isExecutable(launcher)) {
            throw new IllegalStateException("the launcher " + launcher + " is missing or not executable; run install through ./compresso");
        }
        return install(where, List.of(launcher.toString()));
    }

    /** Installs with {@code command} (then {@code kernel {connection_file}}) as the argv; tests use java directly. */
    static Path install(Location where, List<String> command) {
        Path dir = where.kernelsDir().resolve(NAME);
        JsonObject spec = new JsonObject();
        JsonArray argv = new JsonArray();
        command.forEach(argv::add);
        argv.add("kernel");
        argv.add("{connection_file}");
        spec.add("argv", argv);
        spec.addProperty("display_name", "Compresso (Java)");
        spec.addProperty("language", "java");
        spec.addProperty("interrupt_mode", "message");
        spec.add("env", new JsonObject());
        JsonObject meta = new JsonObject();
        meta.addProperty("debugger", false);
        spec.add("metadata", meta);
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("kernel.json"),
                    new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(spec) + "\n");
            ImageIO.write(logo(32), "png", dir.resolve("logo-32x32.png").toFile());
            ImageIO.write(logo(64), "png", dir.resolve("logo-64x64.png").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the kernelspec to " + dir + ": " + e.getMessage()
                    + "; check permissions or choose --user / --prefix DIR", e);
        }
        return dir;
    }

    /** Removes the kernelspec; returns its folder, or null if there was none. */
    static Path uninstall(Location where) {
        Path dir = where.kernelsDir().resolve(NAME);
        if (!Files.isDirectory(dir)) {
            return null;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + dir + ": " + e.getMessage(), e);
        }
        return dir;
    }

    /** A square logo: a dark tile with a bracket pair squeezing a dot. */
    static BufferedImage logo(int size) {
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_ARGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(new Color(0x1f3a5f));
        g.fillRoundRect(0, 0, size, size, size / 4, size / 4);
        g.setColor(new Color(0xf5a623));
        g.setStroke(new BasicStroke(Math.max(2f, size / 12f)));
        int m = size / 5;
        g.drawArc(m, m, size - 2 * m, size - 2 * m, 45, 270);
        g.setColor(Color.WHITE);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, size / 3));
        int d = size / 6;
        g.fillOval(size / 2 - d / 2, size / 2 - d / 2, d, d);
        g.dispose();
        return img;
    }
}
