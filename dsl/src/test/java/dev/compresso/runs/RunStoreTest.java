package dev.compresso.runs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;
import tech.tablesaw.api.Table;

/** The SQLite run store, for real: files, two processes, Python's sqlite3, broken and foreign files. */
class RunStoreTest {

    @TempDir
    Path dir;

    static Run run(String name, double top1, String sweep, String config, Map<String, Double> params) {
        return new Run(name, "mlp → train(epochs=1)", params, top1, 0.5, 1000, 400, 4000, 900, 1.5, 42, 1, "17.0.1", "0.36.0",
                "2.7.1", "test cpu", "/tmp/x.cmpr", "ab12", sweep, config, null);
    }

    @Test
    void recordsRowsWithTheirParametersAndQueriesThemAsTables() {
        try (RunStore s = RunStore.open(dir.resolve("runs.db"))) {
            Map<String, Double> p = new LinkedHashMap<>();
            p.put("sparsity", 0.9);
            p.put("bits", 5.0);
            String id = s.record(run("a", 0.81, "bits", "sparsity=0.9 bits=5", p));
            s.record(run("b", 0.79, null, null, Map.of()));
            Table all = s.runs();
            assertEquals(2, all.rowCount());
            assertTrue(all.columnNames().containsAll(List.of("id", "time", "notebook", "name", "chain", "top1", "loss", "params",
                    "nonzeros", "dense_bytes", "stored_bytes", "ratio", "seconds", "seed", "threads", "jdk", "djl", "pytorch", "cpu",
                    "packed_path", "packed_sha256", "sweep", "config", "status", "error")), all.columnNames().toString());
            assertEquals(id, all.stringColumn("id").get(0));
            assertEquals(4000.0 / 900, all.doubleColumn("ratio").get(0), 1e-12);
            assertEquals(900L, all.longColumn("stored_bytes").get(0));
            Table q = s.query("SELECT r.name, p.key, p.value FROM runs r JOIN run_params p ON p.run_id = r.id ORDER BY p.key");
            assertEquals(List.of("bits", "sparsity"), q.stringColumn("key").asList());
            assertEquals(5.0, q.doubleColumn("value").get(0));
            RunStoreException bad = assertThrows(RunStoreException.class, () -> s.query("SELECT nope FROM runs"));
            assertTrue(bad.getMessage().contains("runs.db") && bad.getMessage().contains("run_params"), bad.getMessage());
        }
    }

