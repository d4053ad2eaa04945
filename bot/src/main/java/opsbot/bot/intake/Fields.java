package opsbot.bot.intake;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reading request bodies: strict JSON (no duplicate keys, nothing after the value, nesting at most
 * {@link #MAX_DEPTH}), and typed fields whose errors name the field. Every string an event keeps is bounded here:
 * over the bound is a 400, never a silent cut (details alone are cut, with a marker).
 */
final class Fields {
    static final int MAX_DEPTH = 16;
    static final int SUMMARY = 1024;
    static final int DETAILS = 8192;
    static final int KEY = 255;
    static final int HOST = 253;
    static final String CUT = " …[cut]";

    static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private static final Pattern HOST_NAME = Pattern.compile("[A-Za-z0-9_]([A-Za-z0-9._-]*[A-Za-z0-9_])?");
    private static final Pattern IP6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");
    /** RFC 3339, and ISO 8601 offsets without the colon ({@code +0000}), which PagerDuty's examples use. */
    private static final DateTimeFormatter TIME = new DateTimeFormatterBuilder().parseCaseInsensitive()
            .append(DateTimeFormatter.ISO_LOCAL_DATE_TIME).appendPattern("[XXX][XX]").toFormatter();

    private Fields() {
    }

    /** The body as a JSON object; 400 naming {@code body} when it is not valid UTF-8, not JSON, or too deep. */
    static ObjectNode parse(byte[] body) throws Rejected {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body));
        } catch (CharacterCodingException e) {
            throw Rejected.json("the body is not valid UTF-8");
        }
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (StreamConstraintsException e) {
            throw Rejected.json("the body nests deeper than " + MAX_DEPTH + " levels");
        } catch (JsonProcessingException e) {
            throw Rejected.json("the body is not valid JSON: " + firstLine(e.getOriginalMessage()));
        } catch (IOException e) {
            throw Rejected.json("the body is not valid JSON");
        }
        if (root == null || !root.isObject()) {
            throw Rejected.json("the body must be a JSON object");
        }
        return (ObjectNode) root;
    }

    /** A string field; null when absent (or JSON null) and not required. */
    static String string(JsonNode obj, String name, String path, boolean required) throws Rejected {
        JsonNode v = obj.get(name);
        if (v == null || v.isNull()) {
            if (required) throw Rejected.field(path, path + " is missing");
            return null;
        }
        if (!v.isTextual()) {
            throw Rejected.field(path, path + " must be a string, not " + kind(v));
        }
        return v.textValue();
    }

    /** An object field, or null when absent and not required. */
    static ObjectNode object(JsonNode obj, String name, String path, boolean required) throws Rejected {
        JsonNode v = obj.get(name);
        if (v == null || v.isNull()) {
            if (required) throw Rejected.field(path, path + " is missing");
            return null;
        }
        if (!v.isObject()) {
            throw Rejected.field(path, path + " must be an object, not " + kind(v));
        }
        return (ObjectNode) v;
    }

    /** An object of strings (Alertmanager's labels and annotations); empty when absent. */
    static Map<String, String> strings(JsonNode obj, String name, String path) throws Rejected {
        ObjectNode o = object(obj, name, path, false);
        Map<String, String> out = new LinkedHashMap<>();
        if (o == null) return out;
        for (Map.Entry<String, JsonNode> f : o.properties()) {
            if (!f.getValue().isTextual()) {
                throw Rejected.field(path + "." + f.getKey(), path + "." + f.getKey() + " must be a string, not "
                        + kind(f.getValue()));
            }
            out.put(f.getKey(), f.getValue().textValue());
        }
        return out;
    }

    /** One line of at most {@code max} characters, or 400: what is said in chat is never cut unannounced. */
    static String line(String value, String path, int max) throws Rejected {
        if (value == null) return null;
        if (value.isBlank()) {
            throw Rejected.field(path, path + " is empty");
        }
        if (value.length() > max) {
            throw Rejected.field(path, path + " is longer than " + max + " characters");
        }
        if (value.chars().anyMatch(Character::isISOControl)) {
            throw Rejected.field(path, path + " must be one line, without control characters");
        }
        return value.strip();
    }

    /** Text from a monitor that must not be refused for its length: control characters become spaces, cut visibly. */
    static String lenientLine(String value, int max) {
        if (value == null || value.isBlank()) return null;
        StringBuilder b = new StringBuilder(Math.min(value.length(), max + 8));
        value.strip().codePoints().forEach(c -> b.appendCodePoint(Character.isISOControl(c) ? ' ' : c));
        return cut(b.toString(), max);
    }

    /** A host name or IP address, or 400. */
    static String host(String value, String path) throws Rejected {
        if (value == null) return null;
        String h = hostOrNull(value);
        if (h == null) {
            throw Rejected.field(path, path + " must be a host name or address (letters, digits, . - _), at most "
                    + HOST + " characters");
        }
        return h;
    }

    /** {@code value} when it has a host name's (or address's) shape, else null. */
    static String hostOrNull(String value) {
        if (value == null) return null;
        String h = value.strip();
        if (h.startsWith("[") && h.endsWith("]")) h = h.substring(1, h.length() - 1);
        return h.length() <= HOST && (HOST_NAME.matcher(h).matches() || IP6.matcher(h).matches()) ? h : null;
    }

    /** Details may be long: kept up to {@link #DETAILS} characters, and a cut says so. */
    static String details(String value) {
        if (value == null || value.isBlank()) return null;
        return cut(value.replace('\u0000', ' '), DETAILS); // no NUL: PostgreSQL refuses it in text
    }

    static String cut(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - CUT.length()) + CUT;
    }

    /** A time: RFC 3339 text, or Unix seconds; null when absent. */
    static Instant time(JsonNode obj, String name, String path) throws Rejected {
        JsonNode v = obj.get(name);
        if (v == null || v.isNull()) return null;
        if (v.isIntegralNumber() && v.canConvertToLong()) {
            try {
                return Instant.ofEpochSecond(v.longValue());
            } catch (DateTimeException e) {
                throw Rejected.field(path, path + " is out of range");
            }
        }
        if (!v.isTextual()) {
            throw Rejected.field(path, path + " must be an RFC 3339 time (2026-06-30T03:31:00Z) or Unix seconds, not "
                    + kind(v));
        }
        return time(v.textValue(), path);
    }

    static Instant time(String text, String path) throws Rejected {
        if (text == null) return null;
        try {
            return OffsetDateTime.parse(text.strip(), TIME).toInstant();
        } catch (DateTimeException e) {
            throw Rejected.field(path, path + " is not an RFC 3339 time such as 2026-06-30T03:31:00Z");
        }
    }

    static String kind(JsonNode v) {
        return switch (v.getNodeType()) {
            case ARRAY -> "an array";
            case OBJECT, POJO -> "an object";
            case BOOLEAN -> "a boolean";
            case NUMBER -> "a number";
            case STRING -> "a string";
            default -> "null";
        };
    }

    private static String firstLine(String s) {
        if (s == null) return "unreadable";
        int nl = s.indexOf('\n');
        return cut(nl < 0 ? s : s.substring(0, nl), 200);
    }
}
