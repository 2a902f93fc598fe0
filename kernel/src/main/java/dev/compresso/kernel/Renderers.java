package dev.compresso.kernel;

import dev.compresso.eval.TextTable;
import java.awt.image.RenderedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.internal.chartpart.Chart;
import tech.tablesaw.api.Table;

/**
 * Turns values into MIME bundles (for notebooks) or text (for scripts), by type:
 *
 * <table>
 * <caption>renderers</caption>
 * <tr><td>XChart chart</td><td>image/png + image/svg+xml</td></tr>
 * <tr><td>Tablesaw {@code Table}</td><td>text/html + text/plain</td></tr>
 * <tr><td>object with a public {@code String toHtml()}</td><td>text/html + text/plain</td></tr>
 * <tr><td>{@code RenderedImage}</td><td>image/png</td></tr>
 * <tr><td>anything else</td><td>text/plain</td></tr>
 * </table>
 */
public final class Renderers {

    /** Tables longer than this show their head and tail in HTML. */
    static final int HTML_ROW_LIMIT = 200;

    private Renderers() {}

    /**
     * The MIME bundle for a value; images are base64 encoded, as Jupyter expects.
     *
     * @param value any value, including null
     * @return mime type to data, in order of preference
     */
    public static Map<String, String> bundle(Object value) {
        Map<String, String> b = new LinkedHashMap<>();
        if (value instanceof Chart<?, ?> chart) {
            b.put("image/png", Base64.getEncoder().encodeToString(png(chart)));
            b.put("image/svg+xml", svg(chart));
            b.put("text/plain", chartLabel(chart));
        } else if (value instanceof Table table) {
            b.put("text/html", tableHtml(table));
            b.put("text/plain", TextTable.render(table, TextTable.WIDTH));
        } else if (value instanceof RenderedImage image) {
            b.put("image/png", Base64.getEncoder().encodeToString(png(image)));
            b.put("text/plain", image.getClass().getSimpleName() + " " + image.getWidth() + "x" + image.getHeight());
        } else {
            String html = toHtml(value);
            if (html != null) {
                b.put("text/html", html);
            }
            b.put("text/plain", text(value));
        }
        return b;
    }

    /**
     * The value as text for a script: tables in full, everything else by {@code toString()}.
     *
     * @param value any value
     * @return the text
     */
    public static String text(Object value) {
        if (value instanceof Table table) {
            return TextTable.render(table, TextTable.WIDTH);
        }
        if (value instanceof Chart<?, ?> chart) {
            return chartLabel(chart);
        }
        return String.valueOf(value);
    }

    /** True unless the value's only toString is Object's (class@hash). */
    static boolean hasOwnToString(Object value) {
        if (value == null) {
            return true;
        }
        try {
            return value.getClass().getMethod("toString").getDeclaringClass() != Object.class;
        } catch (NoSuchMethodException e) {
            return true;
        }
    }

    static String chartLabel(Chart<?, ?> chart) {
        String title = chart.getTitle();
        return chart.getClass().getSimpleName() + (title == null || title.isEmpty() ? "" : " '" + title + "'");
    }

    static byte[] png(Chart<?, ?> chart) {
        try {
            return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot render chart " + chartLabel(chart) + " as PNG: " + e.getMessage(), e);
        }
    }

    static String svg(Chart<?, ?> chart) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            VectorGraphicsEncoder.saveVectorGraphic(chart, out, VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot render chart " + chartLabel(chart) + " as SVG: " + e.getMessage(), e);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    static byte[] png(RenderedImage image) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode image as PNG: " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    /** The result of a public no-argument {@code toHtml()} returning String, or null. */
    static String toHtml(Object value) {
        if (value == null) {
            return null;
        }
        try {
            Method m = value.getClass().getMethod("toHtml");
            if (m.getReturnType() != String.class || Modifier.isStatic(m.getModifiers())) {
                return null;
            }
            m.setAccessible(true);
            return (String) m.invoke(value);
        } catch (NoSuchMethodException e) {
            return null;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    static String tableHtml(Table t) {
        StringBuilder sb = new StringBuilder("<table class=\"compresso-table\">");
        if (t.name() != null && !t.name().isEmpty()) {
            sb.append("<caption>").append(escape(t.name())).append("</caption>");
        }
        sb.append("<thead><tr>");
        for (String c : t.columnNames()) {
            sb.append("<th>").append(escape(c)).append("</th>");
        }
        sb.append("</tr></thead><tbody>");
        int n = t.rowCount();
        int head = n > HTML_ROW_LIMIT ? HTML_ROW_LIMIT / 2 : n;
        for (int r = 0; r < n; r++) {
            if (r == head && n > HTML_ROW_LIMIT) {
                sb.append("<tr><td colspan=\"").append(t.columnCount()).append("\">… ")
                        .append(n - HTML_ROW_LIMIT).append(" more rows …</td></tr>");
                r = n - HTML_ROW_LIMIT / 2;
            }
            sb.append("<tr>");
            for (int c = 0; c < t.columnCount(); c++) {
                sb.append("<td>").append(escape(t.column(c).getString(r))).append("</td>");
            }
            sb.append("</tr>");
        }
        return sb.append("</tbody></table>").toString();
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
