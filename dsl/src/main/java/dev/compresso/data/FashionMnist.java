package dev.compresso.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Finds and loads Fashion-MNIST (and MNIST, which has the same file layout).
 *
 * <p>It looks, in order, in {@code $COMPRESSO_DATA} (the folder itself or its {@code fashion-mnist}
 * sub-folder), in the user cache {@code ~/.cache/compresso/fashion-mnist} (or under {@code
 * $XDG_CACHE_HOME}), and in {@code /usr/share/datasets/fashion-mnist}, where Debian's package {@code
 * dataset-fashion-mnist} puts it. If none holds the four files and {@code apt-get} exists, it
 * downloads that package into the user cache without root ({@code apt-get download}, then {@code
 * dpkg -x}). Otherwise it fails with the list of places it tried.
 */
public final class FashionMnist {

    /** The Debian package that ships the data set. */
    public static final String DEBIAN_PACKAGE = "dataset-fashion-mnist";

    static final String SYSTEM_DIR = "/usr/share/datasets/fashion-mnist";

    static final String[] FILES = {
        "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"
    };

    /** The ten Fashion-MNIST classes, in label order. */
    public static final List<String> CLASS_NAMES =
            List.of(
                    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    private FashionMnist() {}

    /**
     * Loads Fashion-MNIST from the first place that has it, fetching it into the user cache if no
     * place does. Pixels are scaled to [0, 1]; samples have shape {@code [1, 28, 28]}.
     *
     * @return the 60,000 training and 10,000 test images
     * @throws UncheckedIOException if the data cannot be found, fetched or read; the message lists
     *     every place tried and how to get the files
     */
    public static DataSplit load() {
        return locate(candidates(), userCache(), true);
    }

    /** Searches {@code candidates} in order, then fetches into {@code cache} if {@code fetch} is set. */
    static DataSplit locate(List<Path> candidates, Path cache, boolean fetch) {
        for (Path dir : candidates) {
            if (hasAll(dir)) {
                return load(dir, "fashion-mnist", CLASS_NAMES);
            }
        }
        String fetchError = fetch ? fetchIntoCache(cache) : "fetching was not attempted";
        if (fetchError == null && hasAll(cache)) {
            return load(cache, "fashion-mnist", CLASS_NAMES);
        }
        StringBuilder msg = new StringBuilder("Fashion-MNIST was not found. Looked for ");
        msg.append(String.join(", ", FILES)).append(" (raw or .gz) in:\n");
        for (Path dir : candidates) {
            msg.append("  - ").append(dir).append(describe(dir)).append('\n');
        }
        msg.append("Fetching the Debian package ")
                .append(DEBIAN_PACKAGE)
                .append(" into ")
                .append(cache)
                .append(" failed: ")
                .append(fetchError == null ? "the package did not contain the files" : fetchError)
                .append('\n');
        msg.append("Fix: install it (sudo apt-get install ")
                .append(DEBIAN_PACKAGE)
                .append("), or put the four files in a folder and set COMPRESSO_DATA to it.");
        throw new UncheckedIOException(new java.io.FileNotFoundException(msg.toString()));
    }

    /**
     * Loads an MNIST-layout data set from one folder holding the four IDX files (raw or .gz).
     *
     * @param dir the folder
     * @param name the name to give the split
     * @param classNames the class names, or an empty list
     * @return the split, pixels scaled to [0, 1], samples of shape {@code [1, rows, cols]}
     * @throws UncheckedIOException if a file is missing or damaged; the message names it
     */
    public static DataSplit load(Path dir, String name, List<String> classNames) {
        if (!Files.isDirectory(dir)) {
            throw new UncheckedIOException(
                    new java.io.FileNotFoundException(
                            "data folder " + dir + " does not exist; pass a folder that holds " + String.join(", ", FILES)));
        }
        List<String> missing = new java.util.ArrayList<>();
        for (String f : FILES) {
            if (find(dir, f) == null) {
                missing.add(f);
            }
        }
        if (!missing.isEmpty()) {
            String message = "data folder " + dir.toAbsolutePath() + (missing.size() == FILES.length
                    ? " holds none of the MNIST-layout files " + String.join(", ", FILES)
                    : " lacks " + String.join(", ", missing) + " of the MNIST-layout files " + String.join(", ", FILES))
                    + "; point it at a folder that holds all four (each raw or .gz)";
            throw new UncheckedIOException(message, new java.io.FileNotFoundException(message));
        }
        try {
            Samples train = images(find(dir, FILES[0]), find(dir, FILES[1]));
            Samples test = images(find(dir, FILES[2]), find(dir, FILES[3]));
            return DataSplit.of(name, train, test, classNames);
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    private static Samples images(Path imageFile, Path labelFile) throws IOException {
        IdxReader.Idx images = IdxReader.read(imageFile);
        IdxReader.Idx labels = IdxReader.read(labelFile);
        if (images.dims().length != 3) {
            throw new IdxReader.CorruptDataException(
                    imageFile + " has " + images.dims().length + " dimensions; an image file has 3 (count, rows, cols)");
        }
        if (labels.dims().length != 1 || labels.count() != images.count()) {
            throw new IdxReader.CorruptDataException(
                    labelFile + " holds " + labels.count() + " labels but " + imageFile + " holds "
                            + images.count() + " images; use the label file that belongs to the images");
        }
        byte[] px = images.data();
        float[] features = new float[px.length];
        for (int i = 0; i < px.length; i++) {
            features[i] = (px[i] & 0xff) / 255f;
        }
        int[] y = new int[labels.count()];
        int classes = 0;
        for (int i = 0; i < y.length; i++) {
            y[i] = labels.data()[i] & 0xff;
            classes = Math.max(classes, y[i] + 1);
        }
        return Samples.of(features, y, new long[] {1, images.dims()[1], images.dims()[2]}, Math.max(classes, 10));
    }

    /** The folders searched, in order. */
    public static List<Path> candidates() {
        List<Path> dirs = new ArrayList<>();
        String env = System.getenv("COMPRESSO_DATA");
        if (env != null && !env.isBlank()) {
            Path p = Path.of(env);
            dirs.add(p.resolve("fashion-mnist"));
            dirs.add(p);
        }
        dirs.add(userCache());
        dirs.add(Path.of(SYSTEM_DIR));
        return dirs;
    }

    /** The user cache folder: {@code $XDG_CACHE_HOME/compresso/fashion-mnist} or {@code ~/.cache/...}. */
    public static Path userCache() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank()
                ? Path.of(xdg)
                : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("compresso").resolve("fashion-mnist");
    }

    static boolean hasAll(Path dir) {
        for (String f : FILES) {
            if (find(dir, f) == null) {
                return false;
            }
        }
        return true;
    }

    private static Path find(Path dir, String base) {
        for (String ext : new String[] {".gz", ""}) {
            Path p = dir.resolve(base + ext);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        return null;
    }

    private static String describe(Path dir) {
        if (!Files.isDirectory(dir)) {
            return " (no such folder)";
        }
        List<String> missing = new ArrayList<>();
        for (String f : FILES) {
            if (find(dir, f) == null) {
                missing.add(f);
            }
        }
        return " (missing " + String.join(", ", missing) + ")";
    }

    /** Returns null on success, else why it failed. */
    private static String fetchIntoCache(Path cache) {
        if (!onPath("apt-get") || !onPath("dpkg")) {
            return "apt-get or dpkg is not on PATH (not a Debian-like system)";
        }
        Path work = null;
        try {
            Files.createDirectories(cache.getParent());
            work = Files.createTempDirectory(cache.getParent(), "fetch-");
            System.err.println(
                    "[compresso] Fashion-MNIST not found locally; fetching Debian package "
                            + DEBIAN_PACKAGE + " into " + cache + " (no root needed)...");
            String err = run(work, "apt-get", "download", DEBIAN_PACKAGE);
            if (err != null) {
                return "apt-get download " + DEBIAN_PACKAGE + ": " + err
                        + " (if the package lists are empty, an administrator must run apt-get update)";
            }
            Path deb;
            try (Stream<Path> s = Files.list(work)) {
                deb = s.filter(p -> p.toString().endsWith(".deb")).findFirst().orElse(null);
            }
            if (deb == null) {
                return "apt-get download produced no .deb file";
            }
            Path root = work.resolve("root");
            err = run(work, "dpkg", "-x", deb.toString(), root.toString());
            if (err != null) {
                return "dpkg -x: " + err;
            }
            Path extracted = root.resolve(SYSTEM_DIR.substring(1));
            if (!hasAll(extracted)) {
                return "the package has no " + SYSTEM_DIR + " with the four files";
            }
            Files.createDirectories(cache);
            for (String f : FILES) {
                Path src = find(extracted, f);
                Path tmp = cache.resolve(src.getFileName() + ".part");
                Files.copy(src, tmp, StandardCopyOption.REPLACE_EXISTING);
                Files.move(tmp, cache.resolve(src.getFileName()), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
            System.err.println("[compresso] Fashion-MNIST is now in " + cache);
            return null;
        } catch (IOException e) {
            return e.toString();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        } finally {
            if (work != null) {
                deleteTree(work);
            }
        }
    }

    private static String run(Path dir, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            return "timed out after 5 minutes";
        }
        if (p.exitValue() != 0) {
            String text = new String(out, java.nio.charset.StandardCharsets.UTF_8).strip();
            return "exit code " + p.exitValue() + (text.isEmpty() ? "" : ": " + text.lines().reduce((a, b) -> b).orElse(""));
        }
        return null;
    }

    private static boolean onPath(String command) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort: a leftover temp folder in the cache is harmless
        }
    }
}
