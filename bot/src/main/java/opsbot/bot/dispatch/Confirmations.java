package opsbot.bot.dispatch;

import opsbot.commands.model.Plan;
import opsbot.config.Durations;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Destructive commands waiting for their author's {@code !yes}: at most one per person and place (see the
 * dispatcher's person key), each until it is confirmed, cancelled, replaced or expired.
 *
 * <p>Expiry has two guards. A timer announces it ({@code onExpired}), and {@link #take} checks the deadline
 * itself, for a {@code !yes} racing a timer that has not fired yet: a late confirmation never runs.
 */
final class Confirmations implements AutoCloseable {
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "confirm-timeouts");
        t.setDaemon(true);
        return t;
    });
    private final Clock clock;
    private final Consumer<Pending> onExpired;

    Confirmations(Clock clock, Consumer<Pending> onExpired) {
        this.clock = clock;
        this.onExpired = onExpired;
    }

    /** What a {@code !yes} finds. */
    sealed interface Taken {
        record Ready(Pending pending) implements Taken {
        }

        record TooLate(Pending pending) implements Taken {
        }

        record Nothing() implements Taken {
        }
    }

    /** Holds {@code p} for {@code key}; returns the earlier one it replaces, if any. */
    Optional<Pending> hold(String key, Pending p, Duration wait) {
        Pending replaced = pending.put(key, p);
        timers.schedule(() -> {
            if (pending.remove(key, p)) onExpired.accept(p);
        }, wait.toMillis(), TimeUnit.MILLISECONDS);
        return Optional.ofNullable(replaced);
    }

    Taken take(String key) {
        Pending p = pending.remove(key);
        if (p == null) return new Taken.Nothing();
        return clock.instant().isAfter(p.expires()) ? new Taken.TooLate(p) : new Taken.Ready(p);
    }

    Optional<Pending> cancel(String key) {
        return Optional.ofNullable(pending.remove(key));
    }

    /** The question put to the author; the command line per host when they differ (a fan-out). */
    static List<String> prompt(Plan plan, Duration wait, Optional<Pending> replaced) {
        List<String> lines = new ArrayList<>();
        lines.add("confirm with !y within " + Durations.format(wait) + ": " + plan.describe()
                + replaced.map(r -> " (replaces your earlier " + r.ref().name() + ")").orElse(""));
        if (plan.steps().size() > 1 && plan.steps().stream().map(Plan.Step::commandLine).distinct().count() > 1) {
            plan.steps().forEach(s -> lines.add(s.host().name() + ": " + s.commandLine()));
        }
        return lines;
    }

    @Override
    public void close() {
        timers.shutdownNow();
    }
}
