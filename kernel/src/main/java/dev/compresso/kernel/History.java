package dev.compresso.kernel;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The session's input history and history_request: tail, range and search (a glob, optionally
 * unique), as session 1, lines numbered from 1 as the execution count. Only the shell thread uses it.
 */
final class History {

    private final List<String> inputs = new ArrayList<>();

    /** Records a cell stored in history. */
    void add(String code) {
        inputs.add(code);
    }

    JsonObject reply(JsonObject req) {
        String access = Replies.stringOr(req, "hist_access_type", "tail");
        boolean output = Replies.boolOr(req, "output", false);
        int n = Replies.intOr(req, "n", inputs.size());
        List<Integer> lines = new ArrayList<>();
        switch (access) {
            case "range" -> {
                int start = Replies.intOr(req, "start", 1);
                int stop = Replies.intOr(req, "stop", inputs.size() + 1);
                for (int i = Math.max(1, start); i < Math.min(stop, inputs.size() + 1); i++) {
                    lines.add(i);
                }
            }
            case "search" -> {
                Pattern p = Pattern.compile(globToRegex(Replies.stringOr(req, "pattern", "*")), Pattern.DOTALL);
                boolean unique = Replies.boolOr(req, "unique", false);
                Set<String> seen = new HashSet<>();
                for (int i = inputs.size(); i >= 1 && lines.size() < n; i--) {
                    String code = inputs.get(i - 1);
                    if (p.matcher(code).matches() && (!unique || seen.add(code))) {
                        lines.add(0, i);
                    }
                }
            }
            default -> {
                for (int i = Math.max(1, inputs.size() - n + 1); i <= inputs.size(); i++) {
                    lines.add(i);
                }
            }
        }
        JsonArray h = new JsonArray();
        for (int i : lines) {
            JsonArray e = new JsonArray();
            e.add(1);
            e.add(i);
            if (output) {
                JsonArray io = new JsonArray();
                io.add(inputs.get(i - 1));
                io.add((String) null);
                e.add(io);
            } else {
                e.add(inputs.get(i - 1));
            }
            h.add(e);
        }
        return Replies.ok(Replies.obj("history", h));
    }

    static String globToRegex(String glob) {
        StringBuilder sb = new StringBuilder();
        for (char ch : glob.toCharArray()) {
            switch (ch) {
                case '*' -> sb.append(".*");
                case '?' -> sb.append('.');
                default -> sb.append(Pattern.quote(String.valueOf(ch)));
            }
        }
        return sb.toString();
    }
}
