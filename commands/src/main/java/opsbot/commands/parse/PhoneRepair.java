package opsbot.commands.parse;

/**
 * Undoes what phone keyboards do to command lines: smart quotes become plain quotes, em and en dashes
 * become hyphens (so "—K" and "–K" are "-K"), no-break and other odd spaces become spaces, and invisible
 * characters are dropped: the zero-width ones, and the bidi marks (LRM, RLM, ALM) that keyboards for
 * right-to-left languages insert on their own. The bidi embeddings, overrides and isolates are not marks:
 * they can make a line show something other than it says, so {@link Tokenizer} refuses them.
 */
public final class PhoneRepair {
    private PhoneRepair() {
    }

    public static String repair(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\u201C', '\u201D', '\u201E', '\u201F', '\u00AB', '\u00BB', '\u2033' -> b.append('"');
                case '\u2018', '\u2019', '\u201A', '\u201B', '\u2032' -> b.append('\'');
                case '\u2014', '\u2013', '\u2012', '\u2015', '\u2212', '\uFE63', '\uFF0D' -> b.append('-');
                case '\u00A0', '\u2007', '\u202F', '\u2009', '\u200A', '\u3000' -> b.append(' ');
                case '\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF', '\u200E', '\u200F', '\u061C' -> {
                    // zero-width: drop
                }
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