    @Test
    void pythonsSqlite3ReadsTheStoreWithoutCompresso() throws Exception {
        Path file = dir.resolve("py.db");
        try (RunStore s = RunStore.open(file)) {
            s.record(run("from-java", 0.875, "sw", "bits=4", Map.of("bits", 4.0)));
        }
        String script = String.join("\n",
                "import sqlite3, sys",
                "c = sqlite3.connect(sys.argv[1])",
                "print(c.execute('PRAGMA journal_mode').fetchone()[0])",
                "print(c.execute('PRAGMA user_version').fetchone()[0])",
                "for row in c.execute(\"SELECT r.name, r.top1, r.stored_bytes, p.key, p.value FROM runs r JOIN run_params p ON p.run_id = r.id\"):",
                "    print('|'.join(str(v) for v in row))");
        Process p = new ProcessBuilder("/usr/bin/python3", "-c", script, file.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertEquals(List.of("wal", String.valueOf(RunStore.SCHEMA_VERSION), "from-java|0.875|900|bits|4.0"), out.lines().toList());
    }

    /** Run in a second JVM by {@link #twoProcessesWritingAtOnceLoseNothing}. */
    public static void main(String[] args) {
        try (RunStore s = RunStore.open(Path.of(args[0]))) {
            for (int i = 0; i < Integer.parseInt(args[1]); i++) {
                s.record(run("child-" + i, 0.5, null, null, Map.of("i", (double) i)));
            }
        }
    }

    @Test
    void twoProcessesWritingAtOnceLoseNothing() throws Exception {
        Path file = dir.resolve("shared.db");
        RunStore.open(file).close(); // created once, then two writers at once
        int n = 300;
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), RunStoreTest.class.getName(), file.toString(), String.valueOf(n))
                .redirectErrorStream(true).start();
        try (RunStore s = RunStore.open(file)) {
            for (int i = 0; i < n; i++) {
                s.record(run("parent-" + i, 0.5, null, null, Map.of("i", (double) i)));
            }
            String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(child.waitFor(120, TimeUnit.SECONDS));
            assertEquals(0, child.exitValue(), out);
            Table t = s.query("SELECT substr(name, 1, instr(name, '-') - 1) AS who, count(*) AS n, count(DISTINCT id) AS ids,"
                    + " (SELECT count(*) FROM run_params) AS params FROM runs GROUP BY who ORDER BY who");
            assertEquals(List.of("child", "parent"), t.stringColumn("who").asList(), t.print());
            assertEquals(List.of((long) n, (long) n), t.longColumn("n").asList());
            assertEquals(List.of((long) n, (long) n), t.longColumn("ids").asList());
            assertEquals(2L * n, t.longColumn("params").get(0));
        }
    }

    @Test
    void aFileThatIsNotAStoreIsRefusedWithItsNameAndTheFix() throws Exception {
        Path text = dir.resolve("notes.db");
        Files.writeString(text, "these are my notes, not a database\n");
        RunStoreException e = assertThrows(RunStoreException.class, () -> RunStore.open(text));
        assertTrue(e.getMessage().contains(text.toString()) && e.getMessage().contains("not a SQLite database")
                && e.getMessage().contains("COMPRESSO_RUNS"), e.getMessage());
        assertEquals("these are my notes, not a database\n", Files.readString(text), "the file is left as it was");

        Path other = dir.resolve("other.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + other); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE recipes(name TEXT)");
        }
        e = assertThrows(RunStoreException.class, () -> RunStore.open(other));
        assertTrue(e.getMessage().contains(other.toString()) && e.getMessage().contains("not a Compresso run store"), e.getMessage());

        Path corrupt = dir.resolve("corrupt.db");
        RunStore.open(corrupt).close();
        byte[] b = Files.readAllBytes(corrupt);
        for (int i = 100; i < b.length; i++) {
            b[i] = (byte) 0xA5; // header intact, pages garbage
        }
        Files.write(corrupt, b);
        Files.deleteIfExists(corrupt.resolveSibling("corrupt.db-wal"));
        Files.deleteIfExists(corrupt.resolveSibling("corrupt.db-shm"));
        e = assertThrows(RunStoreException.class, () -> RunStore.open(corrupt).record(run("x", 0.1, null, null, Map.of())));
        assertTrue(e.getMessage().contains(corrupt.toString()) && e.getMessage().contains("move it away"), e.getMessage());
    }

    @Test
    void aNewerSchemaIsRefusedAndAnOlderOneMigratedWithABackup() throws Exception {
        Path newer = dir.resolve("newer.db");
        RunStore.open(newer).close();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + newer); Statement s = c.createStatement()) {
            s.execute("PRAGMA user_version = 99");
        }
        RunStoreException e = assertThrows(RunStoreException.class, () -> RunStore.open(newer));
        assertTrue(e.getMessage().contains("schema version 99") && e.getMessage().contains("update Compresso"), e.getMessage());

        Path old = dir.resolve("old.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + old); Statement s = c.createStatement()) {
            s.execute(RunStore.RUNS_V1);
            s.execute(RunStore.PARAMS_V1);
            s.execute("INSERT INTO runs(id, time, name, top1) VALUES ('r1', '2026-01-01T00:00:00Z', 'kept', 0.7)");
            s.execute("PRAGMA application_id = " + RunStore.APPLICATION_ID);
            s.execute("PRAGMA user_version = 1");
        }
        try (RunStore s = RunStore.open(old)) {
            Table t = s.runs();
            assertEquals(1, t.rowCount());
            assertEquals("kept", t.stringColumn("name").get(0));
            assertEquals("ok", t.stringColumn("status").get(0));
            s.beginSweep("after-migration", "f", "grid");
            assertEquals(2L, s.query("PRAGMA user_version").longColumn(0).get(0));
        }
        Path backup = dir.resolve("old.db.v1.bak");
        assertTrue(Files.exists(backup));
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + backup); Statement s = c.createStatement()) {
            assertEquals(1, s.executeQuery("PRAGMA user_version").getInt(1));
            assertEquals(1, s.executeQuery("SELECT count(*) FROM runs").getInt(1));
        }
    }

    @Test
    void aLockedStoreFailsTheWriteWithTheFileAndTheFix() throws Exception {
        Path file = dir.resolve("locked.db");
        try (RunStore s = RunStore.open(file, 200); Connection other = DriverManager.getConnection("jdbc:sqlite:" + file);
                Statement st = other.createStatement()) {
            st.execute("BEGIN EXCLUSIVE");
            RunStoreException e = assertThrows(RunStoreException.class, () -> s.record(run("x", 0.1, null, null, Map.of())));
            assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("another process holds a lock"), e.getMessage());
            st.execute("ROLLBACK");
            s.record(run("y", 0.1, null, null, Map.of()));
            assertEquals(List.of("y"), s.runs().stringColumn("name").asList(), "the failed write left nothing behind");
        }
    }

    @Test
    void readOnlyAndFullDisksAreExplained() throws IOException {
        try (RunStore s = RunStore.open(dir.resolve("r.db"))) {
            String ro = s.explain("write run 'x' to", new SQLiteException("attempt to write a readonly database",
                    SQLiteErrorCode.SQLITE_READONLY)).getMessage();
            assertTrue(ro.contains(dir.resolve("r.db").toString()) && ro.contains("read-only") && ro.contains("writable"), ro);
            String full = s.explain("write run 'x' to", new SQLiteException("database or disk is full", SQLiteErrorCode.SQLITE_FULL))
                    .getMessage();
            assertTrue(full.contains("disk is full") && full.contains("free space"), full);
        }
    }

    @Test
    void aSweepNameWithAnotherPlanIsRefusedUntilItIsSetAside() {
        try (RunStore s = RunStore.open(dir.resolve("sweeps.db"))) {
            s.beginSweep("bits", "f1", "grid(bits=[4.0, 5.0])");
            s.beginSweep("bits", "f1", "grid(bits=[4.0, 5.0])"); // the same plan again: fine
            s.record(run("sweep[bits=4]", 0.8, "bits", "bits=4", Map.of("bits", 4.0)));
            s.record(run("sweep[bits=4]", 0.82, "bits", "bits=4", Map.of("bits", 4.0)));
            Map<String, Run> done = s.finished("bits");
            assertEquals(1, done.size());
            assertEquals(0.82, done.get("bits=4").top1(), "the latest run of a configuration");
            assertEquals(Map.of("bits", 4.0), done.get("bits=4").parameters());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.beginSweep("bits", "f2", "grid(bits=[3.0])"));
            assertTrue(e.getMessage().contains("'bits'") && e.getMessage().contains("grid(bits=[4.0, 5.0])")
                    && e.getMessage().contains("new name") && e.getMessage().contains("forgetSweep(\"bits\")"), e.getMessage());
            e = assertThrows(IllegalStateException.class, () -> s.beginSweep("bits", "f3", "grid(bits=[4.0, 5.0])"));
            assertTrue(e.getMessage().contains("changed recipe"), e.getMessage());
            assertEquals(2, s.forgetSweep("bits"));
            s.beginSweep("bits", "f2", "grid(bits=[3.0])");
            assertTrue(s.finished("bits").isEmpty());
            assertEquals(2, s.query("SELECT * FROM runs WHERE sweep LIKE 'bits (set aside %'").rowCount());
        }
    }

    @Test
    void theDefaultFileIsTheEnvironmentsElseTheWorkingFolders() {
        assertEquals(Path.of("compresso-runs.db").toAbsolutePath(), RunStore.defaultFile(null));
        assertEquals(Path.of("compresso-runs.db").toAbsolutePath(), RunStore.defaultFile(" "));
        assertEquals(Path.of("/data/team-runs.db"), RunStore.defaultFile("/data/team-runs.db"));
    }

    @Test
    void closedConnectionsFailLoudly() {
        RunStore s = RunStore.open(dir.resolve("c.db"));
        s.close();
        RunStoreException e = assertThrows(RunStoreException.class, () -> s.record(run("x", 0.1, null, null, Map.of())));
        assertTrue(e.getMessage().contains("c.db"), e.getMessage());
    }

}
