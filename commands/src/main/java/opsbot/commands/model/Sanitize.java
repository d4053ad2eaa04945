package opsbot.commands.model;

/**
 * Makes text safe for where it goes: one chat line echoing what someone typed, host output shown in chat,
 * a line of the bot's log. Text from chat or from a host is never trusted to be printable.
 */
public final class Sanitize {
    /** How much of a chat line a log line keeps. */
    public static final int LOG_CHARS = 200;
    private static final String ELLIPSIS = "…";

    private Sanitize() {
    }

    public static String forReply(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().limit(40).forEach(cp -> b.appendCodePoint(Character.isISOControl(cp) || isBidiControl(cp) ? '?' : cp));
        return s.codePointCount(0, s.length()) > 40 ? b + "…" : b.toString();
    }

    /** True when the text has characters that no argument value may carry (controls, NUL, newlines, bidi controls). */
    public static boolean hasControl(String s) {
        return s.codePoints().anyMatch(cp -> Character.isISOControl(cp) || cp == 0xFFFD || cp == 0x2028 || cp == 0x2029
                || isBidiControl(cp));
    }

    /**
     * The invisible characters that steer bidirectional display: the marks (ALM U+061C, LRM U+200E, RLM
     * U+200F) and the embeddings, overrides and isolates (U+202A–202E, U+2066–2069). With them a line can
     * show something other than what it says ("Trojan Source").
     */
    public static boolean isBidiControl(int cp) {
        return cp == 0x061C || cp == 0x200E || cp == 0x200F || isBidiOverride(cp);
    }

    /** Embeddings, overrides and isolates: they reorder everything after them, not just themselves. */
    public static boolean isBidiOverride(int cp) {
        return cp >= 0x202A && cp <= 0x202E || cp >= 0x2066 && cp <= 0x2069;
    }

    /** The first embedding, override or isolate in {@code s} as {@code U+202E}, or null when there is none. */
    public static String bidiOverride(String s) {
        return s.codePoints().filter(Sanitize::isBidiOverride).mapToObj(Sanitize::codePointName).findFirst().orElse(null);
    }

    /** {@code s} without bidi controls (text that is kept rather than refused, e.g. a note in a thread). */
    public static String withoutBidi(String s) {
        if (s.codePoints().noneMatch(Sanitize::isBidiControl)) {
            return s;
        }
        StringBuilder b = new StringBuilder(s.length());
        s.codePoints().filter(cp -> !isBidiControl(cp)).forEach(b::appendCodePoint);
        return b.toString();
    }

    /**
     * Chat text for one log line: nothing that a terminal or a log reader would take as a line break or a
     * control (CR, LF, NEL, U+2028, ESC, bidi controls, zero-width characters), so nobody can forge a log
     * line by typing one. Such characters become visible escapes: backslash-n for LF, backslash-u202E for
     * U+202E. A backslash is doubled, so an escape cannot be faked either. Bounded to {@link #LOG_CHARS} code points. Null stays "null".
     */
    public static String forLog(String s) {
        return forLog(s, LOG_CHARS);
    }

    /** {@link #forLog(String)} bounded to {@code maxChars} code points (e.g. an exception that quotes a line). */
    public static String forLog(String s, int maxChars) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder(Math.min(s.length(), maxChars) + 16);
        int n = 0;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (n++ == maxChars) {
                b.append("…(+").append(s.codePointCount(i - Character.charCount(cp), s.length())).append(" chars)");
                break;
            }
            switch (cp) {
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (unsafeInLog(cp)) b.append(String.format("\\u%04X", cp));
                    else b.appendCodePoint(cp);
                }
            }
        }
        return b.toString();
    }

    private static boolean unsafeInLog(int cp) {
        return switch (Character.getType(cp)) {
            case Character.CONTROL, Character.FORMAT, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
                 Character.SURROGATE -> true;
            default -> false;
        };
    }

    /**
     * {@code s} in at most {@code maxBytes} bytes of UTF-8: as it is when it fits, else cut on a code point
     * boundary and ended with "…" (the ellipsis counted in the budget).
     */
    public static String capBytes(String s, int maxBytes) {
        if (utf8Length(s) <= maxBytes) {
            return s;
        }
        int budget = maxBytes - utf8Length(ELLIPSIS);
        int bytes = 0, cut = 0;
        while (cut < s.length()) {
            int cp = s.codePointAt(cut);
            int len = utf8Length(cp);
            if (bytes + len > budget) break;
            bytes += len;
            cut += Character.charCount(cp);
        }
        return s.substring(0, cut) + ELLIPSIS;
    }

    /** Bytes of {@code s} in UTF-8, without encoding it (a lone surrogate counts as the "?" it becomes). */
    public static int utf8Length(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            n += utf8Length(cp);
            i += Character.charCount(cp);
        }
        return n;
    }

    private static int utf8Length(int cp) {
        if (cp < 0x80) return 1;
        if (cp < 0x800) return 2;
        if (cp < 0x10000) return Character.isSurrogate((char) cp) ? 1 : 3;
        return 4;
    }

    private static String codePointName(int cp) {
        return String.format("U+%04X", cp);
    }
}
