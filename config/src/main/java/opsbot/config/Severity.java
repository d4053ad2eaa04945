package opsbot.config;

import java.util.Locale;

/** How bad an event is, in order: {@code info} < {@code warning} < {@code error} < {@code critical}. */
public enum Severity {
    INFO, WARNING, ERROR, CRITICAL;

    /** The lower-case word used on the wire and in chat. */
    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }

    public boolean atLeast(Severity other) {
        return compareTo(other) >= 0;
    }

    /** The severity named by {@code word} (any case), or null when it names none. */
    public static Severity of(String word) {
        if (word == null) return null;
        for (Severity s : values()) {
            if (s.name().equalsIgnoreCase(word.strip())) return s;
        }
        return null;
    }
}
