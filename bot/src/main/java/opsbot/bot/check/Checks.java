package opsbot.bot.check;

import opsbot.bot.chat.Message;
import opsbot.bot.dispatch.Dispatcher;
import opsbot.bot.dispatch.Extension;
import opsbot.bot.dispatch.Request;
import opsbot.bot.dispatch.Toolbox;
import opsbot.bot.incident.Actor;
import opsbot.bot.incident.EntryKind;
import opsbot.bot.outbox.Item;
import opsbot.bot.outbox.Target;
import opsbot.bot.schedule.Schedule;
import opsbot.bot.schedule.Times;
import opsbot.commands.model.Builtin;
import opsbot.commands.model.Sanitize;
import opsbot.commands.policy.CommandRef;
import opsbot.commands.policy.Identity;
import opsbot.commands.policy.Venue;
import opsbot.commands.ssh.FanOut;
import opsbot.config.CheckSpec;
import opsbot.config.OpsbotConfig;
import opsbot.config.Role;
import opsbot.config.Trust;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Health checks declared in the config: each runs its read command on its own timer, as the bot's system
 * identity {@code check:NAME} through the one door, and says a change of state (see {@link Transition}) in its
 * report channels and rooms through the outbox, in the same store transaction as the state change. What is
 * said also goes into the active incident, if one is open (a check never opens one). {@code !checks} lists
 * them.
 *
 * <p>The door: a check is not a person, so it has no role of its own; the config (whose author chose the
 * command, and whose loader refuses change commands in checks) stands in for it. The door is asked about the
 * check (with its command's kind, role viewer) in the check's own venue {@code system check:NAME} of shared
 * trust, so the policy still refuses anything but a read, at every run.
 */
public final class Checks implements Extension {
    private static final Logger log = LoggerFactory.getLogger(Checks.class);
    /** The schedule's kind for check timers; the timer's id is the check's name. */
    public static final String KIND = "check";
    /** The network name of the checks' own venue: no chat network has it. */
    public static final String SYSTEM = "system";

    private final OpsbotConfig cfg;
    private final Toolbox tools;
    private final Schedule schedule;
    private final Map<String, CheckSpec> specs = new LinkedHashMap<>();
    /** Checks running now: a firing that finds its check still running is skipped, never stacked. */
    private final Set<String> running = ConcurrentHashMap.newKeySet();

    /** What one firing did. */
    public sealed interface Run {
        /** The check ran; {@code said} is the line said in its report places, or null. */
        record Done(CheckRow.State state, int failures, String said) implements Run {
        }

        /** Its previous run was still going. */
        record Skipped() implements Run {
        }
    }

    Checks(OpsbotConfig cfg, Toolbox tools, Schedule schedule) {
        this.cfg = cfg;
        this.tools = tools;
        this.schedule = schedule;
        cfg.checks().forEach(c -> specs.put(c.name(), c));
    }

    /**
     * Registers the checks' timer handler and {@code !checks}, and arms the timers (before the schedule starts):
     * every configured check gets one, a changed schedule replaces it, a check gone from the config loses it.
     */
    public static Checks install(OpsbotConfig cfg, Dispatcher dispatcher, Schedule schedule) {
        Checks c = new Checks(cfg, dispatcher.toolbox(), schedule);
        schedule.on(KIND, c::fire);
        dispatcher.extend(c);
        c.arm();
        return c;
    }

    /** The schedule a check's timer is made with, as stored: a change re-arms the timer. */
    String armedAs(CheckSpec c) {
        return c.every() != null ? "every " + c.every() : "cron " + c.quartzCron() + " " + c.zone(cfg.bot());
    }

    void arm() {
        Set<String> timers = schedule.ids(KIND);
        Instant now = tools.clock().instant();
        Map<String, CheckRow> rows = tools.store().transaction("read the checks", CheckRow::all);
        List<CheckRow> changed = new ArrayList<>();
        for (CheckSpec c : specs.values()) {
            CheckRow row = rows.getOrDefault(c.name(), CheckRow.fresh(c.name(), now));
            String how = armedAs(c);
            if (!timers.contains(c.name()) || !how.equals(row.armed())) {
                if (c.every() != null) {
                    schedule.every(KIND, c.name(), c.every());
                } else {
                    schedule.cron(KIND, c.name(), c.quartzCron(), c.zone(cfg.bot()));
                }
                log.info("check {}: timer {} ({})", c.name(), row.armed() == null ? "armed" : "re-armed", how);
                changed.add(row.armed(how));
            }
            targets(c); // says in the log now where a report place has no network
        }
        for (CheckRow row : rows.values()) {
            if (!specs.containsKey(row.name()) && (row.armed() != null || row.state() != CheckRow.State.OK)) {
                changed.add(row.forgotten(now)); // if it comes back, it starts clean (and its keys go on counting)
            }
        }
        for (String id : timers) {
            if (!specs.containsKey(id)) {
                schedule.cancel(KIND, id);
                log.info("check {}: no longer in the config; its timer is removed", id);
            }
        }
        // Saved after the timers (the schedule has not started, so no run writes meanwhile): a crash in between
        // leaves a row whose armed schedule differs, and the next start arms that timer again.
        tools.store().transaction("arm the checks", db -> {
            for (CheckRow row : changed) {
                row.save(db);
            }
            return null;
        });
    }

    private void fire(Schedule.Firing f) {
        CheckSpec c = specs.get(f.id());
        if (c == null) {
            schedule.cancel(KIND, f.id()); // armed by an earlier config; arm() removes these at start
            return;
        }
        run(c.name());
    }

    /** Runs check {@code name} now, unless its previous run is still going. */
    public Run run(String name) {
        CheckSpec c = specs.get(name);
        if (c == null) {
            throw new IllegalArgumentException("no check " + name);
        }
        if (!running.add(name)) {
            log.warn("check {}: its previous run is still going; this run is skipped", name);
            return new Run.Skipped();
        }
        try {
            Instant at = tools.clock().instant();
            Outcome o = execute(c);
            List<Target> to = targets(c);
            ZoneId zone = cfg.bot().timezone();
            Transition.Change ch = tools.store().transaction("record a check run", db -> {
                CheckRow before = CheckRow.find(db, name);
                Transition.Change next = Transition.next(before != null ? before : CheckRow.fresh(name, at), o,
                        c.failAfter(), at);
                next.after().save(db);
                if (next.said() != null) {
                    String text = Transition.text(name, next.said(), zone, at);
                    for (Target t : to) {
                        tools.outbox().enqueue(db, Item.of(t, "check-" + name + "-" + next.after().seq(), Message.plain(text)));
                    }
                }
                return next;
            });
            String said = null;
            if (ch.said() != null) {
                said = Transition.text(name, ch.said(), zone, at);
                to.forEach(tools.outbox()::wake);
                log.info("check {}: {}", name, Sanitize.forLog(said, 400));
                // After the state's transaction: the incident log keeps its own chain in its own transaction.
                tools.incidents().log(EntryKind.NOTE, new Actor("check " + name, SYSTEM, null), said);
            }
            return new Run.Done(ch.after().state(), ch.after().failures(), said);
        } finally {
            running.remove(name);
        }
    }

    private Outcome execute(CheckSpec c) {
        Identity who = new Identity.Local("check:" + c.name());
        Venue venue = new Venue(SYSTEM, "check:" + c.name(), Trust.SHARED);
        Toolbox.Planned p = tools.planAsBot(who, venue, c.run(),
                spec -> new CommandRef("check " + c.name() + " (" + spec.name() + ")", spec.kind(), Role.VIEWER));
        return switch (p) {
            case Toolbox.Planned.Refused r -> {
                log.warn("check {}: not run: {}", c.name(), Sanitize.forLog(r.reason()));
                yield Outcome.notRun(r.reason());
            }
            case Toolbox.Planned.Ok ok -> {
                List<FanOut.StepResult> results = tools.run(ok.plan());
                yield Outcome.of(results);
            }
        };
    }

    /**
     * Where a check reports: each name on the network that joins it (an IRC channel of {@code irc.channels}, a
     * Matrix room of {@code matrix.rooms}), spelled as there. A name no attached network config has is told in
     * the log (the config check refuses it; the demo has no networks).
     */
    List<Target> targets(CheckSpec c) {
        List<Target> out = new ArrayList<>();
        for (String place : c.report()) {
            int before = out.size();
            if (cfg.irc() != null) {
                cfg.irc().channels().stream().filter(ch -> ch.equalsIgnoreCase(place)).findFirst()
                        .ifPresent(ch -> out.add(new Target("irc", ch)));
            }
            if (cfg.matrix() != null) {
                cfg.matrix().rooms().stream().filter(r -> r.equalsIgnoreCase(place)).findFirst()
                        .ifPresent(r -> out.add(new Target("matrix", r)));
            }
            if (out.size() == before) {
                log.debug("check {}: report place {} is on no configured network; not said there", c.name(), place);
            }
        }
        return out;
    }

    // --- !checks -------------------------------------------------------------------------------------------

    @Override
    public Set<Builtin> answers() {
        return Set.of(Builtin.CHECKS);
    }

    @Override
    public List<String> answer(Request r) {
        if (specs.isEmpty()) {
            return List.of("no health checks are configured");
        }
        Instant now = tools.clock().instant();
        ZoneId zone = r.caller().person() != null ? r.caller().person().zone(cfg.bot()) : cfg.bot().timezone();
        Map<String, CheckRow> rows = tools.store().transaction("read the checks", CheckRow::all);
        if (!r.args().isEmpty()) {
            String name = r.args().get(0).toLowerCase(Locale.ROOT);
            CheckSpec c = specs.get(name);
            if (c == null) {
                return List.of("no check " + Sanitize.forReply(r.args().get(0)) + "; checks: " + String.join(", ", specs.keySet()));
            }
            return detail(c, rows.get(name), zone, now);
        }
        long failing = specs.keySet().stream().filter(n -> rows.containsKey(n) && rows.get(n).state() == CheckRow.State.FAILING).count();
        List<String> out = new ArrayList<>();
        out.add(specs.size() + (specs.size() == 1 ? " check" : " checks") + ", " + (failing == 0 ? "none" : failing)
                + " failing (!checks NAME for the last result)");
        for (CheckSpec c : specs.values()) {
            out.add(line(c, rows.get(c.name()), zone, now));
        }
        return out;
    }

    private String line(CheckSpec c, CheckRow row, ZoneId zone, Instant now) {
        StringBuilder b = new StringBuilder(c.name()).append(": ");
        if (row == null || row.lastRun() == null) {
            b.append("not run yet");
        } else if (row.state() == CheckRow.State.FAILING) {
            b.append("✗ failing for ").append(ago(Duration.between(row.since(), now)));
            if (!row.failing().isEmpty()) b.append(" on ").append(Transition.hosts(row.failing()));
        } else {
            b.append("✓ ok");
            if (row.failures() > 0) {
                b.append(" (").append(row.failures()).append(" of ").append(c.failAfter())
                        .append(" failures before failing, on ").append(Transition.hosts(row.failing())).append(")");
            }
        }
        if (running.contains(c.name())) b.append(" · running now");
        if (row != null && row.lastRun() != null) b.append(" · last run ").append(ago(Duration.between(row.lastRun(), now))).append(" ago");
        b.append(" · next ").append(schedule.next(KIND, c.name()).map(t -> Times.both(t, zone, now)).orElse("none (no timer)"));
        return b.toString();
    }

    private List<String> detail(CheckSpec c, CheckRow row, ZoneId zone, Instant now) {
        List<String> out = new ArrayList<>();
        out.add(line(c, row, zone, now));
        out.add("runs: " + c.run() + " · " + (c.every() != null ? "every " + opsbot.config.Durations.format(c.every())
                : "cron " + c.cron() + " (" + c.zone(cfg.bot()) + ")") + " · fail-after " + c.failAfter()
                + " · reports to " + String.join(", ", c.report()));
        if (row != null && row.lastSummary() != null) {
            out.add("last result: " + row.lastSummary());
        }
        if (row != null && row.state() == CheckRow.State.FAILING) {
            out.add("failing since " + Times.both(row.since(), zone, now));
        }
        return out;
    }

    /** {@code 45s}, {@code 3m}, {@code 2h10m}, {@code 3d4h}: how long ago, to the unit that matters. */
    static String ago(Duration d) {
        long s = Math.max(0, d.toSeconds());
        if (s < 60) return s + "s";
        if (s < 3600) return (s / 60) + "m";
        if (s < 86400) return (s / 3600) + "h" + (s % 3600 / 60 == 0 ? "" : (s % 3600 / 60) + "m");
        return (s / 86400) + "d" + (s % 86400 / 3600 == 0 ? "" : (s % 86400 / 3600) + "h");
    }
}
