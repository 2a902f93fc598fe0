package dev.compresso.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

class TextTableTest {

    static final String CHAIN = "lenet300100 → prune(magnitude().sparsity(0.93).sparsity(\"04Linear\", 0.90)"
            + ".sparsity(\"06Linear\", 0.70).gradual(3).finetune(3)) → share(kmeans().bits(4).bits(\"02Linear\", 3)"
            + ".select(weights().withBiases()).bits(\"06Linear_bias\", 3).finetune(1)) → pack()";

    @Test
    void aNarrowTableIsPrintedAsItIs() {
        String text = TextTable.render("t", List.of("name", "top1"), List.of(List.of("base", "0.8912")), 120);
        assertEquals("t\nname | top1\n-----+-------\nbase | 0.8912", text);
    }

    @Test
    void longChainsMoveBelowTheTableBehindAKeyAndEveryLineFits() {
        List<String> headers = List.of("name", "chain", "top1", "stored_bytes");
        String text = TextTable.render("experiment log", headers,
                List.of(List.of("base", "lenet300100", "0.8912", "1066040"), List.of("packed", CHAIN, "0.8874", "23561"),
                        List.of("again", CHAIN, "0.8874", "23561")), 120);
        for (String line : text.split("\n")) {
            assertTrue(line.length() <= 120, line.length() + ": " + line);
        }
        assertTrue(text.contains("lenet300100 |"), "a short chain stays in its cell:\n" + text);
        assertEquals(3, text.split("\\[1]", -1).length - 1, "the key stands in both rows and once below:\n" + text);
        String below = text.substring(text.lastIndexOf("\n[1] "));
        assertEquals(CHAIN, below.replace("\n    ", " ").substring(5).strip(), "the whole chain, wrapped, once:\n" + text);
    }

    @Test
    void shortValuesWrapInTheirCellRatherThanMoveBelow() {
        List<String> headers = new java.util.ArrayList<>(List.of("tensor"));
        List<String> row = new java.util.ArrayList<>(List.of("header + architecture"));
        for (int i = 0; i < 9; i++) {
            headers.add("column_" + i);
            row.add("1,066,440");
        }
        String text = TextTable.render(null, headers, List.of(row), 120);
        for (String line : text.split("\n")) {
            assertTrue(line.length() <= 120, line.length() + ": " + line + "\n" + text);
        }
        assertTrue(!text.contains("[1]"), "no key for a 21-character value:\n" + text);
        assertTrue(text.contains("\nheader +") && text.contains("\narchitecture"), text);
        assertTrue(text.contains("| 1,066,440"), "numbers are never cut:\n" + text);
    }

    @Test
    void wideHeadersWrapAtUnderscoresAndTablesawTablesRender() {
        Table t = Table.create("breakdown");
        t.addColumns(StringColumn.create("tensor", "02Linear_weight"));
        for (String h : List.of("code_bits", "code_bits_huffman", "index_bits", "index_bits_huffman", "codebook_bytes",
                "stored_bytes", "dense_bytes", "ratio", "kept", "weights", "extra_column_one", "extra_column_two")) {
            t.addColumns(DoubleColumn.create(h, 12.5));
        }
        String text = TextTable.render(t, 120);
        for (String line : text.split("\n")) {
            assertTrue(line.length() <= 120, line.length() + ": " + line + "\n" + text);
        }
        assertTrue(text.startsWith("breakdown\n"), text);
        assertThrows(IllegalArgumentException.class, () -> TextTable.render(t, 10));
    }
}
