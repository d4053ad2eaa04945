package opsbot.commands.ssh;

import opsbot.config.Durations;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Hosts that could not be reached moments ago. Eight commands for a dead host in a row should cost one
 * connect timeout, not eight: for {@code remember} after a failed connect, further commands are answered
 * at once ("unreachable 4s ago, not retried yet"). One entry per host name of the inventory.
 */
final class RecentFailures {
    private final Duration remember;
    private final Clock clock;
    private final Map<String, Failure> failures = new ConcurrentHashMap<>();

    private record Failure(Instant at, String detail) {
    }

    RecentFailures(Duration remember, Clock clock) {
        this.remember = remember;
        this.clock = clock;
    }

    void failed(String host, String detail) {
        failures.put(host, new Failure(clock.instant(), detail));
    }

    void reached(String host) {
        failures.remove(host);
    }

    /** The answer for a host that failed within {@code remember}, if it did. */
    Optional<ExecResult.NotRun> recent(String host) {
        Failure f = failures.get(host);
        if (f == null) {
            return Optional.empty();
        }
        Duration ago = Duration.between(f.at(), clock.instant());
        if (ago.compareTo(remember) >= 0 || ago.isNegative()) {
            failures.remove(host, f);
            return Optional.empty();
        }
        Duration next = remember.minus(ago);
        return Optional.of(new ExecResult.NotRun(ExecResult.Why.NOT_RETRIED, seconds(ago) + " ago (" + f.detail()
                + "), not retried yet; next try in " + seconds(next), Duration.ZERO));
    }

    /** Whole seconds, at least 1s: "0s ago" reads as a bug. */
    private static String seconds(Duration d) {
        return Durations.format(Duration.ofSeconds(Math.max(1, Math.round(d.toMillis() / 1000.0))));
    }
}
