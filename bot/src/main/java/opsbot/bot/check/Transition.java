package opsbot.bot.check;

import opsbot.bot.check.CheckRow.State;
import opsbot.bot.incident.Report;
import opsbot.commands.model.Sanitize;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A check's state machine, without I/O: a row and a run's outcome give the next row and, on a change worth
 * saying, the line to say. Said are: ok → failing (after {@code fail-after} failed runs in a row), failing →
 * ok (one passing run), and, while failing, a host failing that was not said yet in this spell (each host at
 * most once per spell, so a flapping host cannot flood the channel, and hosts that recover while others still
 * fail are not said: {@code !checks} shows them). Nothing else is said, however often the check runs.
 */
final class Transition {
    /** A chat line's bytes (one IRC message with room for the channel name). */
    static final int LINE_BYTES = 400;
    /** Host names a line lists before "+N more". */
    static final int HOSTS_SHOWN = 8;
    private static final DateTimeFormatter HM = DateTimeFormatter.ofPattern("HH:mm");
    private static final DateTimeFormatter DAY_HM = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm");

    /** The row after the run, and what to say (null: nothing). */
    record Change(CheckRow after, Said said) {
    }

    /** A change worth saying in the check's report places. */
    sealed interface Said {
        record Failing(List<String> hosts, String details, String notRun) implements Said {
        }

        record MoreHosts(List<String> added, List<String> all, String details) implements Said {
        }

        record Recovered(Instant failingSince, Duration failedFor) implements Said {
        }
    }

    private Transition() {
    }

    static Change next(CheckRow b, Outcome o, int failAfter, Instant at) {
        return switch (o.verdict()) {
            case INCONCLUSIVE -> new Change(new CheckRow(b.name(), b.state(), b.failures(), b.streakSince(), b.since(),
                    at, o.summary(), b.failing(), b.told(), b.seq(), b.armed()), null);
            case OK -> b.state() == State.FAILING
                    ? new Change(new CheckRow(b.name(), State.OK, 0, null, at, at, o.summary(), List.of(), List.of(),
                    b.seq() + 1, b.armed()), new Said.Recovered(b.since(), Duration.between(b.since(), at)))
                    : new Change(new CheckRow(b.name(), State.OK, 0, null, b.since(), at, o.summary(), List.of(), List.of(),
                    b.seq(), b.armed()), null);
            case FAILED -> failed(b, o, failAfter, at);
        };
    }

    private static Change failed(CheckRow b, Outcome o, int failAfter, Instant at) {
        int failures = b.failures() + 1;
        Instant streak = b.streakSince() != null ? b.streakSince() : at;
        List<String> hosts = List.copyOf(o.failing().keySet());
        String notRun = hosts.isEmpty() ? o.summary() : null;
        if (b.state() == State.OK) {
            if (failures < failAfter) {
                return new Change(new CheckRow(b.name(), State.OK, failures, streak, b.since(), at, o.summary(), hosts,
                        List.of(), b.seq(), b.armed()), null);
            }
            return new Change(new CheckRow(b.name(), State.FAILING, failures, streak, streak, at, o.summary(), hosts, hosts,
                    b.seq() + 1, b.armed()), new Said.Failing(hosts, o.details(hosts), notRun));
        }
        Set<String> told = new LinkedHashSet<>(b.told());
        List<String> added = hosts.stream().filter(h -> !told.contains(h)).toList();
        told.addAll(added);
        CheckRow after = new CheckRow(b.name(), State.FAILING, failures, streak, b.since(), at, o.summary(), hosts,
                new ArrayList<>(told), added.isEmpty() ? b.seq() : b.seq() + 1, b.armed());
        return new Change(after, added.isEmpty() ? null : new Said.MoreHosts(added, hosts, o.details(added)));
    }

    /** The line for {@code said} about check {@code name}; times in {@code zone} (the bot's), bounded. */
    static String text(String name, Said said, ZoneId zone, Instant now) {
        String line = switch (said) {
            case Said.Failing f -> "check " + name + " failing" + (f.hosts().isEmpty() ? "" : " on " + hosts(f.hosts()))
                    + ": " + (f.notRun() != null ? f.notRun() : f.details());
            case Said.MoreHosts m -> "check " + name + " still failing, now also on " + hosts(m.added())
                    + (m.all().size() > m.added().size() ? " (failing on " + m.all().size() + " hosts)" : "")
                    + ": " + m.details();
            case Said.Recovered r -> "check " + name + " ok again (failing since " + opsbot.bot.schedule.Times.both(r.failingSince(), zone, now)
                    + ", " + Report.human(r.failedFor()) + ")";
        };
        return Sanitize.capBytes(line, LINE_BYTES);
    }

    static String hosts(List<String> hosts) {
        if (hosts.size() <= HOSTS_SHOWN) {
            return String.join(", ", hosts);
        }
        return String.join(", ", hosts.subList(0, HOSTS_SHOWN)) + " +" + (hosts.size() - HOSTS_SHOWN) + " more";
    }

    /** {@code 03:12}, with the date when not today (in {@code zone}). */
    static String clock(Instant at, ZoneId zone, Instant now) {
        ZonedDateTime z = at.atZone(zone);
        return (z.toLocalDate().equals(now.atZone(zone).toLocalDate()) ? HM : DAY_HM).format(z);
    }
}
