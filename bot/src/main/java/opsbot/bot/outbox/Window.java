package opsbot.bot.outbox;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A target's line budget: at most {@code perMinute} budget lines in any 60 seconds, a sliding window over the
 * send times of the newest lines (kept in the store, so a restart does not refill the budget). Sliding rather
 * than per calendar minute: fixed minutes allow twice the budget across a minute's edge (a burst at 12:00:59
 * and another at 12:01:00), and a network's flood limit does not care where minutes begin.
 *
 * <p>Duty's page budget ({@code opsbot.bot.duty.PageLines}) is the same window over a target's page lines.
 *
 * @param recent the send times of the newest budget lines to the target, newest first, at most {@code perMinute}
 */
public record Window(int perMinute, List<Instant> recent) {
    public static final Duration SPAN = Duration.ofSeconds(60);

    /**
     * When the window last had or will have room again: the {@code perMinute}-th newest line leaves it 60 s
     * after it was sent. Null when fewer lines than that were ever sent (there was always room).
     */
    public Instant freeAt() {
        return recent.size() < perMinute ? null : recent.get(perMinute - 1).plus(SPAN);
    }

    /** Whether one more line may go at {@code now}. */
    public boolean free(Instant now) {
        Instant f = freeAt();
        return f == null || !f.isAfter(now);
    }

    /** Whether a row made at {@code created} had to wait for this budget: it was made while the window was full. */
    boolean held(Instant created) {
        Instant f = freeAt();
        return f != null && created.isBefore(f);
    }
}
