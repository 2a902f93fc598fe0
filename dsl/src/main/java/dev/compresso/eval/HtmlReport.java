package dev.compresso.eval;

import dev.compresso.chart.Charts;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import org.knowm.xchart.internal.chartpart.Chart;
import tech.tablesaw.api.Table;

/**
 * A single self-contained HTML file with a title and a sequence of parts: text, Tablesaw tables,
 * charts (embedded as PNG), and any DSL result that renders itself ({@code toHtml()}).
 */
public final class HtmlReport {

    private HtmlReport() {}

    /**
     * Writes the report atomically (temporary file, then rename).
     *
     * @param file the HTML file; its folder is created
     * @param title the page title
     * @param parts strings (paragraphs), tables, charts, or objects with a public {@code toHtml()}
     * @return the file
     */
    public static Path write(Path file, String title, Object... parts) {
        StringBuilder html = new StringBuilder("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>")
                .append(esc(title)).append("</title><style>")
                .append("body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}")
                .append("table{border-collapse:collapse;margin:1em 0;font-size:13px}")
                .append("td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}")
                .append("th{background:#f3f3f3}img{max-width:100%}")
                .append("</style></head><body><h1>").append(esc(title)).append("</h1>\n");
        for (Object part : parts) {
            html.append(render(part)).append('\n');
        }
        html.append("</body></html>\n");
        return writeAtomically(file, html.toString(), "the report");
    }

    static String render(Object part) {
        if (part == null) {
            return "";
        }
        if (part instanceof CharSequence text) {
            return "<p>" + esc(text.toString()) + "</p>";
        }
        if (part instanceof Chart<?, ?> chart) {
            return "<img alt=\"chart\" src=\"data:image/png;base64," + Base64.getEncoder().encodeToString(Charts.png(chart)) + "\">";
        }
        if (part instanceof Table table) {
            return table(table);
        }
        try {
            Method toHtml = part.getClass().getMethod("toHtml");
            if (toHtml.getReturnType() == String.class) {
                return (String) toHtml.invoke(part);
            }
        } catch (ReflectiveOperationException ignored) {
            // no toHtml: fall through to text
        }
        return "<pre>" + esc(String.valueOf(part)) + "</pre>";
    }

    /**
     * A Tablesaw table as an HTML table with its name as caption, cells as the table prints them.
     *
     * @param table any table
     * @return the HTML
     */
    public static String table(Table table) {
        StringBuilder sb = new StringBuilder("<table><caption>").append(esc(table.name())).append("</caption><tr>");
        for (String c : table.columnNames()) {
            sb.append("<th>").append(esc(c)).append("</th>");
        }
        sb.append("</tr>");
        for (int r = 0; r < table.rowCount(); r++) {
            sb.append("<tr>");
            for (int c = 0; c < table.columnCount(); c++) {
                sb.append("<td>").append(esc(table.getString(r, c))).append("</td>");
            }
            sb.append("</tr>");
        }
        return sb.append("</table>").toString();
    }

    /**
     * Writes text as UTF-8 to a file atomically ({@link dev.compresso.store.AtomicFiles#write}), so a
     * failed write never leaves a half-written file. The folder is created.
     *
     * @param file the target
     * @param text the content
     * @param what what the file is, for the error message, for example {@code "the log"}
     * @return the absolute target path
     */
    static Path writeAtomically(Path file, String text, String what) {
        dev.compresso.store.AtomicFiles.write(file, text.getBytes(StandardCharsets.UTF_8), what);
        return file.toAbsolutePath();
    }

    /** Escapes text for HTML. */
    public static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
