package opsbot.bot.dispatch;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Host commands per person: a burst of {@code perMinute}, then one every 60/perMinute seconds (a token
 * bucket). Past that, one clear line instead of a queue. Bounded: idle people (a full bucket) are forgotten
 * once more than {@link #MAX_TRACKED} are tracked.
 */
final class RateLimiter {
    static final int MAX_TRACKED = 10_000;

    private final int perMinute;
    private final double perNano;
    private final Clock clock;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

    private static final class Bucket {
        double tokens;
        Instant at;

        Bucket(double tokens, Instant at) {
            this.tokens = tokens;
            this.at = at;
        }
    }

    RateLimiter(int perMinute, Clock clock) {
        this.perMinute = perMinute;
        this.perNano = perMinute / (double) Duration.ofMinutes(1).toNanos();
        this.clock = clock;
    }

    /** Empty if {@code who} may start a command now (it is counted), else the answer to give. */
    Optional<String> take(String who) {
        Instant now = clock.instant();
        if (buckets.size() >= MAX_TRACKED) {
            buckets.values().removeIf(b -> {
                synchronized (b) {
                    return level(b, now) >= perMinute;
                }
            });
        }
        Bucket b = buckets.computeIfAbsent(who, k -> new Bucket(perMinute, now));
        synchronized (b) {
            b.tokens = level(b, now);
            b.at = now;
            if (b.tokens >= 1) {
                b.tokens -= 1;
                return Optional.empty();
            }
            long waitSeconds = (long) Math.ceil((1 - b.tokens) / perNano / 1e9 - 1e-6); // not 2s for 1.0000001s
            return Optional.of("slow down: at most " + perMinute + " host commands a minute each; not run, try again in "
                    + Math.max(1, waitSeconds) + "s");
        }
    }

    private double level(Bucket b, Instant now) {
        long nanos = Math.max(0, Duration.between(b.at, now).toNanos());
        return Math.min(perMinute, b.tokens + nanos * perNano);
    }
}
