package dev.compresso.kernel;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.VarSnippet;

/**
 * complete_request (Tab): JShell's suggestions for the snippet at the cursor, with each match's
 * kind (method, field, class, variable, keyword, package) and, for methods, its signatures in
 * {@code metadata._jupyter_types_experimental}, which JupyterLab shows beside the match. A cursor
 * beyond the code, or inside a string or a comment, gets an empty reply.
 */
final class Completion {

    /** Signatures cost a javac attribution each: only the first this many methods get one. */
    static final int SIGNATURES = 20;

    private static final Set<String> KEYWORDS = Set.of("abstract", "assert", "boolean", "break", "byte", "case",
            "catch", "char", "class", "const", "continue", "default", "do", "double", "else", "enum", "extends",
            "final", "finally", "float", "for", "goto", "if", "implements", "import", "instanceof", "int",
            "interface", "long", "native", "new", "package", "private", "protected", "public", "return", "short",
            "static", "strictfp", "super", "switch", "synchronized", "this", "throw", "throws", "transient", "try",
            "void", "volatile", "while", "var", "record", "yield", "sealed", "permits", "true", "false", "null");

    private Completion() {}

    static JsonObject reply(Evaluator evaluator, JsonObject req) {
        String code = Replies.stringOr(req, "code", "");
        int cursor = CodeText.cursor(code, Replies.intOr(req, "cursor_pos", code.codePointCount(0, code.length())));
        JsonArray matches = new JsonArray();
        JsonArray types = new JsonArray();
        int from = Math.max(cursor, 0);
        if (cursor >= 0 && !CodeText.inLiteralOrComment(code, cursor)) {
            SourceCodeAnalysis sca = evaluator.analysis();
            int start = CodeText.snippetStart(sca, code, cursor);
            String snippet = code.substring(start, cursor);
            int[] anchor = new int[1];
            List<SourceCodeAnalysis.Suggestion> suggestions = sca.completionSuggestions(snippet, snippet.length(), anchor);
            from = start + anchor[0];
            Set<String> vars = evaluator.jshell().variables().map(VarSnippet::name).collect(Collectors.toSet());
            boolean member = from > 0 && code.charAt(from - 1) == '.';
            Map<String, String> kinds = new LinkedHashMap<>();
            for (SourceCodeAnalysis.Suggestion s : suggestions) {
                String m = s.continuation();
                if (!m.startsWith(Capture.VARIABLE)) {
                    kinds.putIfAbsent(m, kind(m, member, vars));
                }
            }
            int signed = 0;
            for (var e : kinds.entrySet()) {
                matches.add(e.getKey());
                JsonObject t = new JsonObject();
                t.addProperty("start", CodeText.codePoints(code, from));
                t.addProperty("end", CodeText.codePoints(code, cursor));
                t.addProperty("text", e.getKey());
                t.addProperty("type", e.getValue());
                String signature = "";
                if (e.getValue().equals("method") && signed++ < SIGNATURES) {
                    String m = e.getKey();
                    String call = code.substring(start, from) + (m.endsWith("()") ? m.substring(0, m.length() - 1) : m);
                    signature = sca.documentation(call, call.length(), false).stream()
                            .map(SourceCodeAnalysis.Documentation::signature).collect(Collectors.joining("\n"));
                }
                t.addProperty("signature", signature);
                types.add(t);
            }
        }
        JsonObject c = Replies.ok(new JsonObject());
        c.add("matches", matches);
        c.addProperty("cursor_start", CodeText.codePoints(code, from));
        c.addProperty("cursor_end", CodeText.codePoints(code, Math.max(cursor, 0)));
        c.add("metadata", Replies.obj("_jupyter_types_experimental", types));
        return c;
    }

    /** A match's kind, from its text: JShell's suggestions do not say. */
    static String kind(String match, boolean member, Set<String> variables) {
        if (match.isEmpty()) {
            return "field";
        }
        if (match.endsWith("(") || match.endsWith("()")) {
            return "method";
        }
        if (KEYWORDS.contains(match)) {
            return "keyword";
        }
        if (!member && variables.contains(match)) {
            return "variable";
        }
        boolean constant = match.chars().noneMatch(Character::isLowerCase) && match.length() > 1;
        if (Character.isUpperCase(match.charAt(0)) && !constant) {
            return "class";
        }
        return member || constant ? "field" : "package";
    }
}
