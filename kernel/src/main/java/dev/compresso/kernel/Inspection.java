package dev.compresso.kernel;

import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import jdk.jshell.JShell;
import jdk.jshell.Snippet;
import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.VarSnippet;

/**
 * inspect_request (Shift-Tab): the signature and Javadoc of the name at the cursor, which may stand
 * at its start, middle or end, or of the call whose parentheses hold the cursor. Detail level 0
 * gives the signature and the Javadoc's description, level 1 the whole Javadoc with its tags, and
 * for the user's own declarations their source. A cursor beyond the code, or inside a string or a
 * comment, gets an empty reply.
 */
final class Inspection {

    private Inspection() {}

    static JsonObject reply(Evaluator evaluator, JsonObject req) {
        String text = text(evaluator, Replies.stringOr(req, "code", ""), Replies.intOr(req, "cursor_pos", -1),
                Replies.intOr(req, "detail_level", 0));
        JsonObject c = Replies.ok(new JsonObject());
        c.addProperty("found", !text.isEmpty());
        JsonObject data = new JsonObject();
        if (!text.isEmpty()) {
            data.addProperty("text/plain", text);
        }
        c.add("data", data);
        c.add("metadata", new JsonObject());
        return c;
    }

    /** What Shift-Tab shows for the cursor (in code points), or "" when there is nothing. */
    static String text(Evaluator evaluator, String code, int cursorPos, int detail) {
        int cursor = CodeText.cursor(code, cursorPos);
        if (cursor < 0 || CodeText.inLiteralOrComment(code, cursor)) {
            return "";
        }
        SourceCodeAnalysis sca = evaluator.analysis();
        int start = CodeText.snippetStart(sca, code, cursor);
        String snippet = code.substring(start);
        int at = cursor - start;
        int ns = CodeText.nameStart(snippet, at);
        int ne = CodeText.nameEnd(snippet, at);
        String name = snippet.substring(ns, ne);
        String own = ownDeclaration(evaluator.jshell(), name, detail);
        if (!own.isEmpty()) {
            return own;
        }
        List<SourceCodeAnalysis.Documentation> docs = ne > ns ? docsOfName(sca, snippet, ne) : List.of();
        if (docs.isEmpty()) {
            int open = CodeText.openParen(snippet, at);
            if (open > 0) { // inside a call's parentheses: the call
                docs = sca.documentation(snippet.substring(0, open), open, true);
                int callEnd = open - 1;
                name = snippet.substring(CodeText.nameStart(snippet, callEnd), callEnd);
            }
        }
        StringBuilder text = new StringBuilder();
        for (SourceCodeAnalysis.Documentation d : docs) {
            if (text.length() > 0) {
                text.append("\n\n");
            }
            text.append(d.signature());
            String doc = d.javadoc();
            if (doc == null || doc.isBlank()) {
                doc = SourceDocs.javadoc(d.signature());
            }
            if (doc != null && !doc.isBlank()) {
                text.append("\n\n").append(detail > 0 ? doc.strip() : description(doc));
            }
        }
        if (detail > 0 && text.length() > 0) {
            String source = ownSource(evaluator.jshell(), name);
            if (!source.isEmpty()) {
                text.append("\n\nSource:\n").append(source);
            }
        }
        return text.toString();
    }

    /** JShell documents the call whose '(' is before the cursor: give it one after the name. */
    private static List<SourceCodeAnalysis.Documentation> docsOfName(SourceCodeAnalysis sca, String snippet, int ne) {
        int after = ne;
        while (after < snippet.length() && snippet.charAt(after) == ' ') {
            after++;
        }
        if (after < snippet.length() && snippet.charAt(after) == '(') {
            return sca.documentation(snippet.substring(0, after + 1), after + 1, true);
        }
        List<SourceCodeAnalysis.Documentation> docs = sca.documentation(snippet.substring(0, ne), ne, true);
        return docs.isEmpty() ? sca.documentation(snippet.substring(0, ne) + "(", ne + 1, true) : docs;
    }

    /** The Javadoc up to its first block tag ({@code @param}, {@code @return}, ...). */
    static String description(String javadoc) {
        List<String> kept = new ArrayList<>();
        for (String line : javadoc.strip().split("\n")) {
            if (line.strip().startsWith("@")) {
                break;
            }
            kept.add(line);
        }
        String d = String.join("\n", kept).strip();
        return d.isEmpty() ? javadoc.strip() : d;
    }

    /** A user's variable: its type and name, at level 1 also its source; "" if none has the name. */
    private static String ownDeclaration(JShell jshell, String name, int detail) {
        if (name.isEmpty()) {
            return "";
        }
        for (VarSnippet v : jshell.variables().collect(Collectors.toList())) {
            if (v.name().equals(name) && jshell.status(v).isActive() && !v.name().startsWith(Capture.VARIABLE)) {
                String head = v.typeName() + " " + v.name();
                return detail > 0 ? head + "\n\nSource:\n" + v.source().strip() : head;
            }
        }
        return "";
    }

    /** The source of the user's active methods and classes with this name, or "". */
    private static String ownSource(JShell jshell, String name) {
        return jshell.snippets()
                .filter(s -> s.kind() == Snippet.Kind.METHOD || s.kind() == Snippet.Kind.TYPE_DECL)
                .filter(s -> jshell.status(s).isActive())
                .filter(s -> ((jdk.jshell.DeclarationSnippet) s).name().equals(name))
                .map(s -> s.source().strip())
                .collect(Collectors.joining("\n\n"));
    }
}
