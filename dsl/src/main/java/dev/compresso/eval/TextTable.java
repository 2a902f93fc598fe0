package dev.compresso.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tech.tablesaw.api.Table;

/**
 * Text tables that fit a terminal: columns padded and separated by {@code " | "}, headers wrapped
 * at their underscores, and, when the table is still wider than the limit, the widest text columns
 * narrowed: a value longer than 40 characters (a chain of techniques) is replaced by
 * a short key such as {@code [1]} and written once below the table, wrapped; a shorter one wraps
 * inside its cell. Numbers are never cut. The HTML forms do not use this.
 *
 * <pre>{@code
 * System.out.println(TextTable.render(log().table(), TextTable.WIDTH));
 * }</pre>
 */
public final class TextTable {

    /** The width {@code ./compresso run} and the demo print to. */
    public static final int WIDTH = 120;

    private static final String SEP = " | ";
    /** Values longer than this move below the table behind a key; shorter ones wrap in their cell. */
    static final int KEY_ABOVE = 40;

    private TextTable() {}

    /**
     * A Tablesaw table as text at most {@code width} columns wide (missing values blank).
     *
     * @param table the table; its name, if any, is the first line
     * @param width the limit, at least 40
     * @return the text, lines separated by newlines
     */
    public static String render(Table table, int width) {
        List<String> headers = table.columnNames();
        List<List<String>> rows = new ArrayList<>();
        for (int r = 0; r < table.rowCount(); r++) {
            List<String> row = new ArrayList<>();
            for (int c = 0; c < table.columnCount(); c++) {
                row.add(table.column(c).isMissing(r) ? "" : table.column(c).getString(r));
            }
            rows.add(row);
        }
        return render(table.name(), headers, rows, width);
    }

    /**
     * Cells as text at most {@code width} columns wide.
     *
     * @param title the first line, or null or blank for none
     * @param headers the column names
     * @param rows the cells, row by row, each as long as {@code headers}
     * @param width the limit, at least 40
     * @return the text, lines separated by newlines
     */
    public static String render(String title, List<String> headers, List<List<String>> rows, int width) {
        if (width < 40) {
            throw new IllegalArgumentException("width=" + width + " must be at least 40, for example " + WIDTH);
        }
        int n = headers.size();
        List<List<String>> cells = new ArrayList<>();
        rows.forEach(r -> cells.add(new ArrayList<>(r)));
        int[] w = new int[n];
        for (int c = 0; c < n; c++) {
            w[c] = widthOf(headers.get(c), cells, c);
        }
        Map<String, String> keys = new LinkedHashMap<>(); // full text -> key
        boolean[] done = new boolean[n];
        for (int c = 0; c < n; c++) { // numbers are never cut or keyed; text columns give way
            final int col = c;
            done[c] = cells.stream().allMatch(r -> r.get(col).isEmpty() || numeric(r.get(col)));
        }
        while (total(w) > width) {
            int widest = -1;
            for (int c = 0; c < n; c++) {
                widest = !done[c] && (widest < 0 || w[c] > w[widest]) ? c : widest;
            }
            if (widest < 0) {
                break; // nothing left to shorten: the headers and short values alone are wider
            }
            done[widest] = true;
            int cap = Math.max(Math.max(width - (total(w) - w[widest]), headerWidth(headers.get(widest))), 6);
            int wrapped = headerWidth(headers.get(widest));
            for (List<String> row : cells) {
                String v = row.get(widest);
                if (v.length() > cap && v.length() > KEY_ABOVE) {
                    row.set(widest, keys.computeIfAbsent(v, k -> "[" + (keys.size() + 1) + "]"));
                }
                wrapped = Math.max(wrapped, Math.min(row.get(widest).length(), cap));
            }
            w[widest] = wrapped; // shorter values longer than the cap wrap inside the cell
        }
        StringBuilder sb = new StringBuilder();
        if (title != null && !title.isBlank()) {
            sb.append(title).append('\n');
        }
        List<List<String>> headerLines = new ArrayList<>();
        int depth = 1;
        for (int c = 0; c < n; c++) {
            List<String> parts = wrapHeader(headers.get(c), w[c]);
            headerLines.add(parts);
            depth = Math.max(depth, parts.size());
        }
        for (int line = 0; line < depth; line++) {
            List<String> row = new ArrayList<>();
            for (int c = 0; c < n; c++) {
                List<String> parts = headerLines.get(c);
                row.add(line < parts.size() ? parts.get(line) : "");
            }
            appendRow(sb, row, w);
        }
        List<String> rule = new ArrayList<>();
        for (int c = 0; c < n; c++) {
            rule.add("-".repeat(w[c]));
        }
        sb.append(String.join("-+-", rule)).append('\n');
        for (List<String> row : cells) {
            List<List<String>> parts = new ArrayList<>();
            int height = 1;
            for (int c = 0; c < n; c++) {
                parts.add(wrapHeader(row.get(c), w[c]));
                height = Math.max(height, parts.get(c).size());
            }
            for (int line = 0; line < height; line++) {
                List<String> out = new ArrayList<>();
                for (int c = 0; c < n; c++) {
                    out.add(line < parts.get(c).size() ? parts.get(c).get(line) : "");
                }
                appendRow(sb, out, w);
            }
        }
        for (var e : keys.entrySet()) {
            wrap(sb, e.getValue() + " " + e.getKey(), width);
        }
        return sb.toString().stripTrailing();
    }

