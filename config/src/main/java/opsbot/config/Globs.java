package opsbot.config;

import java.util.Locale;

/** Shell-style {@code *} and {@code ?} patterns, case-insensitive, for routes and silences. */
public final class Globs {
    private Globs() {
    }

    public static boolean matches(String glob, String text) {
        if (text == null) return false;
        return match(glob.toLowerCase(Locale.ROOT), 0, text.toLowerCase(Locale.ROOT), 0);
    }

    // Iterative with one back-track point: linear-ish, no regex built from config text.
    private static boolean match(String g, int gi, String t, int ti) {
        int star = -1, mark = 0;
        while (ti < t.length()) {
            if (gi < g.length() && (g.charAt(gi) == '?' || g.charAt(gi) == t.charAt(ti))) {
                gi++;
                ti++;
            } else if (gi < g.length() && g.charAt(gi) == '*') {
                star = gi++;
                mark = ti;
            } else if (star >= 0) {
                gi = star + 1;
                ti = ++mark;
            } else {
                return false;
            }
        }
        while (gi < g.length() && g.charAt(gi) == '*') gi++;
        return gi == g.length();
    }
}
