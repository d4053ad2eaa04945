package opsbot.bot.outbox;

import java.time.Duration;

/**
 * How long a sender waits before trying a row again: doubling from {@code first}, never more than
 * {@code max}. Bounded, so a homeserver that comes back is noticed within {@code max}; never given up.
 */
public record Backoff(Duration first, Duration max) {
    public static final Backoff DEFAULT = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(20));

    public Backoff {
        if (first.isNegative() || first.isZero() || max.compareTo(first) < 0) throw new IllegalArgumentException("bad backoff");
    }

    /** The wait after the {@code attempts}-th failed attempt (1 = the first). */
    public Duration after(int attempts) {
        int doublings = Math.min(Math.max(attempts - 1, 0), 30);
        long ms = first.toMillis() << Math.min(doublings, 20);
        return ms <= 0 || ms > max.toMillis() ? max : Duration.ofMillis(ms);
    }
}
