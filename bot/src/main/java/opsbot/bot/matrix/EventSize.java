package opsbot.bot.matrix;

import opsbot.bot.chat.Message;

import java.util.ArrayList;
import java.util.List;

/**
 * Keeps every message the bot sends under Matrix's event size limit (64 KiB for the whole event, as the
 * homeserver encodes it: content, sender, room, signatures). A larger event is refused by the homeserver
 * and the message is lost; here it is split into several messages or cut with a marker that says so.
 */
final class EventSize {
    /**
     * Bytes of the message text (plain and HTML, as JSON strings) in one event; the rest of the 65536 is left
     * for the event's envelope and relations.
     */
    static final int MAX_TEXT_BYTES = 60_000;

    private EventSize() {
    }

    /** Lines joined into as few message bodies as fit, in order; a line too long for a message alone is cut. */
    static List<String> bodies(List<String> lines) {
        return bodies(lines, MAX_TEXT_BYTES);
    }

    static List<String> bodies(List<String> lines, int max) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        int used = 0;
        for (String line : lines) {
            String l = cut(line, max);
            int b = jsonBytes(l) + (cur.isEmpty() ? 0 : 2); // "\n" is two bytes in JSON
            if (!cur.isEmpty() && used + b > max) {
                out.add(cur.toString());
                cur.setLength(0);
                used = 0;
                b = jsonBytes(l);
            }
            if (!cur.isEmpty()) cur.append('\n');
            cur.append(l);
            used += b;
        }
        if (!cur.isEmpty() || out.isEmpty()) out.add(cur.toString());
        return out;
    }

    /** {@code m} as it is when it fits; else without its HTML rendering; else its plain text cut, with a marker. */
    static Message fit(Message m) {
        return fit(m, MAX_TEXT_BYTES);
    }

    static Message fit(Message m, int max) {
        int plain = jsonBytes(m.plain());
        if (plain + (m.html() == null ? 0 : jsonBytes(m.html())) <= max) {
            return m;
        }
        return Message.plain(cut(m.plain(), max));
    }

    /** {@code s}, or its beginning and "… (cut: N more bytes than a Matrix message holds)" within {@code max}. */
    static String cut(String s, int max) {
        int total = jsonBytes(s);
        if (total <= max) {
            return s;
        }
        String marker = "\n… (cut: " + total + " bytes are more than one Matrix message holds)";
        int budget = max - jsonBytes(marker);
        int used = 0, end = 0;
        while (end < s.length()) {
            int cp = s.codePointAt(end);
            int b = jsonBytes(cp);
            if (used + b > budget) break;
            used += b;
            end += Character.charCount(cp);
        }
        return s.substring(0, end) + marker;
    }

    /** Bytes of {@code s} inside a JSON string, UTF-8, with the escapes a homeserver uses. */
    static int jsonBytes(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            n += jsonBytes(cp);
            i += Character.charCount(cp);
        }
        return n;
    }

    private static int jsonBytes(int cp) {
        if (cp == '"' || cp == '\\' || cp == '\n' || cp == '\r' || cp == '\t' || cp == '\b' || cp == '\f') return 2;
        if (cp < 0x20 || cp == 0x7F) return 6; // six bytes: backslash, u and four hex digits
        if (cp < 0x80) return 1;
        if (cp < 0x800) return 2;
        if (cp < 0x10000) return Character.isSurrogate((char) cp) ? 6 : 3;
        return 4;
    }
}
