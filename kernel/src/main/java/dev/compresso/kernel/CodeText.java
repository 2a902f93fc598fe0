package dev.compresso.kernel;

import jdk.jshell.SourceCodeAnalysis;

/**
 * Where a cursor stands in a cell's code: which snippet, which name, whether inside a string or a
 * comment. Jupyter counts the cursor in code points; Java strings in chars.
 */
final class CodeText {

    private CodeText() {}

    /**
     * The char index of a Jupyter cursor, or -1 when it lies beyond the code's end (or before its
     * start): such a request gets an empty reply.
     */
    static int cursor(String code, int codePoints) {
        int n = code.codePointCount(0, code.length());
        if (codePoints < 0 || codePoints > n) {
            return -1;
        }
        return code.offsetByCodePoints(0, codePoints);
    }

    /** The cursor in code points, as Jupyter counts. */
    static int codePoints(String code, int charIndex) {
        return code.codePointCount(0, charIndex);
    }

    /** The start of the snippet that contains {@code cursor}, so JShell analyses one snippet. */
    static int snippetStart(SourceCodeAnalysis sca, String code, int cursor) {
        int start = 0;
        String rest = code.substring(0, cursor);
        while (true) {
            SourceCodeAnalysis.CompletionInfo ci = sca.analyzeCompletion(rest);
            if (!ci.completeness().isComplete() || ci.remaining().isBlank()) {
                return start;
            }
            start += rest.length() - ci.remaining().length();
            rest = ci.remaining();
        }
    }

    /**
     * True if {@code cursor} lies inside a string, character or text-block literal or a comment
     * (a cursor right after a closing quote is outside).
     */
    static boolean inLiteralOrComment(String code, int cursor) {
        int i = 0;
        while (i < cursor) {
            char c = code.charAt(i);
            int end;
            if (code.startsWith("//", i)) {
                end = code.indexOf('\n', i);
                end = end < 0 ? code.length() + 1 : end;
            } else if (code.startsWith("/*", i)) {
                end = code.indexOf("*/", i + 2);
                end = end < 0 ? code.length() + 1 : end + 2;
            } else if (code.startsWith("\"\"\"", i)) {
                end = code.indexOf("\"\"\"", i + 3);
                end = end < 0 ? code.length() + 1 : end + 3;
            } else if (c == '"' || c == '\'') {
                end = i + 1;
                while (end < code.length() && code.charAt(end) != c && code.charAt(end) != '\n') {
                    end += code.charAt(end) == '\\' ? 2 : 1;
                }
                end = end < code.length() && code.charAt(end) == c ? end + 1 : code.length() + 1;
            } else {
                i++;
                continue;
            }
            if (cursor < end) {
                return true;
            }
            i = end;
        }
        return false;
    }

    /** The start of the Java name around (or right before) {@code cursor}. */
    static int nameStart(String code, int cursor) {
        int s = cursor;
        while (s > 0 && Character.isJavaIdentifierPart(code.charAt(s - 1))) {
            s--;
        }
        return s;
    }

    /** The end of the Java name around (or right after) {@code cursor}. */
    static int nameEnd(String code, int cursor) {
        int e = cursor;
        while (e < code.length() && Character.isJavaIdentifierPart(code.charAt(e))) {
            e++;
        }
        return e;
    }

    /**
     * The index just after the innermost {@code (} that is still open at {@code cursor}, or -1:
     * a cursor inside a call's parentheses.
     */
    static int openParen(String code, int cursor) {
        int depth = 0;
        for (int i = cursor - 1; i >= 0; i--) {
            char c = code.charAt(i);
            if (c == ')') {
                depth++;
            } else if (c == '(') {
                if (depth == 0) {
                    return i + 1;
                }
                depth--;
            } else if (c == ';' || c == '{' || c == '}') {
                return -1;
            }
        }
        return -1;
    }
}
