package dev.compresso.chart;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.XYChart;

class ChartsTest {

    @Test
    void paretoFrontKeepsOnlyUnbeatenPoints() {
        List<Charts.Point> pts = List.of(
                new Charts.Point("big", 1000, 90),
                new Charts.Point("small-bad", 100, 80),
                new Charts.Point("dominated", 500, 79),
                new Charts.Point("mid", 300, 88),
                new Charts.Point("tiny", 50, 60),
                new Charts.Point("big-worse", 2000, 89));
        List<String> front = Charts.paretoFront(pts).stream().map(Charts.Point::name).toList();
        assertEquals(List.of("tiny", "small-bad", "mid", "big"), front);
    }

    @Test
    void tradeoffHasLogAxisOnePointPerModelAndTheFrontier(@TempDir Path dir) throws IOException {
        XYChart chart = Charts.tradeoff(List.of(
                new Charts.Point("a", 1_000_000, 89), new Charts.Point("b", 30_000, 88.5), new Charts.Point("c", 60_000, 87)));
        assertTrue(chart.getStyler().isXAxisLogarithmic());
        assertEquals(4, chart.getSeriesMap().size());
        assertTrue(chart.getSeriesMap().containsKey("Pareto frontier"));
        assertArrayEquals(new double[] {30_000, 1_000_000}, chart.getSeriesMap().get("Pareto frontier").getXData());
        List<Path> files = Charts.save(chart, dir.resolve("deep/tradeoff"));
        byte[] png = Files.readAllBytes(files.get(0));
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, Arrays.copyOf(png, 4));
        String svg = Files.readString(files.get(1), StandardCharsets.UTF_8);
        assertTrue(svg.contains("<svg"), svg.substring(0, Math.min(200, svg.length())));
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, Arrays.copyOf(Charts.png(chart), 4));
    }

    @Test
    void emptyInputSaysWhatToGive() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Charts.tradeoff(List.of()));
        assertTrue(e.getMessage().contains("at least one evaluated network"), e.getMessage());
    }
}
