package opsbot.bot.dispatch;

import opsbot.commands.policy.Identity;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Host commands per person: a burst of {@code perMinute}, then one every 60/perMinute seconds (a token
 * bucket). Past that, one clear line instead of a queue. Everyone a network does not vouch for shares one
 * bucket there (see {@link #keyOf}): a nick is free to change, so a bucket per nick would be no limit.
 *
 * <p>Bounded: at most {@link #MAX_TRACKED} buckets; past that the one used longest ago is forgotten. A
 * bucket left alone for a minute is full again, so forgetting it changes nothing; one forgotten sooner means
 * {@code MAX_TRACKED} others (distinct accounts) were active since, and its owner starts again from a burst.
 */
final class RateLimiter {
    static final int MAX_TRACKED = 10_000;
    private static final String ANONYMOUS = "anonymous@";

    private final int perMinute;
    private final double perNano;
    private final Clock clock;
    /** In access order: the eldest is the one used longest ago. Guarded by {@code this}. */
    private final Map<String, Bucket> buckets = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Bucket> eldest) {
            return size() > MAX_TRACKED;
        }
    };

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

    /**
     * Whose bucket a command is counted in: the person's (whatever account or network they write from), else
     * the identity's; all anonymous senders of one network share one.
     */
    static String keyOf(String person, Identity who) {
        if (person != null) {
            return "person:" + person;
        }
        return who instanceof Identity.Anonymous a ? ANONYMOUS + a.network() : who.key();
    }

    /** Empty if {@code key} (from {@link #keyOf}) may start a command now (it is counted), else the answer to give. */
    synchronized Optional<String> take(String key) {
        Instant now = clock.instant();
        Bucket b = buckets.computeIfAbsent(key, k -> new Bucket(perMinute, now));
        b.tokens = level(b, now);
        b.at = now;
        if (b.tokens >= 1) {
            b.tokens -= 1;
            return Optional.empty();
        }
        long waitSeconds = (long) Math.ceil((1 - b.tokens) / perNano / 1e9 - 1e-6); // not 2s for 1.0000001s
        String limit = key.startsWith(ANONYMOUS)
                ? "at most " + perMinute + " host commands a minute for everyone not logged in here, together"
                : "at most " + perMinute + " host commands a minute each";
        return Optional.of("slow down: " + limit + "; not run, try again in " + Math.max(1, waitSeconds) + "s");
    }

    synchronized int tracked() {
        return buckets.size();
    }

    private double level(Bucket b, Instant now) {
        long nanos = Math.max(0, Duration.between(b.at, now).toNanos());
        return Math.min(perMinute, b.tokens + nanos * perNano);
    }
}
