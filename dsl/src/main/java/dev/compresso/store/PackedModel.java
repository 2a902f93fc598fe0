package dev.compresso.store;

import dev.compresso.model.Architecture;
import dev.compresso.model.Network;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;
import tech.tablesaw.api.Table;

/**
 * A model written to a packed file (see {@code FORMAT.md}): the real bytes on disk, a per-tensor
 * size breakdown in the layout of Deep Compression's Table 2, and the model read back from the file,
 * whose weights equal the packed model's bit for bit (±0 both load as +0).
 *
 * <pre>{@code
 * var packed = shared.pack();          // writes out/NAME.cmpr, reads it back, verifies, logs the size
 * packed.breakdown()                   // per-tensor bits per weight and per index, before and after Huffman
 * packed.chart()                       // the same as a stacked bar chart
 * var back = packed.model();           // the runnable model read from the file
 * }</pre>
 */
public final class PackedModel {

    /** The file extension packed models get by default. */
    public static final String EXTENSION = ".cmpr";

    private final Path file;
    private final long bytes;
    private final long denseBytes;
    private final List<LayerBreakdown> layers;
    private final Network model;

    private PackedModel(Path file, long bytes, long denseBytes, List<LayerBreakdown> layers, Network model) {
        this.file = file;
        this.bytes = bytes;
        this.denseBytes = denseBytes;
        this.layers = List.copyOf(layers);
        this.model = model;
    }

