package dev.compresso.eval;

import dev.compresso.model.Network;
import dev.compresso.runs.Run;
import dev.compresso.runs.RunStore;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.numbers.NumberColumnFormatter;

/**
 * The experiment log: one row per trained or compressed model, keyed by name. Recording a model
 * whose name is already in the log replaces that row, so re-running a notebook cell never adds a
 * duplicate. Backed by a Tablesaw {@link Table}; {@link #table()} returns a copy to slice and plot.
 *
 * <p>The session's log ({@link #session()}) also writes every row, as it is recorded, to the run
 * store ({@link RunStore#session()}), which keeps them across kernels. The row is in this log before
 * the store is written, so a store that cannot be written fails the call without losing the row.
 */
public final class ExperimentLog {

    /** The CSV columns, in order. */
    public static final List<String> COLUMNS =
            List.of("name", "chain", "top1", "loss", "params", "nonzeros", "dense_bytes", "stored_bytes", "ratio", "seconds");

    private static final ExperimentLog SESSION = new ExperimentLog(() -> RunStore.enabled() ? RunStore.session() : null);

    private final Table table;
    private final java.util.function.Supplier<RunStore> store;

    /** A new, empty log, kept in memory only. */
    public ExperimentLog() {
        this(() -> null);
    }

    /** A log that writes through to the store the supplier gives (none when it gives null). */
    ExperimentLog(java.util.function.Supplier<RunStore> store) {
        this.store = store;
        table = Table.create(
                "experiment log",
                StringColumn.create("name"),
                StringColumn.create("chain"),
                DoubleColumn.create("top1"),
                DoubleColumn.create("loss"),
                LongColumn.create("params"),
                LongColumn.create("nonzeros"),
                LongColumn.create("dense_bytes"),
                LongColumn.create("stored_bytes"),
                DoubleColumn.create("ratio"),
                DoubleColumn.create("seconds"));
        table.doubleColumn("top1").setPrintFormatter(NumberColumnFormatter.percent(2));
        table.doubleColumn("loss").setPrintFormatter(NumberColumnFormatter.fixedWithGrouping(4));
        table.doubleColumn("ratio").setPrintFormatter(NumberColumnFormatter.fixedWithGrouping(1));
        table.doubleColumn("seconds").setPrintFormatter(NumberColumnFormatter.fixedWithGrouping(1));
        for (String c : List.of("params", "nonzeros", "dense_bytes", "stored_bytes")) {
            table.longColumn(c).setPrintFormatter(NumberColumnFormatter.intsWithGrouping());
        }
    }

    /** The log of this JVM session, where training and techniques record by default. */
    public static ExperimentLog session() {
        return SESSION;
    }

    /**
     * Records a model with no stored file yet.
     *
     * @param network the model; its last evaluation gives top-1 and loss
     */
    public void record(Network network) {
        record(network, -1);
    }

    /**
     * Records a model, replacing any row of the same name.
     *
     * @param network the model
     * @param storedBytes the size of its packed file in bytes, or -1 if it has none
     */
    public void record(Network network, long storedBytes) {
        record(network, storedBytes, null);
    }

    /**
     * Records a packed model with its file, whose path and SHA-256 go to the run store.
     *
     * @param network the model
     * @param storedBytes the size of its packed file in bytes, or -1 if it has none
     * @param packedFile the packed file, or null
     */
    public void record(Network network, long storedBytes, Path packedFile) {
        record(Run.of(network, storedBytes, packedFile));
    }

    /** Records a run: in this log first, then (for the session's log) in the run store. */
    void record(Run run) {
        show(run);
        RunStore s = store.get();
        if (s != null) {
            s.record(run);
        }
    }

