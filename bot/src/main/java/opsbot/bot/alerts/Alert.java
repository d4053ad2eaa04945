package opsbot.bot.alerts;

import opsbot.bot.outbox.Target;
import opsbot.config.Severity;

import java.time.Instant;
import java.util.List;

/**
 * The state folded from the events of one source and key.
 *
 * @param id      the row id; shown as {@code A} + id ({@code A12}), phone-typable
 * @param count   events folded into it since it opened
 * @param targets the channels and rooms its routes name (where it is said, and where its pages go)
 * @param ackedBy the identity key ({@code Identity.key()}) of who acknowledged it, or null
 */
public record Alert(long id, String source, String key, Severity severity, String host, String summary, State state,
                    Instant firstAt, Instant lastAt, int count, List<Target> targets, String ackedBy) {
    public enum State { OPEN, ACKNOWLEDGED, RESOLVED }

    public Alert {
        targets = List.copyOf(targets);
    }

    /** The short id shown in chat. */
    public String shortId() {
        return "A" + id;
    }
}
