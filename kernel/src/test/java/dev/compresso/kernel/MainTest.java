package dev.compresso.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {

    @TempDir
    Path dir;

    /** Runs {@link Main#run} with stdout and stderr captured: the exit code, a newline, then the output. */
    static String runCapturing(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream both = new PrintStream(buf, true, StandardCharsets.UTF_8);
        System.setOut(both);
        System.setErr(both);
        try {
            int code = Main.run(args);
            return code + "\n" + buf.toString(StandardCharsets.UTF_8);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void scriptPrintsExpressionValuesAndSavesCharts() throws Exception {
        Path script = dir.resolve("ok.jsh");
        Files.writeString(script, String.join("\n",
                "int x = 20;",
                "x + 22;",
                "var t = Table.create(\"scores\").addColumns(IntColumn.create(\"n\", 1, 2));",
                "t;",
                "var acc = new XYChartBuilder().title(\"acc\").build();",
                "acc.addSeries(\"s\", new double[] {1, 2}, new double[] {3, 4});",
                "acc;",
                "new Object();"));
        Path out = dir.resolve("out");
        String result = runCapturing("run", script.toString(), "--out", out.toString(), "--log", dir.resolve("log.csv").toString());
        assertTrue(result.startsWith("0\n"), result);
        assertTrue(result.contains("\n42\n"), result);
        assertTrue(result.contains("scores"), result);
        assertTrue(!result.contains("java.lang.Object@"), "identity toString is not printed: " + result);
        byte[] png = Files.readAllBytes(out.resolve("acc.png"));
        assertEquals((byte) 0x89, png[0]);
        assertEquals('P', png[1]);
        assertTrue(Files.readString(out.resolve("acc.svg")).contains("<svg"));
        assertTrue(Files.readString(dir.resolve("log.csv")).startsWith("name,chain,top1"));
    }

    @Test
    void failingScriptExitsNonZeroNamingFileAndLine() throws Exception {
        Path script = dir.resolve("bad.jsh");
        Files.writeString(script, "int x = 1;\nint y = x / 0;\nint z = 3;\n");
        Path log = dir.resolve("log.csv");
        String result = runCapturing("run", script.toString(), "--log", log.toString());
        assertTrue(result.startsWith("1\n"), result);
        assertTrue(result.contains("failed at bad.jsh:2"), result);
        assertTrue(Files.exists(log), "the log is written on failure too");
    }

    @Test
    void compileErrorExitsNonZero() throws Exception {
        Path script = dir.resolve("typo.jsh");
        Files.writeString(script, "int x = 1;\nStrin y = \"a\";\n");
        String result = runCapturing("run", script.toString());
        assertTrue(result.startsWith("1\n"), result);
        assertTrue(result.contains("typo.jsh:2:1: error: cannot find symbol"), result);
    }

    @Test
    void missingFileAndBadUsage() {
        assertTrue(runCapturing("run", dir.resolve("nope.jsh").toString()).startsWith("1\n"));
        assertThrows(Main.UsageException.class, () -> Main.run(new String[] {"frobnicate"}));
        assertThrows(Main.UsageException.class, () -> Main.run(new String[] {"run", "a.jsh", "--log"}));
    }

    @Test
    void notebookRunWritesOutputsBackAndFailsOnTheFirstBadCell() throws Exception {
        Path nb = dir.resolve("nb.ipynb");
        Files.writeString(nb, """
                {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
                 {"cell_type": "markdown", "metadata": {}, "source": "# title"},
                 {"cell_type": "code", "metadata": {}, "execution_count": null, "outputs": [], "source": ["int x = 6;\\n", "x * 7"]},
                 {"cell_type": "code", "metadata": {}, "execution_count": null, "outputs": [],
                  "source": "var c = new XYChartBuilder().build(); c.addSeries(\\\"s\\\", new double[] {1, 2}, new double[] {3, 4});\\nc"},
                 {"cell_type": "code", "metadata": {}, "execution_count": null, "outputs": [], "source": "System.out.println(\\\"hi\\\"); int bad = 1 / 0;"},
                 {"cell_type": "code", "metadata": {}, "execution_count": null, "outputs": [], "source": "int never = 1;"}
                ]}""");
        String result = runCapturing("run", nb.toString());
        assertTrue(result.startsWith("1\n"), result);
        com.google.gson.JsonArray cells = com.google.gson.JsonParser.parseString(Files.readString(nb)).getAsJsonObject().getAsJsonArray("cells");
        com.google.gson.JsonObject first = cells.get(1).getAsJsonObject().getAsJsonArray("outputs").get(0).getAsJsonObject();
        assertEquals("execute_result", first.get("output_type").getAsString());
        assertEquals("42", first.getAsJsonObject("data").get("text/plain").getAsString());
        com.google.gson.JsonObject chart = cells.get(2).getAsJsonObject().getAsJsonArray("outputs").get(0).getAsJsonObject();
        assertTrue(chart.getAsJsonObject("data").get("image/png").getAsString().startsWith("iVBOR"));
        com.google.gson.JsonArray bad = cells.get(3).getAsJsonObject().getAsJsonArray("outputs");
        assertEquals("hi\n", bad.get(0).getAsJsonObject().get("text").getAsString());
        assertEquals("java.lang.ArithmeticException", bad.get(1).getAsJsonObject().get("ename").getAsString());
        assertEquals(0, cells.get(4).getAsJsonObject().getAsJsonArray("outputs").size(), "cells after the failure do not run");
    }
}
