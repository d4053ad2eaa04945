package opsbot.bot.outbox;

import java.nio.charset.StandardCharsets;

/**
 * A broadcast is one line where lines have a size (IRC): line breaks become spaces, and text longer than the
 * line is cut at a character boundary (never inside a UTF-8 sequence) and ends in "…", instead of running on
 * over several lines and spending the target's line budget several times.
 */
final class OneLine {
    static final String MORE = "…";
    private static final int MORE_BYTES = MORE.getBytes(StandardCharsets.UTF_8).length;

    private OneLine() {
    }

    /** {@code s} as one line of at most {@code maxBytes} UTF-8 bytes. */
    static String of(String s, int maxBytes) {
        String line = s.replaceAll("[\\r\\n\\x00]+", " ").strip();
        if (bytes(line) <= maxBytes) {
            return line;
        }
        return prefix(line, maxBytes - MORE_BYTES) + MORE;
    }

    /** The longest beginning of {@code s} within {@code maxBytes} UTF-8 bytes, whole characters only. */
    static String prefix(String s, int maxBytes) {
        int used = 0, end = 0;
        while (end < s.length()) {
            int cp = s.codePointAt(end);
            int b = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            if (used + b > maxBytes) break;
            used += b;
            end += Character.charCount(cp);
        }
        return s.substring(0, end);
    }

    static int bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }
}