    private static int total(int[] w) {
        int t = SEP.length() * Math.max(0, w.length - 1);
        for (int x : w) {
            t += x;
        }
        return t;
    }

    private static int widthOf(String header, List<List<String>> cells, int c) {
        int w = headerWidth(header);
        for (List<String> row : cells) {
            w = Math.max(w, row.get(c).length());
        }
        return w;
    }

    /** The longest piece of a header split after its underscores. */
    private static int headerWidth(String header) {
        int w = 1;
        for (String part : header.split("(?<=_)")) {
            w = Math.max(w, part.length());
        }
        return w;
    }

    /** Text in lines of at most {@code width}, broken after underscores, hyphens and spaces. */
    private static List<String> wrapHeader(String text, int width) {
        List<String> lines = new ArrayList<>();
        if (text.length() <= width) {
            lines.add(text);
            return lines;
        }
        StringBuilder line = new StringBuilder();
        for (String part : text.split("(?<=[_\\- ])")) {
            while (part.length() > width) { // no place to break: cut
                if (line.length() > 0) {
                    lines.add(line.toString().stripTrailing());
                    line.setLength(0);
                }
                lines.add(part.substring(0, width));
                part = part.substring(width);
            }
            if (line.length() > 0 && line.length() + part.stripTrailing().length() > width) {
                lines.add(line.toString().stripTrailing());
                line.setLength(0);
            }
            line.append(part);
        }
        if (line.length() > 0) {
            lines.add(line.toString().stripTrailing());
        }
        return lines;
    }

    private static void appendRow(StringBuilder sb, List<String> row, int[] w) {
        StringBuilder line = new StringBuilder();
        for (int c = 0; c < w.length; c++) {
            if (c > 0) {
                line.append(SEP);
            }
            String v = row.get(c);
            line.append(numeric(v) ? " ".repeat(w[c] - v.length()) + v : v + " ".repeat(w[c] - v.length()));
        }
        sb.append(line.toString().stripTrailing()).append('\n');
    }

    private static boolean numeric(String v) {
        return v.chars().anyMatch(Character::isDigit) && v.chars().allMatch(ch -> Character.isDigit(ch) || ".,-+%xe".indexOf(ch) >= 0);
    }

    /** Appends text wrapped at spaces to {@code width}, continuation lines indented by four. */
    private static void wrap(StringBuilder sb, String text, int width) {
        String indent = "";
        String rest = text;
        while (indent.length() + rest.length() > width) {
            int room = width - indent.length();
            int cut = rest.lastIndexOf(' ', room);
            if (cut <= 0) {
                cut = room;
            }
            sb.append(indent).append(rest, 0, cut).append('\n');
            rest = rest.substring(cut).stripLeading();
            indent = "    ";
        }
        sb.append(indent).append(rest).append('\n');
    }
}
