package dev.compresso.runs;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.Column;
import tech.tablesaw.columns.numbers.NumberColumnFormatter;

/**
 * The run store: every row the session's experiment log records, kept in an embedded SQLite file
 * (WAL mode) that outlives the kernel and is shared by every notebook and script that points at it.
 * The file is {@code $COMPRESSO_RUNS}, else {@code compresso-runs.db} in the working folder; {@code
 * COMPRESSO_RUNS=off} turns the store off. The schema is in {@code RUNS.md} beside this class; any
 * SQLite client reads it (Python: {@code sqlite3.connect("compresso-runs.db")}).
 *
 * <pre>{@code
 * runs()                                                   // every stored run, as a Tablesaw table
 * runs("SELECT name, top1, stored_bytes FROM runs WHERE sweep = 'bits'")
 * }</pre>
 */
public final class RunStore implements AutoCloseable {

    /** The schema version this Compresso writes; older stores are migrated in place, newer refused. */
    public static final int SCHEMA_VERSION = 2;

    /** SQLite's {@code PRAGMA application_id} of a Compresso store: "Cmpr". */
    static final int APPLICATION_ID = 0x436D7072;

    static final String ENV = "COMPRESSO_RUNS";
    static final String DEFAULT_FILE = "compresso-runs.db";
    private static final int BUSY_MILLIS = 10_000;

    static final String RUNS_V1 = "CREATE TABLE runs(id TEXT PRIMARY KEY, time TEXT NOT NULL, notebook TEXT, name TEXT NOT NULL,"
            + " chain TEXT, top1 REAL, loss REAL, params INTEGER, nonzeros INTEGER, dense_bytes INTEGER, stored_bytes INTEGER,"
            + " ratio REAL, seconds REAL, seed INTEGER, threads INTEGER, jdk TEXT, djl TEXT, pytorch TEXT, cpu TEXT,"
            + " packed_path TEXT, packed_sha256 TEXT)";
    static final String PARAMS_V1 = "CREATE TABLE run_params(run_id TEXT NOT NULL REFERENCES runs(id), key TEXT NOT NULL,"
            + " value REAL, PRIMARY KEY(run_id, key))";
    /** From version 1 to 2: sweeps, their configurations, and failed runs. */
    private static final List<String> MIGRATE_1_TO_2 = List.of(
            "ALTER TABLE runs ADD COLUMN sweep TEXT",
            "ALTER TABLE runs ADD COLUMN config TEXT",
            "ALTER TABLE runs ADD COLUMN status TEXT NOT NULL DEFAULT 'ok'",
            "ALTER TABLE runs ADD COLUMN error TEXT",
            "CREATE TABLE sweeps(name TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, plan TEXT NOT NULL, created TEXT NOT NULL)",
            "CREATE INDEX runs_by_sweep ON runs(sweep, config)");

    private static RunStore session;

    private final Path file;
    private final Connection db;

    private RunStore(Path file, Connection db) {
        this.file = file;
        this.db = db;
    }

    /** True unless {@code COMPRESSO_RUNS=off}. */
    public static boolean enabled() {
        return !"off".equals(System.getenv(ENV));
    }

    /** Where the session's store lives: {@code $COMPRESSO_RUNS}, else {@code compresso-runs.db} in the working folder. */
    public static Path defaultFile() {
        return defaultFile(System.getenv(ENV));
    }

    static Path defaultFile(String env) {
        return (env == null || env.isBlank() ? Path.of(DEFAULT_FILE) : Path.of(env)).toAbsolutePath().normalize();
    }

    /**
     * The session's store, opened on first use at {@link #defaultFile()}.
     *
     * @throws RunStoreException if the store is off, or the file cannot be used (the message says why and what to do)
     */
    public static synchronized RunStore session() {
        if (!enabled()) {
            throw new RunStoreException(ENV + "=off turns the run store off; unset it (or point it at a file) to keep and query runs");
        }
        if (session == null) {
            session = open(defaultFile());
        }
        return session;
    }

