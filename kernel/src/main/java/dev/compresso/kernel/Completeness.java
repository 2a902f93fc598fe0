package dev.compresso.kernel;

import com.google.gson.JsonObject;
import jdk.jshell.SourceCodeAnalysis;

/**
 * is_complete_request (the console's Enter): complete, incomplete with the indent of the next line,
 * or invalid, snippet by snippet as JShell splits the code. A magic line is complete.
 */
final class Completeness {

    private Completeness() {}

    static JsonObject reply(Evaluator evaluator, JsonObject req) {
        String code = Replies.stringOr(req, "code", "");
        JsonObject c = new JsonObject();
        if (code.stripLeading().startsWith("%")) {
            c.addProperty("status", "complete");
            return c;
        }
        SourceCodeAnalysis sca = evaluator.analysis();
        String rest = code;
        while (true) {
            SourceCodeAnalysis.CompletionInfo ci = sca.analyzeCompletion(rest);
            switch (ci.completeness()) {
                case COMPLETE, COMPLETE_WITH_SEMI -> {
                    if (ci.remaining().isBlank()) {
                        c.addProperty("status", "complete");
                        return c;
                    }
                    rest = ci.remaining();
                }
                case EMPTY -> {
                    c.addProperty("status", "complete");
                    return c;
                }
                case DEFINITELY_INCOMPLETE, CONSIDERED_INCOMPLETE -> {
                    c.addProperty("status", "incomplete");
                    c.addProperty("indent", indentFor(code));
                    return c;
                }
                default -> {
                    c.addProperty("status", "invalid");
                    return c;
                }
            }
        }
    }

    private static String indentFor(String code) {
        String[] lines = code.split("\n", -1);
        String last = lines[lines.length - 1].isBlank() && lines.length > 1 ? lines[lines.length - 2] : lines[lines.length - 1];
        String lead = last.substring(0, last.length() - last.stripLeading().length());
        return last.strip().endsWith("{") || last.strip().endsWith("(") ? lead + "    " : lead;
    }
}
