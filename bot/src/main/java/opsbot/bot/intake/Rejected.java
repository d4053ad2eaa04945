package opsbot.bot.intake;

/**
 * A request the intake refuses, before anything is stored: its status, the reason word counted in
 * {@code opsbot_events_rejected}, a one-line message and, for a 400, the field at fault ({@code alerts[2].labels},
 * or {@code body} for the body as a whole).
 */
final class Rejected extends Exception {
    final int status;
    final String reason;
    final String field;
    /** Seconds for a Retry-After header (503), or 0. */
    final int retryAfter;

    Rejected(int status, String reason, String message, String field, int retryAfter) {
        super(message, null, false, false);
        this.status = status;
        this.reason = reason;
        this.field = field;
        this.retryAfter = retryAfter;
    }

    static Rejected field(String field, String message) {
        return new Rejected(400, "field", message, field, 0);
    }

    static Rejected json(String message) {
        return new Rejected(400, "json", message, "body", 0);
    }

    static Rejected auth(String message) {
        return new Rejected(401, "auth", message, null, 0);
    }

    static Rejected busy(String message, int retryAfter) {
        return new Rejected(503, "busy", message, null, retryAfter);
    }
}
