package dev.compresso.chart;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.knowm.xchart.XYChart;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/** tradeoff(Table): runs from the store, the same name from two sessions, stored bytes where known. */
class ChartsTableTest {

    @Test
    void runsFromAnySessionArePlottedByStoredElseDenseBytes() {
        Table t = Table.create("runs",
                StringColumn.create("name", "base", "pruned", "base"),
                DoubleColumn.create("top1", 0.88, 0.86, 0.87),
                LongColumn.create("stored_bytes", new long[] {0, 90_000, 0}),
                LongColumn.create("dense_bytes", new long[] {1_066_440, 1_066_440, 1_066_440}));
        t.longColumn("stored_bytes").setMissing(0);
        t.longColumn("stored_bytes").setMissing(2);
        XYChart chart = Charts.tradeoff(t);
        assertEquals(4, chart.getSeriesMap().size(), chart.getSeriesMap().keySet().toString());
        assertTrue(chart.getSeriesMap().keySet().stream().anyMatch(k -> k.startsWith("base #3")), chart.getSeriesMap().keySet().toString());
        assertArrayEquals(new double[] {90_000}, chart.getSeriesMap().get("pruned (86.00%)").getXData());
        assertArrayEquals(new double[] {90_000, 1_066_440}, chart.getSeriesMap().get("Pareto frontier").getXData());
    }

    @Test
    void aTableWithoutTheColumnsSaysWhichToSelect() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Charts.tradeoff(Table.create("q", StringColumn.create("name", "a"), DoubleColumn.create("acc", 0.5))));
        assertTrue(e.getMessage().contains("no 'top1' column") && e.getMessage().contains("SELECT name, top1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Charts.tradeoff(Table.create("q", StringColumn.create("name", "a"), DoubleColumn.create("top1", 0.5))));
        assertTrue(e.getMessage().contains("neither 'stored_bytes' nor 'dense_bytes'"), e.getMessage());
    }
}