    /**
     * Opens (creating if needed) a store file. A store of an older schema is backed up beside itself
     * ({@code FILE.vN.bak}) and migrated; a newer one, another SQLite database or a file that is not
     * SQLite is refused with a message that names the file and what to do.
     *
     * @param file the SQLite file
     * @return the open store
     */
    public static RunStore open(Path file) {
        return open(file, BUSY_MILLIS);
    }

    static RunStore open(Path file, int busyMillis) {
        Path f = file.toAbsolutePath().normalize();
        checkHeader(f);
        Connection c;
        try {
            if (f.getParent() != null) {
                Files.createDirectories(f.getParent());
            }
            c = DriverManager.getConnection("jdbc:sqlite:" + f);
        } catch (IOException | SQLException e) {
            throw new RunStoreException("cannot open the run store " + f + ": " + e.getMessage()
                    + "; check that its folder exists and is writable, or set " + ENV + " to another file", e);
        }
        RunStore store = new RunStore(f, c);
        try {
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA busy_timeout = " + busyMillis);
                String mode = single(s, "PRAGMA journal_mode = WAL");
                if (!"wal".equalsIgnoreCase(mode)) {
                    throw new RunStoreException("the run store " + f + " could not switch to WAL mode (it stays in '" + mode
                            + "'); put it on a local disk, or set " + ENV + " to another file");
                }
                s.execute("PRAGMA synchronous = NORMAL");
            }
            store.prepareSchema();
            return store;
        } catch (SQLException e) {
            store.close();
            throw store.explain("open", e);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    private static void checkHeader(Path f) {
        if (!Files.isRegularFile(f)) {
            return;
        }
        try (InputStream in = Files.newInputStream(f)) {
            byte[] head = in.readNBytes(16);
            if (head.length > 0 && !Arrays.equals(head, "SQLite format 3\0".getBytes(StandardCharsets.US_ASCII))) {
                throw new RunStoreException(f + " is not a SQLite database (a corrupt file or another kind of file), so it cannot"
                        + " be a Compresso run store; move it away, or set " + ENV + " to another file");
            }
        } catch (IOException e) {
            throw new RunStoreException("cannot read the run store " + f + ": " + e.getMessage()
                    + "; check its permissions, or set " + ENV + " to another file", e);
        }
    }

    private void prepareSchema() throws SQLException {
        int[] found = readVersion();
        if (found[0] == APPLICATION_ID && found[1] == SCHEMA_VERSION) {
            return;
        }
        if (found[0] == APPLICATION_ID && found[1] < SCHEMA_VERSION && found[1] >= 1) {
            migrate(found[1]);
            return;
        }
        inTransaction("create", s -> {
            int[] now = readVersion(); // another process may have created it meanwhile
            if (now[0] == 0 && now[2] == 0) {
                s.execute(RUNS_V1);
                s.execute(PARAMS_V1);
                for (String m : MIGRATE_1_TO_2) {
                    s.execute(m);
                }
                s.execute("PRAGMA application_id = " + APPLICATION_ID);
                s.execute("PRAGMA user_version = " + SCHEMA_VERSION);
            }
            return null;
        });
        check(readVersion());
    }

    /** {application_id, user_version, number of tables}. */
    private int[] readVersion() throws SQLException {
        try (Statement s = db.createStatement()) {
            return new int[] {Integer.parseInt(single(s, "PRAGMA application_id")), Integer.parseInt(single(s, "PRAGMA user_version")),
                    Integer.parseInt(single(s, "SELECT count(*) FROM sqlite_master"))};
        }
    }

    private void check(int[] found) {
        if (found[0] != APPLICATION_ID) {
            throw new RunStoreException(file + " is a SQLite database but not a Compresso run store (application_id " + found[0]
                    + ", " + found[2] + " schema objects); point " + ENV + " at another file, or move this one away");
        }
        if (found[1] > SCHEMA_VERSION) {
            throw new RunStoreException("the run store " + file + " has schema version " + found[1] + ", newer than this Compresso's "
                    + SCHEMA_VERSION + "; update Compresso, or set " + ENV + " to another file");
        }
        if (found[1] < 1) {
            throw new RunStoreException("the run store " + file + " has schema version " + found[1] + ", which no Compresso wrote;"
                    + " move it away, or set " + ENV + " to another file");
        }
    }

    private void migrate(int from) throws SQLException {
        Path backup = file.resolveSibling(file.getFileName() + ".v" + from + ".bak");
        try (Statement s = db.createStatement()) {
            if (!Files.exists(backup)) {
                s.execute("VACUUM INTO '" + backup.toString().replace("'", "''") + "'");
            }
        }
        inTransaction("migrate", s -> {
            int[] now = readVersion();
            check(now);
            if (now[1] == 1) {
                for (String m : MIGRATE_1_TO_2) {
                    s.execute(m);
                }
                s.execute("PRAGMA user_version = " + SCHEMA_VERSION);
            }
            return null;
        });
        System.out.println("run store " + file + " migrated from schema version " + from + " to " + SCHEMA_VERSION
                + "; the old file is kept as " + backup);
    }

    private static String single(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : "";
        }
    }

