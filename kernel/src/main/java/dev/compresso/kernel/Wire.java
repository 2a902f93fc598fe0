package dev.compresso.kernel;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.zeromq.ZMQ;

/**
 * The Jupyter wire format (messaging protocol 5.3): identities, {@code <IDS|MSG>}, an HMAC-SHA256
 * signature over header, parent header, metadata and content, then those four JSON frames and any
 * buffers. Checks signatures in constant time.
 */
final class Wire {

    static final String PROTOCOL_VERSION = "5.3";
    private static final byte[] DELIMITER = "<IDS|MSG>".getBytes(StandardCharsets.US_ASCII);
    private static final Gson GSON = new Gson();

    /** One message. */
    record Msg(List<byte[]> ids, JsonObject header, JsonObject parent, JsonObject metadata, JsonObject content) {
        String type() {
            return header.has("msg_type") ? header.get("msg_type").getAsString() : "";
        }
    }

    /** Why a message was dropped. */
    static final class BadMessage extends Exception {
        private static final long serialVersionUID = 1L;

        BadMessage(String why) {
            super(why);
        }
    }

    private final byte[] key;
    private final String session = UUID.randomUUID().toString();

    /**
     * @param key the connection file's key; empty means messages are not signed
     * @param scheme the signature scheme, which must be hmac-sha256 when a key is given
     */
    Wire(String key, String scheme) {
        this.key = key == null ? new byte[0] : key.getBytes(StandardCharsets.UTF_8);
        if (this.key.length > 0 && !"hmac-sha256".equals(scheme)) {
            throw new IllegalArgumentException("signature_scheme '" + scheme + "' is not supported; use hmac-sha256");
        }
    }

    String sign(byte[]... parts) {
        if (key.length == 0) {
            return "";
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            for (byte[] p : parts) {
                mac.update(p);
            }
            return HexFormat.of().formatHex(mac.doFinal());
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JVM: " + e, e);
        }
    }

    /** Parses and verifies the frames of one multipart message. */
    Msg parse(List<byte[]> frames) throws BadMessage {
        int d = -1;
        for (int i = 0; i < frames.size(); i++) {
            if (java.util.Arrays.equals(frames.get(i), DELIMITER)) {
                d = i;
                break;
            }
        }
        if (d < 0) {
            throw new BadMessage("no <IDS|MSG> delimiter in " + frames.size() + " frames");
        }
        if (frames.size() < d + 6) {
            throw new BadMessage("only " + (frames.size() - d - 1) + " frames after the delimiter, need 5");
        }
        byte[] sig = frames.get(d + 1);
        byte[] h = frames.get(d + 2);
        byte[] p = frames.get(d + 3);
        byte[] m = frames.get(d + 4);
        byte[] c = frames.get(d + 5);
        if (key.length > 0) {
            byte[] expected = sign(h, p, m, c).getBytes(StandardCharsets.US_ASCII);
            if (!MessageDigest.isEqual(expected, sig)) {
                throw new BadMessage("bad signature");
            }
        }
        try {
            JsonObject header = JsonParser.parseString(new String(h, StandardCharsets.UTF_8)).getAsJsonObject();
            if (!header.has("msg_type") || !header.has("msg_id")) {
                throw new BadMessage("header lacks msg_type or msg_id");
            }
            return new Msg(new ArrayList<>(frames.subList(0, d)), header,
                    JsonParser.parseString(new String(p, StandardCharsets.UTF_8)).getAsJsonObject(),
                    JsonParser.parseString(new String(m, StandardCharsets.UTF_8)).getAsJsonObject(),
                    JsonParser.parseString(new String(c, StandardCharsets.UTF_8)).getAsJsonObject());
        } catch (RuntimeException e) {
            throw new BadMessage("malformed JSON: " + e.getMessage());
        }
    }

    /** A new header for a message of {@code type}. */
    JsonObject header(String type) {
        JsonObject h = new JsonObject();
        h.addProperty("msg_id", UUID.randomUUID().toString());
        h.addProperty("session", session);
        h.addProperty("username", "compresso");
        h.addProperty("date", Instant.now().toString());
        h.addProperty("msg_type", type);
        h.addProperty("version", PROTOCOL_VERSION);
        return h;
    }

    /** Sends a message; the caller owns the socket (ZMQ sockets are not thread-safe). */
    void send(ZMQ.Socket socket, List<byte[]> ids, String type, JsonObject parentHeader, JsonObject content, JsonObject metadata) {
        byte[] h = GSON.toJson(header(type)).getBytes(StandardCharsets.UTF_8);
        byte[] p = GSON.toJson(parentHeader == null ? new JsonObject() : parentHeader).getBytes(StandardCharsets.UTF_8);
        byte[] m = GSON.toJson(metadata == null ? new JsonObject() : metadata).getBytes(StandardCharsets.UTF_8);
        byte[] c = GSON.toJson(content).getBytes(StandardCharsets.UTF_8);
        for (byte[] id : ids) {
            socket.sendMore(id);
        }
        socket.sendMore(DELIMITER);
        socket.sendMore(sign(h, p, m, c));
        socket.sendMore(h);
        socket.sendMore(p);
        socket.sendMore(m);
        socket.send(c);
    }

    /** The next message if one is already waiting, else null, without blocking. */
    static List<byte[]> receiveNow(ZMQ.Socket socket) {
        return frames(socket, socket.recv(ZMQ.DONTWAIT));
    }

    /** Receives one multipart message, or null after {@code socket}'s receive timeout. */
    static List<byte[]> receive(ZMQ.Socket socket) {
        return frames(socket, socket.recv());
    }

    /** The first frame and the rest of its message, or null if there was no first frame. */
    private static List<byte[]> frames(ZMQ.Socket socket, byte[] first) {
        if (first == null) {
            return null;
        }
        List<byte[]> frames = new ArrayList<>();
        frames.add(first);
        while (socket.hasReceiveMore()) {
            frames.add(socket.recv());
        }
        return frames;
    }
}
