package opsbot.config;

/** Whether a command only looks ({@code read}) or changes something ({@code change}). */
public enum Kind {
    READ, CHANGE;

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
