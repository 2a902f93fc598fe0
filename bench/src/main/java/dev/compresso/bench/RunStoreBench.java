package dev.compresso.bench;

import dev.compresso.Compresso;
import dev.compresso.eval.ExperimentLog;
import dev.compresso.model.Network;
import dev.compresso.runs.Run;
import dev.compresso.runs.RunStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tech.tablesaw.api.Table;

/**
 * The run store's costs: recording one row (a run with two sweep parameters, one transaction each,
 * as the session log does), recording through the log from a real model, and queries over 10,000 runs.
 * Usage: RunStoreBench [rows=10000] [queries=21]
 */
public final class RunStoreBench {

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int queries = args.length > 1 ? Integer.parseInt(args[1]) : 21;
        Path dir = Files.createTempDirectory("runstore-bench");
        Path file = dir.resolve("runs.db");
        System.out.println("store " + file + ", " + rows + " rows, " + queries + " queries each");
        List<Double> record = new ArrayList<>();
        try (RunStore store = RunStore.open(file)) {
            for (int i = 0; i < rows; i++) {
                Map<String, Double> p = new LinkedHashMap<>();
                p.put("sparsity", 0.5 + (i % 50) / 100.0);
                p.put("bits", (double) (2 + i % 7));
                Run r = new Run("sweep[" + i + "]", "lenet300100 → train(epochs=10) → prune(magnitude 0.9) → share(kmeans 5 bits)", p,
                        0.8 + (i % 100) / 1000.0, 0.4, 266_610, 26_661, 1_066_440, 26_000 + i % 999, 1.5, 42, 1, "17.0.15", "0.36.0",
                        "2.7.1", "AMD EPYC", "/tmp/x.cmpr", "ab12", "bench-" + (i % 20), "sparsity=" + p.get("sparsity") + " bits=" + p.get("bits"), null);
                long t0 = System.nanoTime();
                store.record(r);
                record.add((System.nanoTime() - t0) / 1e6);
            }
            System.out.println("record one run (insert + 2 parameters, 1 transaction, WAL, synchronous=NORMAL): "
                    + Stats.summary(record.subList(100, record.size()), "%.3f ms") + " after 100 warm-up rows");
            time(queries, "runs(): every column of all " + rows + " runs as a Tablesaw table", () -> store.runs());
            time(queries, "SELECT name, top1, stored_bytes FROM runs WHERE sweep = 'bench-7' AND top1 > 0.85",
                    () -> store.query("SELECT name, top1, stored_bytes FROM runs WHERE sweep = 'bench-7' AND top1 > 0.85"));
            time(queries, "per-sweep best top-1 with its bits (GROUP BY over a join with run_params)",
                    () -> store.query("SELECT r.sweep, max(r.top1) AS best, count(*) AS n FROM runs r JOIN run_params p ON p.run_id = r.id"
                            + " AND p.key = 'bits' GROUP BY r.sweep"));
        }
        // through the log, from a real (untrained, evaluated-never) model: Run.of + store write
        System.setProperty("compresso.notebook", "RunStoreBench");
        List<Double> viaLog = new ArrayList<>();
        try (Network net = Compresso.lenet300100()) {
            ExperimentLog log = ExperimentLog.session();
            for (int i = 0; i < 300; i++) {
                long t0 = System.nanoTime();
                log.record(net);
                viaLog.add((System.nanoTime() - t0) / 1e6);
            }
        }
        System.out.println("ExperimentLog.session().record(LeNet-300-100) into " + RunStore.defaultFile() + ": "
                + Stats.summary(viaLog.subList(50, viaLog.size()), "%.3f ms") + " after 50 warm-up rows (counts non-zeros of 266,610 weights)");
    }

    private static void time(int n, String what, java.util.function.Supplier<Table> q) {
        List<Double> ms = new ArrayList<>();
        int rows = 0;
        for (int i = 0; i < n + 3; i++) {
            long t0 = System.nanoTime();
            rows = q.get().rowCount();
            if (i >= 3) {
                ms.add((System.nanoTime() - t0) / 1e6);
            }
        }
        System.out.println(what + " -> " + rows + " rows: " + Stats.summary(ms, "%.1f ms") + " after 3 warm-up queries");
    }
}
