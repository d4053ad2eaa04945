package opsbot.config;

import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;

import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The YAML parser's and the binder's complaints in the words of the configuration reference, without
 * Java type names or parser states: "'abc' is not a whole number", not "Cannot deserialize value of type
 * `java.lang.Integer` from String".
 */
final class ParserErrors {
    private ParserErrors() {
    }

    /** A SnakeYAML message, as what is probably wrong. */
    static String yaml(String m) {
        String s = m == null ? "" : m;
        if (s.contains("'\\t'") || s.contains("\\t(TAB)")) return "a tab character: YAML indents with spaces only";
        if (s.contains("mapping values are not allowed")) return "a ':' inside a plain value: put the value in quotes";
        if (s.contains("flow mapping") || s.contains("expected ',' or '}'")) return "a { … } mapping is not closed, or lacks a comma";
        if (s.contains("flow sequence") || s.contains("expected ',' or ']'")) return "a [ … ] list is not closed, or lacks a comma";
        if (s.contains("quoted scalar")) return "a quoted value is not closed";
        if (s.contains("undefined alias")) return "a value starting with * (an alias no anchor defines): put it in quotes";
        if (s.contains("cannot start any token")) return "a value starting with @ or ` : put it in quotes";
        if (s.contains("could not find expected ':'")) return "a line that is not 'key: value' (or a value that should be quoted)";
        if (s.contains("expected <block end>") || s.contains("did not find expected key") || s.contains("indentation")) {
            return "the indentation does not line up with the lines above";
        }
        return "the structure breaks here";
    }

    /**
     * The line SnakeYAML names last in its message (where it found the problem, after where the broken
     * construct began), or {@code fallback}.
     */
    static int yamlLine(String m, int fallback) {
        java.util.regex.Matcher l = java.util.regex.Pattern.compile("line (\\d+), column").matcher(m == null ? "" : m);
        int line = fallback;
        while (l.find()) {
            line = Integer.parseInt(l.group(1));
        }
        return line;
    }

    /** A binding failure at a value, as what was expected there and what was found. */
    static String binding(JsonMappingException e, JsonNode found) {
        if (e instanceof StepReader.Refusal r) {
            return r.getOriginalMessage();
        }
        if (e instanceof UnrecognizedPropertyException u) {
            List<String> known = new ArrayList<>();
            u.getKnownPropertyIds().forEach(k -> known.add(String.valueOf(k)));
            known.sort(null);
            return "unknown key '" + u.getPropertyName() + "' (known here: " + String.join(", ", known) + ")";
        }
        if (e instanceof InvalidFormatException f) {
            String because = f.getTargetType() == Duration.class ? reason(f) : "";
            return "bad value '" + f.getValue() + "': expected " + expected(f.getTargetType()) + because;
        }
        if (e instanceof MismatchedInputException m && m.getTargetType() != null) {
            return "expected " + expected(m.getTargetType()) + ", found " + shape(found);
        }
        return "cannot use this value (" + shape(found) + ")";
    }

    /** What to do about a binding failure. */
    static String hint(JsonMappingException e) {
        if (e instanceof StepReader.Refusal r) {
            return r.hint;
        }
        if (e instanceof InvalidFormatException f && f.getTargetType() == ZoneId.class) {
            return "an IANA zone ID such as Europe/Oslo, America/New_York or UTC (timedatectl list-timezones)";
        }
        return "see the configuration reference in README.md";
    }

    private static String reason(InvalidFormatException f) {
        String m = f.getOriginalMessage();
        int cut = m.indexOf("problem: ");
        return cut < 0 ? "" : " (" + m.substring(cut + "problem: ".length()) + ")";
    }

    static String expected(Class<?> t) {
        if (t == String.class) return "text";
        if (t == Integer.class || t == int.class || t == Long.class || t == long.class) return "a whole number";
        if (t == Double.class || t == double.class) return "a number";
        if (t == Boolean.class || t == boolean.class) return "true or false";
        if (t == Duration.class) return "a duration such as 30s, 5m or 1h30m";
        if (t == ZoneId.class) return "a time zone such as Europe/Berlin";
        if (t.isEnum()) {
            List<String> names = new ArrayList<>();
            for (Object o : t.getEnumConstants()) {
                names.add(o.toString().toLowerCase(Locale.ROOT));
            }
            return "one of " + names;
        }
        if (Collection.class.isAssignableFrom(t) || t.isArray()) return "a list";
        if (Map.class.isAssignableFrom(t) || t.isRecord()) return "a mapping (key: value)";
        return "another kind of value";
    }

    private static String shape(JsonNode n) {
        if (n == null || n.isMissingNode() || n.isNull()) return "nothing";
        if (n.isArray()) return "a list";
        if (n.isObject()) return "a mapping";
        String t = n.asText();
        return "'" + (t.length() > 40 ? t.substring(0, 40) + "…" : t) + "'";
    }
}