    /** The store's file. */
    public Path file() {
        return file;
    }

    /**
     * Writes one run, with the time and the notebook or script it came from, in one transaction.
     *
     * @param run what to keep
     * @return the run's id
     * @throws RunStoreException if the file cannot be written; nothing is half-written
     */
    public String record(Run run) {
        String id = UUID.randomUUID().toString();
        return inTransaction("write run '" + run.name() + "' to", s -> {
            try (PreparedStatement p = db.prepareStatement("INSERT INTO runs(id, time, notebook, name, chain, top1, loss, params,"
                    + " nonzeros, dense_bytes, stored_bytes, ratio, seconds, seed, threads, jdk, djl, pytorch, cpu, packed_path,"
                    + " packed_sha256, sweep, config, status, error) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
                Object[] v = {id, Instant.now().toString(), source(), run.name(), run.chain(), real(run.top1()), real(run.loss()),
                    count(run.params()), count(run.nonzeros()), count(run.denseBytes()), count(run.storedBytes()),
                    real(run.ratio()), real(run.seconds()), run.seed() < 0 ? null : run.seed(), run.threads() < 0 ? null : run.threads(),
                    run.jdk(), run.djl(), run.pytorch(), run.cpu(), run.packedPath(), run.packedSha256(), run.sweep(), run.config(),
                    run.ok() ? "ok" : "failed", run.error()};
                for (int i = 0; i < v.length; i++) {
                    p.setObject(i + 1, v[i]);
                }
                p.executeUpdate();
            }
            if (!run.parameters().isEmpty()) {
                try (PreparedStatement p = db.prepareStatement("INSERT INTO run_params(run_id, key, value) VALUES (?,?,?)")) {
                    for (Map.Entry<String, Double> e : run.parameters().entrySet()) {
                        p.setString(1, id);
                        p.setString(2, e.getKey());
                        p.setObject(3, real(e.getValue()));
                        p.addBatch();
                    }
                    p.executeBatch();
                }
            }
            return id;
        });
    }

    /** One piece of work in a write transaction. */
    private interface Work<T> {
        T run(Statement s) throws SQLException;
    }

    /**
     * Runs {@code work} in a {@code BEGIN IMMEDIATE} transaction (so writers queue for the lock
     * instead of failing on upgrade), committing it, or rolling it back if anything throws.
     */
    private synchronized <T> T inTransaction(String what, Work<T> work) {
        try (Statement s = db.createStatement()) {
            s.execute("BEGIN IMMEDIATE");
            try {
                T out = work.run(s);
                s.execute("COMMIT");
                return out;
            } catch (SQLException | RuntimeException e) {
                rollback(s);
                throw e;
            }
        } catch (SQLException e) {
            throw explain(what, e);
        }
    }

    private static void rollback(Statement s) {
        try {
            s.execute("ROLLBACK");
        } catch (SQLException ignored) {
            // no transaction left to roll back: the failed statement ended it
        }
    }

    private static Double real(double v) {
        return Double.isNaN(v) ? null : v;
    }

    private static Long count(long v) {
        return v < 0 ? null : v;
    }

    /** Every stored run, oldest first, as a Tablesaw table with the columns of the {@code runs} table. */
    public Table runs() {
        return query("SELECT * FROM runs ORDER BY time, rowid");
    }

    /**
     * Runs a SQL query on the store and returns its rows as a Tablesaw table: whole-number columns
     * become long columns, other numbers double columns, the rest strings.
     *
     * @param sql a query, for example {@code SELECT name, top1 FROM runs WHERE sweep = 'bits'}
     * @return the result
     */
    public synchronized Table query(String sql) {
        try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            ResultSetMetaData md = rs.getMetaData();
            int n = md.getColumnCount();
            // a column of a table has a declared type to read it by (sqlite-jdbc's getObject costs twice as
            // much per cell); an expression's values are read as objects and typed by what they hold
            char[] kind = new char[n];
            for (int c = 0; c < n; c++) {
                String table = md.getTableName(c + 1);
                String type = md.getColumnTypeName(c + 1);
                kind[c] = table == null || table.isEmpty() ? 'o' : "TEXT".equals(type) ? 's' : "INTEGER".equals(type) ? 'l'
                        : "REAL".equals(type) ? 'd' : 'o';
            }
            List<Object[]> rows = new ArrayList<>();
            while (rs.next()) {
                Object[] row = new Object[n];
                for (int c = 0; c < n; c++) {
                    switch (kind[c]) {
                        case 's' -> row[c] = rs.getString(c + 1);
                        case 'l' -> {
                            long v = rs.getLong(c + 1);
                            row[c] = rs.wasNull() ? null : v;
                        }
                        case 'd' -> {
                            double v = rs.getDouble(c + 1);
                            row[c] = rs.wasNull() ? null : v;
                        }
                        default -> row[c] = rs.getObject(c + 1);
                    }
                }
                rows.add(row);
            }
            Table t = Table.create("runs");
            for (int c = 0; c < n; c++) {
                t.addColumns(column(md.getColumnLabel(c + 1), kind[c] == 'o' ? md.getColumnTypeName(c + 1) : null, kind[c], rows, c));
            }
            return t;
        } catch (SQLException e) {
            throw new RunStoreException("the query failed on " + file + ": " + e.getMessage()
                    + "; the tables are runs, run_params and sweeps (see RUNS.md), for example SELECT name, top1 FROM runs", e);
        }
    }