    /** Puts a run in this log only: for runs that come from the store. */
    synchronized void show(Run run) {
        int row = indexOf(run.name());
        if (row < 0) {
            row = table.rowCount();
            table.stringColumn("name").append(run.name());
            table.stringColumn("chain").appendMissing();
            table.doubleColumn("top1").appendMissing();
            table.doubleColumn("loss").appendMissing();
            table.longColumn("params").appendMissing();
            table.longColumn("nonzeros").appendMissing();
            table.longColumn("dense_bytes").appendMissing();
            table.longColumn("stored_bytes").appendMissing();
            table.doubleColumn("ratio").appendMissing();
            table.doubleColumn("seconds").appendMissing();
        }
        table.stringColumn("chain").set(row, run.chain());
        table.doubleColumn("top1").set(row, run.top1());
        table.doubleColumn("loss").set(row, run.loss());
        table.longColumn("params").set(row, run.params());
        table.longColumn("nonzeros").set(row, run.nonzeros());
        table.longColumn("dense_bytes").set(row, run.denseBytes());
        if (run.storedBytes() >= 0) {
            table.longColumn("stored_bytes").set(row, run.storedBytes());
            table.doubleColumn("ratio").set(row, run.storedBytes() == 0 ? Double.NaN : run.ratio());
        } else {
            table.longColumn("stored_bytes").setMissing(row);
            table.doubleColumn("ratio").setMissing(row);
        }
        table.doubleColumn("seconds").set(row, run.seconds());
    }

    private int indexOf(String name) {
        StringColumn names = table.stringColumn("name");
        for (int i = 0; i < names.size(); i++) {
            if (names.get(i).equals(name)) {
                return i;
            }
        }
        return -1;
    }

    /** Number of rows. */
    public synchronized int size() {
        return table.rowCount();
    }

    /** Removes every row. */
    public synchronized void clear() {
        table.clear();
    }

    /** A copy of the log as a Tablesaw table. */
    public synchronized Table table() {
        return table.copy();
    }

    /** The log as CSV text, with the columns of {@link #COLUMNS}; missing values are empty. */
    public synchronized String toCsv() {
        StringBuilder sb = new StringBuilder(String.join(",", COLUMNS)).append('\n');
        for (int r = 0; r < table.rowCount(); r++) {
            for (int c = 0; c < COLUMNS.size(); c++) {
                if (c > 0) {
                    sb.append(',');
                }
                sb.append(csvCell(r, COLUMNS.get(c)));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    private String csvCell(int row, String column) {
        if (table.column(column).isMissing(row)) {
            return "";
        }
        Object v = table.column(column).get(row);
        if (v instanceof Double d) {
            return column.equals("top1") || column.equals("loss")
                    ? String.format(Locale.ROOT, "%.4f", d)
                    : String.format(Locale.ROOT, "%.2f", d);
        }
        String s = String.valueOf(v);
        if (s.contains(",") || s.contains("\"") || s.contains("\n")) {
            s = "\"" + s.replace("\"", "\"\"") + "\"";
        }
        return s;
    }

    /**
     * Writes the log as CSV atomically: a temporary file next to {@code file}, then a rename, so a
     * failed write never leaves a half-written file.
     *
     * @param file the CSV file to write; its folder is created if needed
     * @return the file
     */
    public Path writeCsv(Path file) {
        return HtmlReport.writeAtomically(file, toCsv(), "the log");
    }

    /**
     * The log as a text table at most {@value TextTable#WIDTH} columns wide: long chains appear
     * once below it, behind a short key.
     */
    @Override
    public synchronized String toString() {
        if (table.rowCount() == 0) {
            return "experiment log: empty";
        }
        return TextTable.render(table, TextTable.WIDTH);
    }

    /** A cell as text, unquoted: the CSV cell without its quoting. */
    private String plainCell(int row, String column) {
        String cell = csvCell(row, column);
        return cell.startsWith("\"") ? cell.substring(1, cell.length() - 1).replace("\"\"", "\"") : cell;
    }

    /** The log as an HTML table, for notebooks. */
    public synchronized String toHtml() {
        StringBuilder sb = new StringBuilder("<table class=\"compresso-log\"><thead><tr>");
        for (String c : COLUMNS) {
            sb.append("<th>").append(c).append("</th>");
        }
        sb.append("</tr></thead><tbody>");
        for (int r = 0; r < table.rowCount(); r++) {
            sb.append("<tr>");
            for (String c : COLUMNS) {
                String cell = plainCell(r, c);
                sb.append("<td>").append(cell.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")).append("</td>");
            }
            sb.append("</tr>");
        }
        return sb.append("</tbody></table>").toString();
    }
}
