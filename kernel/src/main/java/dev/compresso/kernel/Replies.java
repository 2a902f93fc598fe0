package dev.compresso.kernel;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

/** Small builders for reply contents, shared by the request handlers. */
final class Replies {

    private Replies() {}

    /** Adds {@code status: ok} and returns the same object. */
    static JsonObject ok(JsonObject c) {
        c.addProperty("status", "ok");
        return c;
    }

    /** A one-key object; the value is a String or a JsonElement. */
    static JsonObject obj(String key, Object value) {
        JsonObject o = new JsonObject();
        if (value instanceof String s) {
            o.addProperty(key, s);
        } else {
            o.add(key, (JsonElement) value);
        }
        return o;
    }

    /** The request's int field, or {@code fallback} when it is absent or null. */
    static int intOr(JsonObject req, String key, int fallback) {
        return req.has(key) && !req.get(key).isJsonNull() ? req.get(key).getAsInt() : fallback;
    }

    /** The request's boolean field, or {@code fallback} when it is absent or null. */
    static boolean boolOr(JsonObject req, String key, boolean fallback) {
        return req.has(key) && !req.get(key).isJsonNull() ? req.get(key).getAsBoolean() : fallback;
    }

    /** The request's string field, or {@code fallback} when it is absent or null. */
    static String stringOr(JsonObject req, String key, String fallback) {
        return req.has(key) && !req.get(key).isJsonNull() ? req.get(key).getAsString() : fallback;
    }
}
