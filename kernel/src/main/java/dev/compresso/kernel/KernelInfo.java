package dev.compresso.kernel;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

/** The content of kernel_info_reply: language, versions, banner, help links. */
final class KernelInfo {

    private KernelInfo() {}

    static JsonObject reply() {
        JsonObject lang = new JsonObject();
        lang.addProperty("name", "java");
        lang.addProperty("version", String.valueOf(Runtime.version().feature()));
        lang.addProperty("mimetype", "text/x-java");
        lang.addProperty("file_extension", ".jsh");
        lang.addProperty("codemirror_mode", "text/x-java");
        lang.addProperty("pygments_lexer", "java");
        JsonObject c = Replies.ok(new JsonObject());
        c.addProperty("protocol_version", Wire.PROTOCOL_VERSION);
        c.addProperty("implementation", "compresso");
        c.addProperty("implementation_version", "0.1.0");
        c.add("language_info", lang);
        c.addProperty("banner", "Compresso (Java " + Runtime.version() + "): JShell with the neural-network "
                + "compression DSL preloaded. Type %help for magics.");
        JsonArray links = new JsonArray();
        links.add(link("Compresso magics: %help", "https://jupyter.org/"));
        links.add(link("Java API", "https://docs.oracle.com/en/java/javase/17/docs/api/"));
        links.add(link("DJL", "https://docs.djl.ai/"));
        c.add("help_links", links);
        c.addProperty("debugger", false);
        return c;
    }

    private static JsonObject link(String text, String url) {
        JsonObject l = new JsonObject();
        l.addProperty("text", text);
        l.addProperty("url", url);
        return l;
    }
}
