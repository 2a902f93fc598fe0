package dev.compresso.kernel;

import java.util.List;

/**
 * Why a cell or script stopped: a compile error, an exception from user code, an interrupt, or
 * incomplete input.
 *
 * @param kind what went wrong
 * @param ename the exception class name, or {@code CompilationError}, {@code Interrupted}, {@code IncompleteInput}
 * @param evalue a one-line message
 * @param traceback the lines to show, already cut to the user's code
 * @param source the cell or file name
 * @param line the 1-based line in {@code source} where it happened, or 0 if unknown
 */
public record CellError(Kind kind, String ename, String evalue, List<String> traceback, String source, int line) {

    /** What went wrong. */
    public enum Kind {
        /** The code did not compile. */
        COMPILE,
        /** User code threw. */
        RUNTIME,
        /** The run was interrupted. */
        INTERRUPTED,
        /** The input ends in the middle of a statement. */
        INCOMPLETE
    }

    /** The whole report as text, one traceback line per line. */
    public String text() {
        return String.join("\n", traceback);
    }

    /** Where it happened, as {@code source:line}, or just the source if the line is unknown. */
    public String where() {
        return line > 0 ? source + ":" + line : source;
    }
}
