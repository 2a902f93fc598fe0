package dev.compresso.data;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tech.tablesaw.api.NumericColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.Column;

/** Tabular data from a CSV file, read through Tablesaw. */
public final class Csv {

    private Csv() {}

    /**
     * Reads a CSV file whose numeric columns are features and one column is the class label. Label
     * values (numbers or strings) are mapped to class indices in order of first appearance. The rows
     * are shuffled with {@code seed}, then the last {@code testFraction} of them become the test part.
     *
     * @param file the CSV file, with a header row
     * @param labelColumn the name of the label column
     * @param testFraction share of rows held out for testing, in (0, 1)
     * @param seed shuffle seed
     * @return the split, named after the file
     */
    public static DataSplit read(Path file, String labelColumn, double testFraction, long seed) {
        if (!(testFraction > 0 && testFraction < 1)) {
            throw new IllegalArgumentException("testFraction=" + testFraction + " must be in (0, 1), for example 0.2");
        }
        if (!Files.isRegularFile(file)) {
            String message = "CSV file " + file.toAbsolutePath() + " does not exist; check the path";
            throw new UncheckedIOException(message, new java.io.FileNotFoundException(message));
        }
        Table table;
        try {
            table = Table.read().csv(file.toFile());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("CSV file " + file + " is not valid CSV: " + e.getMessage(), e);
        }
        if (!table.columnNames().contains(labelColumn)) {
            throw new IllegalArgumentException(
                    "label column '" + labelColumn + "' is not in " + file + "; its columns are " + table.columnNames());
        }
        Column<?> label = table.column(labelColumn);
        List<NumericColumn<?>> features = new ArrayList<>();
        for (Column<?> c : table.columns()) {
            if (c != label && c instanceof NumericColumn<?> n) {
                features.add(n);
            }
        }
        if (features.isEmpty()) {
            throw new IllegalArgumentException(
                    "CSV file " + file + " has no numeric column besides '" + labelColumn + "'; features must be numbers");
        }
        int rows = table.rowCount();
        Map<String, Integer> classes = new LinkedHashMap<>();
        int[] y = new int[rows];
        float[] x = new float[rows * features.size()];
        for (int r = 0; r < rows; r++) {
            String key = label.getString(r);
            y[r] = classes.computeIfAbsent(key, k -> classes.size());
            for (int j = 0; j < features.size(); j++) {
                double v = features.get(j).getDouble(r);
                if (Double.isNaN(v)) {
                    throw new IllegalArgumentException(
                            "CSV file " + file + ", row " + (r + 2) + ", column '" + features.get(j).name()
                                    + "' is empty or not a number; fill or drop such rows first");
                }
                x[r * features.size() + j] = (float) v;
            }
        }
        int nClasses = Math.max(2, classes.size());
        Samples all = Samples.of(x, y, new long[] {features.size()}, nClasses).shuffle(seed);
        int nTest = Math.max(1, (int) Math.round(rows * testFraction));
        int nTrain = rows - nTest;
        if (nTrain < 1) {
            throw new IllegalArgumentException("CSV file " + file + " has only " + rows + " rows; need at least 2");
        }
        Samples train = all.slice(0, nTrain);
        Samples test = all.slice(nTrain, rows);
        String name = file.getFileName().toString().replaceFirst("\\.csv$", "");
        List<String> names = classes.size() >= 2 ? new ArrayList<>(classes.keySet()) : List.of();
        return DataSplit.of(name, train, test, names);
    }
}
