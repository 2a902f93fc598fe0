package dev.compresso.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.Table;

class HtmlReportTest {

    @TempDir Path dir;

    /** Renders itself like the DSL's results do. */
    public static final class Card {
        public String toHtml() {
            return "<div id=\"card\">card</div>";
        }
    }

    @Test
    void rendersEveryKindOfPartIntoOneFile() throws IOException {
        XYChart chart = new XYChartBuilder().title("c").build();
        chart.addSeries("s", new double[] {1, 2}, new double[] {3, 4});
        Table t = Table.create("numbers", IntColumn.create("n", 1, 2));
        Path f = HtmlReport.write(dir.resolve("sub/r.html"), "Title <&>", "a < b", t, chart, new Card(), List.of(1, 2));
        String html = Files.readString(f);
        assertTrue(html.contains("<title>Title &lt;&amp;&gt;</title>"), html);
        assertTrue(html.contains("<p>a &lt; b</p>"));
        assertTrue(html.contains("<caption>numbers</caption>") && html.contains("<td>2</td>"));
        assertTrue(html.contains("src=\"data:image/png;base64,iVBOR"), "the chart is an embedded PNG");
        assertTrue(html.contains("<div id=\"card\">card</div>"));
        assertTrue(html.contains("<pre>[1, 2]</pre>"));
        try (Stream<Path> files = Files.list(f.getParent())) {
            assertEquals(List.of(f), files.toList(), "no temporary file is left behind");
        }
    }

    @Test
    void anUnwritableFolderGivesTheFix() throws IOException {
        Path blocker = Files.writeString(dir.resolve("file"), "x");
        UncheckedIOException e = assertThrows(UncheckedIOException.class,
                () -> HtmlReport.write(blocker.resolve("r.html"), "t"));
        assertTrue(e.getMessage().contains("writable"), e.getMessage());
    }
}