    /**
     * Packs {@code network} into {@code file}, reads the file back into a new model, checks that
     * every weight is bit-identical, evaluates the loaded model on the network's training data (when
     * it has one) and records it in the log as {@code NAME-packed} with its stored bytes and ratio.
     *
     * @param network a model with a graph (zoo, ONNX import, wrap)
     * @param file where to write (atomically); its folder is created
     * @param options index widths and raw tensors; {@link PackedFile.Options#defaults()} picks the smallest
     * @return the packed model
     */
    public static PackedModel pack(Network network, Path file, PackedFile.Options options) {
        Architecture arch = network.architecture();
        if (!arch.isGraph()) {
            throw new IllegalArgumentException("network '" + network.name() + "' wraps an opaque block (" + arch.description()
                    + "); only graph"
                    + " models (zoo, onnx(...), wrap(...) of standard DJL blocks) can be packed, because loading must rebuild them."
                    + " Export it to ONNX in PyTorch and import it with onnx(\"model.onnx\")");
        }
        long start = System.nanoTime();
        List<Tensor> tensors = new ArrayList<>();
        for (String p : network.parameterNames()) {
            tensors.add(new Tensor(p, network.parameterArray(p).getShape().getShape(), network.weights(p)));
        }
        Path target = file.toAbsolutePath();
        List<LayerBreakdown> rows;
        long size;
        try {
            Files.createDirectories(target.getParent());
            String text = arch.encode();
            byte[] payload = text.startsWith("compresso-architecture 1\n") ? text.getBytes(StandardCharsets.UTF_8) : deflate(text);
            rows = PackedFile.write(target, payload, tensors, options);
            size = Files.size(target);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write packed model to " + target + ": " + e.getMessage()
                    + "; check that the folder is writable and has space", e);
        }
        Network loaded = read(target, network.name() + "-packed", network, arch);
        for (Tensor t : tensors) {
            float[] back = loaded.weights(t.name());
            for (int i = 0; i < back.length; i++) {
                if (Float.floatToIntBits(canonical(t.values()[i])) != Float.floatToIntBits(back[i])) {
                    loaded.close();
                    throw new IllegalStateException("packed model differs from '" + network.name() + "' at " + t.name()
                            + "[" + i + "]: " + t.values()[i] + " became " + back[i] + "; this is a bug, please report it");
                }
            }
        }
        if (network.trainedOn() != null) {
            loaded = loaded.withEvaluation(loaded.evaluate(network.trainedOn()), (System.nanoTime() - start) / 1e9);
            network.trainOptions().log().record(loaded, size, target);
        }
        return new PackedModel(target, size, network.denseBytes(), rows, loaded);
    }

    /** The architecture section's payload for a graph: zlib-compressed UTF-8 text (format 4). */
    static byte[] deflate(String text) {
        java.util.zip.Deflater d = new java.util.zip.Deflater(java.util.zip.Deflater.BEST_COMPRESSION);
        try {
            d.setInput(text.getBytes(StandardCharsets.UTF_8));
            d.finish();
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            while (!d.finished()) {
                out.write(buf, 0, d.deflate(buf));
            }
            return out.toByteArray();
        } finally {
            d.end();
        }
    }

    /** The architecture text of a payload: plain in formats 1 to 3, zlib-compressed from format 4. */
    static String architectureText(byte[] payload) {
        if (payload.length > 0 && payload[0] == 'c') {
            return new String(payload, StandardCharsets.UTF_8);
        }
        java.util.zip.Inflater inf = new java.util.zip.Inflater();
        try {
            inf.setInput(payload);
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            while (!inf.finished()) {
                int n = inf.inflate(buf);
                if (n == 0 && (inf.needsInput() || inf.needsDictionary())) {
                    throw new IllegalArgumentException("the compressed model description ends early");
                }
                out.write(buf, 0, n);
                if (out.size() > (64 << 20)) {
                    throw new IllegalArgumentException("the model description inflates beyond 64 MiB");
                }
            }
            return out.toString(StandardCharsets.UTF_8);
        } catch (java.util.zip.DataFormatException e) {
            throw new IllegalArgumentException("the model description is not valid zlib data: " + e.getMessage(), e);
        } finally {
            inf.end();
        }
    }

    private static float canonical(float v) {
        return v == 0f ? 0f : v;
    }

    /**
     * Reads a packed file into a runnable model.
     *
     * @param file the file
     * @return the model, named after the file, with the architecture stored in it
     * @throws UncheckedIOException if the file is missing, truncated, damaged or of a newer format;
     *     the message names the section and the byte offset
     */
    public static Network load(Path file) {
        String stem = file.getFileName().toString().replaceFirst("\\.cmpr$", "");
        return read(file, stem, null, null);
    }

    /**
     * Reads a packed file and checks that it holds the expected architecture.
     *
     * @param file the file
     * @param expected the architecture the caller wants
     * @return the model
     * @throws IllegalArgumentException if the file holds another architecture; the message names both
     */
    public static Network load(Path file, Architecture expected) {
        String stem = file.getFileName().toString().replaceFirst("\\.cmpr$", "");
        return read(file, stem, null, expected);
    }

    private static Network read(Path file, String name, Network provenance, Architecture expected) {
        if (!Files.exists(file)) {
            throw new UncheckedIOException("packed model file " + file.toAbsolutePath() + " does not exist; check the path"
                    + " (pack() writes to " + Path.of(System.getProperty("compresso.out", "out")).toAbsolutePath() + " by default)",
                    new java.nio.file.NoSuchFileException(file.toString()));
        }
        PackedFile.Contents contents;
        try {
            contents = PackedFile.read(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
        Architecture arch;
        try {
            arch = Architecture.decode(architectureText(contents.architecture()));
        } catch (IllegalArgumentException e) {
            throw new UncheckedIOException(new PackedFileException(file.toString(), "architecture", PackedFile.HEADER_BYTES,
                    "its model description cannot be rebuilt (" + e.getMessage() + ")",
                    "the file was written by another tool or a newer Compresso; re-pack the model"));
        }
        if (expected != null && !expected.encode().equals(arch.encode())) {
            throw new IllegalArgumentException("packed file " + file + " (section 'architecture', offset "
                    + PackedFile.HEADER_BYTES + ") holds " + arch + ", not the expected " + expected
                    + "; load it without an expected architecture or pick the file of that model");
        }
        Map<String, float[]> weights = new LinkedHashMap<>();
        for (Tensor t : contents.tensors()) {
            weights.put(t.name(), t.values());
        }
        String step = "pack(" + file.getFileName() + ") → load";
        try {
            return provenance != null
                    ? provenance.rebuilt(name, step, arch, weights)
                    : Network.restore(name, "load(" + file.getFileName() + ")", arch, weights);
        } catch (IllegalArgumentException e) {
            throw new UncheckedIOException(new PackedFileException(file.toString(), "tensors", PackedFile.HEADER_BYTES,
                    "its tensors do not fit its own architecture (" + e.getMessage() + ")",
                    "the file was not written by Compresso's pack(); re-pack the model"));
        }
    }

    /** The file. */
    public Path file() {
        return file;
    }

    /** Bytes of the file on disk. */
    public long bytes() {
        return bytes;
    }

    /** Dense fp32 bytes of the model over the file's bytes. */
    public double ratio() {
        return (double) denseBytes / bytes;
    }

    /** The model read back from the file (bit-identical weights, evaluated when data was known). */
    public Network model() {
        return model;
    }

    /** The raw per-tensor breakdown rows. */
    public List<LayerBreakdown> layers() {
        return layers;
    }

    /**
     * The size breakdown in the layout of Deep Compression's Table 2; see {@link
     * LayerBreakdown#table(String, List, long)}.
     */
    public Table breakdown() {
        return LayerBreakdown.table("size breakdown of " + file.getFileName(), layers, bytes);
    }

    /** Bytes per tensor as stacked bars: relative indices, weight codes, codebook, section framing. */
    public CategoryChart chart() {
        CategoryChart chart = new CategoryChartBuilder().width(720).height(420)
                .title(String.format(Locale.ROOT, "Packed: %,d bytes, %.1fx smaller than dense fp32", bytes, ratio()))
                .xAxisTitle("tensor").yAxisTitle("bytes").build();
        chart.getStyler().setStacked(true);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        chart.getStyler().setXAxisLabelRotation(20);
        List<String> names = new ArrayList<>();
        List<Double> index = new ArrayList<>();
        List<Double> codes = new ArrayList<>();
        List<Double> books = new ArrayList<>();
        List<Double> framing = new ArrayList<>();
        for (LayerBreakdown r : layers) {
            names.add(r.name());
            double i = r.indexStreamBits() / 8.0;
            double c = r.codeStreamBits() / 8.0;
            index.add(i);
            codes.add(c);
            books.add((double) r.codebookBytes());
            framing.add(Math.max(0, r.storedBytes() - i - c - r.codebookBytes()));
        }
        chart.addSeries("relative indices", names, index);
        chart.addSeries("weight codes (raw values)", names, codes);
        chart.addSeries("codebook", names, books);
        chart.addSeries("framing, tables, checksums", names, framing);
        return chart;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s: %,d bytes, %.1fx smaller than %,d dense fp32 bytes%n%s", file, bytes, ratio(),
                denseBytes, dev.compresso.eval.TextTable.render(breakdown(), dev.compresso.eval.TextTable.WIDTH));
    }

    /** The summary line and the breakdown as HTML. */
    public String toHtml() {
        return String.format(Locale.ROOT,
                "<div class=\"compresso-packed\"><b>%s</b>: %,d bytes, %.1fx smaller than %,d dense fp32 bytes%s</div>",
                dev.compresso.eval.HtmlReport.esc(file.getFileName().toString()), bytes, ratio(), denseBytes,
                dev.compresso.eval.HtmlReport.table(breakdown()));
    }
}
