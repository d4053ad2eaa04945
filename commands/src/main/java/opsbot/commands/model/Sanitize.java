package opsbot.commands.model;

/** Makes user-typed text safe to echo in one chat line: no control characters, bounded length. */
public final class Sanitize {
    private Sanitize() {
    }

    public static String forReply(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().limit(40).forEach(cp -> b.appendCodePoint(Character.isISOControl(cp) ? '?' : cp));
        return s.codePointCount(0, s.length()) > 40 ? b + "…" : b.toString();
    }

    /** True when the text has characters that no argument value may carry (controls, NUL, newlines). */
    public static boolean hasControl(String s) {
        return s.codePoints().anyMatch(cp -> Character.isISOControl(cp) || cp == 0xFFFD || cp == 0x2028 || cp == 0x2029);
    }
}