    private static Column<?> column(String name, String declared, char kind, List<Object[]> rows, int c) {
        boolean whole = kind != 'd' && kind != 's';
        boolean numeric = kind != 's';
        boolean any = kind != 'o';
        for (Object[] r : kind == 'o' ? rows : List.<Object[]>of()) {
            Object v = r[c];
            if (v == null) {
                continue;
            }
            any = true;
            whole &= v instanceof Integer || v instanceof Long;
            numeric &= v instanceof Number;
        }
        if (!any) {
            String d = declared == null ? "" : declared.toUpperCase(java.util.Locale.ROOT);
            whole = d.contains("INT");
            numeric = whole || d.contains("REAL") || d.contains("FLOA") || d.contains("DOUB");
        }
        int n = rows.size();
        if (numeric && whole) {
            long[] v = new long[n];
            for (int i = 0; i < n; i++) {
                Object o = rows.get(i)[c];
                v[i] = o == null ? tech.tablesaw.columns.numbers.LongColumnType.missingValueIndicator() : ((Number) o).longValue();
            }
            LongColumn col = LongColumn.create(name, v);
            if (name.endsWith("bytes") || name.equals("params") || name.equals("nonzeros")) {
                col.setPrintFormatter(NumberColumnFormatter.intsWithGrouping());
            }
            return col;
        }
        if (numeric) {
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
                Object o = rows.get(i)[c];
                v[i] = o == null ? Double.NaN : ((Number) o).doubleValue();
            }
            DoubleColumn col = DoubleColumn.create(name, v);
            if (name.equals("top1")) {
                col.setPrintFormatter(NumberColumnFormatter.percent(2));
            }
            return col;
        }
        String[] v = new String[n];
        for (int i = 0; i < n; i++) {
            Object o = rows.get(i)[c];
            v[i] = o == null ? "" : String.valueOf(o);
        }
        return StringColumn.create(name, v);
    }

    /**
     * Registers a named sweep, or checks that a sweep of that name was planned the same way.
     *
     * @param name the sweep's name
     * @param fingerprint a hash of the grid, seeds and the recipe's code
     * @param plan a readable description of the grid and seeds, for the error message
     * @throws IllegalStateException if the name is taken by a sweep with another grid or recipe
     */
    public void beginSweep(String name, String fingerprint, String plan) {
        inTransaction("register sweep '" + name + "' in", s -> {
            try (PreparedStatement q = db.prepareStatement("SELECT fingerprint, plan, created FROM sweeps WHERE name = ?")) {
                q.setString(1, name);
                try (ResultSet rs = q.executeQuery()) {
                    if (rs.next()) {
                        if (!rs.getString(1).equals(fingerprint)) {
                            boolean samePlan = rs.getString(2).equals(plan);
                            throw new IllegalStateException("sweep '" + name + "' in " + file + " was started on " + rs.getString(3)
                                    + " with " + rs.getString(2) + (samePlan ? " and another recipe" : "") + "; now it has " + plan
                                    + (samePlan ? " with a changed recipe" : "") + ". Results are not mixed: give this sweep a new name"
                                    + " to start fresh, or call forgetSweep(\"" + name + "\") to set the old runs aside");
                        }
                        return null;
                    }
                }
            }
            try (PreparedStatement p = db.prepareStatement("INSERT INTO sweeps(name, fingerprint, plan, created) VALUES (?,?,?,?)")) {
                p.setString(1, name);
                p.setString(2, fingerprint);
                p.setString(3, plan);
                p.setString(4, Instant.now().toString());
                p.executeUpdate();
            }
            return null;
        });
    }

    /**
     * The finished (not failed) runs of a named sweep, the latest for each configuration, by label.
     *
     * @param sweep the sweep's name
     * @return runs by configuration label, oldest first
     */
    public synchronized Map<String, Run> finished(String sweep) {
        Map<String, Run> out = new LinkedHashMap<>();
        try (PreparedStatement q = db.prepareStatement("SELECT * FROM runs WHERE sweep = ? AND status = 'ok' ORDER BY time, rowid");
                PreparedStatement pq = db.prepareStatement("SELECT key, value FROM run_params WHERE run_id = ? ORDER BY rowid")) {
            q.setString(1, sweep);
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    Map<String, Double> values = new LinkedHashMap<>();
                    pq.setString(1, rs.getString("id"));
                    try (ResultSet pr = pq.executeQuery()) {
                        while (pr.next()) {
                            values.put(pr.getString(1), pr.getDouble(2));
                        }
                    }
                    out.remove(rs.getString("config"));
                    out.put(rs.getString("config"), new Run(rs.getString("name"), rs.getString("chain"), values, dbl(rs, "top1"),
                            dbl(rs, "loss"), lng(rs, "params"), lng(rs, "nonzeros"), lng(rs, "dense_bytes"), lng(rs, "stored_bytes"),
                            dbl(rs, "seconds"), lng(rs, "seed"), (int) lng(rs, "threads"), rs.getString("jdk"), rs.getString("djl"),
                            rs.getString("pytorch"), rs.getString("cpu"), rs.getString("packed_path"), rs.getString("packed_sha256"),
                            sweep, rs.getString("config"), null));
                }
            }
        } catch (SQLException e) {
            throw explain("read sweep '" + sweep + "' from", e);
        }
        return out;
    }

    private static double dbl(ResultSet rs, String c) throws SQLException {
        double v = rs.getDouble(c);
        return rs.wasNull() ? Double.NaN : v;
    }

    private static long lng(ResultSet rs, String c) throws SQLException {
        long v = rs.getLong(c);
        return rs.wasNull() ? -1 : v;
    }

    /**
     * Sets a named sweep's runs aside so the name can start fresh: they stay in the store under
     * {@code NAME (set aside TIME)}.
     *
     * @param name the sweep's name
     * @return how many runs were set aside
     */
    public int forgetSweep(String name) {
        return inTransaction("set sweep '" + name + "' aside in", s -> {
            int n;
            try (PreparedStatement p = db.prepareStatement("UPDATE runs SET sweep = ? WHERE sweep = ?")) {
                p.setString(1, name + " (set aside " + Instant.now() + ")");
                p.setString(2, name);
                n = p.executeUpdate();
            }
            try (PreparedStatement p = db.prepareStatement("DELETE FROM sweeps WHERE name = ?")) {
                p.setString(1, name);
                p.executeUpdate();
            }
            return n;
        });
    }

    /** A SQLite error as a message that names the file and the fix. */
    RunStoreException explain(String what, SQLException e) {
        SQLiteErrorCode code = e instanceof SQLiteException se ? se.getResultCode() : null;
        String base = code == null ? "" : code.name();
        String fix;
        if (base.startsWith("SQLITE_READONLY") || base.startsWith("SQLITE_CANTOPEN") || base.startsWith("SQLITE_PERM")) {
            fix = "the file or its folder is read-only; make both writable, or set " + ENV + " to a writable file";
        } else if (base.startsWith("SQLITE_BUSY") || base.startsWith("SQLITE_LOCKED")) {
            fix = "another process holds a lock on it for too long; finish or close that process (another kernel in the middle of"
                    + " a write, a DB browser with an open transaction) and run the cell again";
        } else if (base.startsWith("SQLITE_NOTADB") || base.startsWith("SQLITE_CORRUPT")) {
            fix = "the file is corrupt or not SQLite; move it away (a new store is created), or set " + ENV + " to another file";
        } else if (base.startsWith("SQLITE_FULL") || base.startsWith("SQLITE_IOERR")) {
            fix = "the disk is full or failing; free space, or set " + ENV + " to a file on another disk";
        } else {
            fix = "check the file, or set " + ENV + " to another file";
        }
        return new RunStoreException("cannot " + what + " the run store " + file + ": " + e.getMessage() + "; " + fix, e);
    }

    /**
     * The notebook or script this JVM runs: {@code compresso.notebook}, Jupyter's session name (Jupyter
     * Server sets {@code JPY_SESSION_NAME} to the notebook's path), the command's file, or {@code
     * jupyter kernel} for a kernel whose client names no notebook.
     */
    static String source() {
        String p = System.getProperty("compresso.notebook");
        if (p != null && !p.isBlank()) {
            return p;
        }
        String jpy = System.getenv("JPY_SESSION_NAME");
        if (jpy != null && !jpy.isBlank()) {
            return jpy;
        }
        String cmd = System.getProperty("sun.java.command", "");
        String found = null;
        for (String token : cmd.split("\\s+")) {
            if (token.endsWith(".ipynb") || token.endsWith(".jsh") || token.endsWith(".java")) {
                found = token;
            }
        }
        if (found != null) {
            return found;
        }
        // a kernel started by a client that does not name the notebook (nbconvert, a console)
        return cmd.startsWith("dev.compresso.kernel.Main") ? "jupyter kernel" : cmd.isBlank() ? "unknown" : cmd.split("\\s+")[0];
    }

    /** Closes the connection; the session's store stays open for the JVM's life. */
    @Override
    public synchronized void close() {
        try {
            db.close();
        } catch (SQLException ignored) {
            // closing twice or after a failed open: nothing to release
        }
    }

    @Override
    public String toString() {
        return "run store " + file;
    }
}
