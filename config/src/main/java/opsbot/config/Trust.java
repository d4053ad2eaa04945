package opsbot.config;

/** How far a channel or room is trusted. Unknown channels are {@link #SHARED}. */
public enum Trust {
    /** Operations channel: change commands allowed (subject to roles). */
    OPS,
    /** Shared with other departments: read commands only, whoever asks. */
    SHARED;

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
