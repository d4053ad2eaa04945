package opsbot.bot.followup;

import opsbot.bot.dispatch.Dispatcher;
import opsbot.bot.dispatch.Extension;
import opsbot.bot.dispatch.Request;
import opsbot.bot.dispatch.Toolbox;
import opsbot.bot.followup.FollowUp.Kind;
import opsbot.bot.followup.FollowUp.State;
import opsbot.bot.incident.Actor;
import opsbot.bot.incident.EntryKind;
import opsbot.bot.incident.Incident;
import opsbot.bot.schedule.Schedule;
import opsbot.bot.schedule.Times;
import opsbot.bot.schedule.When;
import opsbot.commands.model.Builtin;
import opsbot.commands.model.Sanitize;
import opsbot.commands.policy.CommandRef;
import opsbot.commands.policy.Identity;
import opsbot.config.Durations;
import opsbot.config.Person;
import opsbot.config.Role;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Follow-ups from chat: {@code !remind 30m check compute4}, {@code !in 30m srv c4 start} (confirmed now, run
 * later as the asker and checked again then), {@code !followups}, {@code !cancel F12}, {@code !run F12},
 * {@code !snooze F12 10m}. Rows in the store are the truth; the {@link Schedule} only says when to look.
 */
public final class FollowUps implements Extension {
    private static final Logger log = LoggerFactory.getLogger(FollowUps.class);
    /** The schedule's kind for follow-up timers. */
    public static final String KIND = "followup";
    /** The schedule's kind for the minute's check that every pending follow-up has a timer. */
    static final String SWEEP = "followup-sweep";
    /** Pending follow-ups per person, at most. */
    static final int PER_PERSON = 200;
    /** {@code !followups} lists at most this many (soonest first) and says how many more there are. */
    static final int LIST_LIMIT = 30;
    /** A reminder's text, at most. */
    static final int MAX_TEXT = 400;

    private final Toolbox tools;
    private final Schedule schedule;
    private final FollowUpStore rows;
    private final FollowUpRunner runner;
    /**
     * {@code !run} and the start-up announcements run here, off the asker's lane. Not waited for at a stop: a
     * command cut off stays "running" and is found "unknown" at the next start.
     */
    private final ExecutorService work = Executors.newVirtualThreadPerTaskExecutor();

    private FollowUps(Toolbox tools, Schedule schedule) {
        this.tools = tools;
        this.schedule = schedule;
        this.rows = new FollowUpStore(tools.store());
        this.runner = new FollowUpRunner(tools, rows);
    }

    /**
     * Registers the timers' handler and the chat commands, and settles what the last run left: a follow-up found
     * running becomes "outcome unknown" (said once its network is there; never re-run), and every pending one
     * without a timer gets one. Before the schedule starts.
     */
    public static FollowUps install(Dispatcher dispatcher, Schedule schedule) {
        FollowUps f = new FollowUps(dispatcher.toolbox(), schedule);
        schedule.on(KIND, f::fire);
        // Re-armed after Quartz's own recovery at start, and every minute: a pending row is never left without a
        // timer (a crash as its timer fired, a handler that failed, a timer that could not be armed).
        schedule.on(SWEEP, x -> f.rearm());
        schedule.afterStart(() -> {
            f.rearm();
            schedule.every(SWEEP, "pending", Duration.ofMinutes(1));
        });
        List<FollowUp> cut = f.rows.inState(State.RUNNING, Integer.MAX_VALUE);
        if (!cut.isEmpty()) {
            f.work.execute(() -> cut.forEach(fu -> {
                try {
                    f.runner.unknown(fu);
                } catch (RuntimeException e) {
                    log.error("follow-up {}: cannot mark its outcome unknown", fu.tag(), e);
                }
            }));
        }
        dispatcher.extend(f);
        return f;
    }

    /** A timer for every pending follow-up that has none (a crash between storing it and arming it). */
    void rearm() {
        Set<String> armed = new HashSet<>(schedule.ids(KIND));
        int n = 0;
        for (long[] row : rows.dueTimes(State.PENDING)) {
            String id = "F" + row[0];
            if (!armed.contains(id)) {
                schedule.at(KIND, id, Instant.ofEpochMilli(row[1]));
                n++;
            }
        }
        if (n > 0) log.info("follow-ups: {} pending without a timer; armed again", n);
    }

    private void fire(Schedule.Firing f) {
        Optional<Long> id = FollowUp.parseId(f.id(), false);
        Optional<FollowUp> fu = id.flatMap(rows::find);
        if (fu.isEmpty() || fu.get().state() != State.PENDING) {
            return; // cancelled, run by hand, or a second firing: the row says it is not due
        }
        if (fu.get().dueAt().isAfter(f.at().plusSeconds(1))) {
            // Snoozed while this timer was on its way: the new one (armed by the snooze) fires at the new time.
            if (schedule.next(KIND, f.id()).isEmpty()) schedule.at(KIND, f.id(), fu.get().dueAt());
            return;
        }
        runner.fire(f, fu.get());
    }

    @Override
    public Set<Builtin> answers() {
        return Set.of(Builtin.REMIND, Builtin.IN, Builtin.FOLLOWUPS, Builtin.RUN, Builtin.SNOOZE);
    }

    @Override
    public List<String> answer(Request r) {
        try {
            return switch (r.builtin()) {
                case REMIND -> remind(r);
                case IN -> in(r);
                case FOLLOWUPS -> list(r);
                case RUN -> run(r);
                case SNOOZE -> snooze(r);
                default -> List.of(r.builtin().word + ": not a follow-up command");
            };
        } catch (IllegalArgumentException e) {
            return List.of(e.getMessage());
        }
    }

    /** {@code !remind WHEN TEXT}. */
    private List<String> remind(Request r) {
        String[] parts = r.rest().split("\\s+", 2);
        if (parts.length < 2 || parts[1].isBlank()) {
            return List.of("usage: " + Builtin.REMIND.usage + " (e.g. !remind 30m check compute4, !remind 04:15 check the backup)");
        }
        String text = parts[1].strip();
        Optional<String> refused = refusedHere(r);
        if (refused.isPresent()) return List.of(refused.get());
        if (text.length() > MAX_TEXT) {
            return List.of("too long: a reminder is at most " + MAX_TEXT + " characters (" + text.length() + " given)");
        }
        Instant now = tools.clock().instant();
        ZoneId zone = zoneOf(r);
        When.Due due = When.parse(parts[0], now, zone);
        Long incident = tools.incidents().active().map(Incident::id).orElse(null);
        FollowUp fu = store(r, Kind.REMIND, due.at(), text, incident);
        return List.of(fu.tag() + " at " + Times.both(due.at(), zone, now) + ": " + text + note(due)
                + (incident != null ? " (logged into INC-" + incident + " then)" : ""));
    }

    /** {@code !in WHEN COMMAND…}: planned and shown now, stored on {@code !y}; checked again when it runs. */
    private List<String> in(Request r) {
        String[] parts = r.rest().split("\\s+", 2);
        if (parts.length < 2 || parts[1].isBlank()) {
            return List.of("usage: " + Builtin.IN.usage + " (e.g. !in 30m srv c4 start)");
        }
        Optional<String> refused = refusedHere(r);
        if (refused.isPresent()) return List.of(refused.get());
        String line = parts[1].strip();
        if (line.length() > FollowUpStore.MAX_TEXT) {
            return List.of("too long: a scheduled command is at most " + FollowUpStore.MAX_TEXT + " characters");
        }
        Instant now = tools.clock().instant();
        ZoneId zone = zoneOf(r);
        When.Due due = When.parse(parts[0], now, zone);
        Toolbox.Planned planned = tools.plan(r.in().who(), r.venue(), line);
        if (planned instanceof Toolbox.Planned.Refused no) {
            return List.of(no.reason() + " · not scheduled");
        }
        Toolbox.Planned.Ok ok = (Toolbox.Planned.Ok) planned;
        String when = Times.both(due.at(), zone, now);
        List<String> prompt = new ArrayList<>();
        ok.plan().steps().forEach(s -> prompt.add(s.host().name() + ": " + s.commandLine()));
        prompt.add("runs at " + when + " as you; your rights here are checked again then" + note(due));
        tools.confirm(r, CommandRef.of(ok.spec()), "at " + when + ": " + ok.line(), ok.plan(), prompt, yes -> {
            // The line as typed is what runs (planned again then); ok.line() is only its shortened display.
            FollowUp fu = store(r, Kind.COMMAND, due.at(), line, null);
            tools.reply(yes, List.of(fu.tag() + " at " + Times.both(due.at(), zone, tools.clock().instant()) + ": "
                    + ok.line() + " · !cancel " + fu.tag() + " to drop it"));
        });
        return List.of();
    }

    /**
     * Follow-ups are said where they were asked, mentioning the asker: not made in a private message (on IRC the
     * nick it would go to may belong to someone else by then), and at most {@link #PER_PERSON} pending per person.
     */
    private Optional<String> refusedHere(Request r) {
        if (r.venue().isPrivate()) {
            return Optional.of("follow-ups are said where they are asked, to everyone there: ask in a channel or room");
        }
        if (rows.pendingOf(r.in().who().key()) >= PER_PERSON) {
            return Optional.of("you have " + PER_PERSON + " pending follow-ups already (the most one may have); "
                    + "!followups to see them, !cancel some first");
        }
        return Optional.empty();
    }

    /** Stores it (committed), then arms its timer; a failed arming is armed again within a minute. */
    private FollowUp store(Request r, Kind kind, Instant due, String text, Long incident) {
        Person p = r.caller().person();
        FollowUp fu = rows.add(kind, due, tools.clock().instant(), r.in().who().key(), p == null ? null : p.name(),
                r.in().nick(), r.in().network(), r.in().channel(), text, incident);
        try {
            schedule.at(KIND, fu.timerId(), due);
        } catch (RuntimeException e) {
            log.error("follow-up {}: stored, but its timer could not be armed; it is armed at the next start", fu.tag(), e);
        }
        log.info("follow-up {} by {} due {}: {}", fu.tag(), Sanitize.forLog(fu.who()), due, Sanitize.forLog(fu.what()));
        return fu;
    }

    /** {@code !followups}: pending ones, soonest first, bounded; then those waiting for a person. */
    private List<String> list(Request r) {
        Instant now = tools.clock().instant();
        ZoneId zone = zoneOf(r);
        // In an ops channel, all of them; elsewhere (a shared channel, colleagues from other departments) only
        // those asked right there: what the ops channel plans is not shown to every room the bot is in.
        FollowUpStore.Where here = r.venue().trust() == opsbot.config.Trust.OPS ? null
                : new FollowUpStore.Where(r.in().network(), r.in().channel() == null ? "" : r.in().channel());
        int pending = rows.count(State.PENDING, here);
        List<String> out = new ArrayList<>();
        if (pending == 0) {
            out.add("no pending follow-ups" + (here == null ? "" : " asked here"));
        } else {
            for (FollowUp fu : rows.inState(State.PENDING, LIST_LIMIT, here)) out.add(line(fu, zone, now));
            if (pending > LIST_LIMIT) out.add(pending - LIST_LIMIT + " more (the soonest " + LIST_LIMIT + " shown)");
        }
        for (State s : List.of(State.MISSED, State.UNKNOWN)) {
            List<FollowUp> waiting = rows.inState(s, 5, here);
            for (FollowUp fu : waiting) {
                out.add(s.db() + ": " + line(fu, zone, now) + " · !run " + fu.tag() + " or !cancel " + fu.tag());
            }
            int all = waiting.size() < 5 ? waiting.size() : rows.count(s, here);
            if (all > waiting.size()) out.add(all - waiting.size() + " more " + s.db());
        }
        return out;
    }

    private static String line(FollowUp fu, ZoneId zone, Instant now) {
        return fu.tag() + " · " + Times.both(fu.dueAt(), zone, now) + " · " + fu.who() + " · " + fu.what() + " · " + fu.where();
    }

    /** {@code !cancel F12}: its own, or anyone's for an operator; pending, missed or unknown ones. */
    @Override
    public Optional<List<String>> cancel(Request r, String word) {
        Optional<Long> id = FollowUp.parseId(word, false);
        if (id.isEmpty()) return Optional.empty();
        Optional<FollowUp> found = rows.find(id.get());
        if (found.isEmpty()) return Optional.of(List.of("no follow-up F" + id.get() + " (see !followups)"));
        FollowUp fu = found.get();
        Optional<String> no = mayTouch(r, fu);
        if (no.isPresent()) return Optional.of(List.of(no.get()));
        if (!rows.move(fu.id(), State.CANCELLED, "cancelled by " + r.caller().name(), null,
                State.PENDING, State.MISSED, State.UNKNOWN)) {
            return Optional.of(List.of(fu.tag() + " is " + rows.find(fu.id()).map(x -> x.state().db()).orElse("gone")
                    + "; nothing to cancel"));
        }
        schedule.cancel(KIND, fu.timerId());
        log.info("follow-up {} cancelled by {}", fu.tag(), Sanitize.forLog(r.caller().name()));
        tools.incidents().log(EntryKind.NOTE, tools.actor(r), "cancelled " + fu.tag() + " (" + fu.who() + "'s " + fu.what() + ")");
        return Optional.of(List.of("cancelled " + fu.tag() + ": " + fu.what() + " (" + fu.who() + ")"));
    }

    /** {@code !run F12}: now, once; a command through the door as its asker, and the one who says !run may run it too. */
    private List<String> run(Request r) {
        if (r.args().size() != 1) return List.of("usage: " + Builtin.RUN.usage);
        FollowUp fu = find(r.args().get(0));
        Optional<String> no = mayTouch(r, fu);
        if (no.isPresent()) return List.of(no.get());
        State[] from = {State.PENDING, State.MISSED, State.UNKNOWN};
        if (!List.of(from).contains(fu.state())) {
            return List.of(fu.tag() + " is " + fu.state().db() + "; only a pending, missed or unknown one can be run");
        }
        // One key per !run: a second one (after an unknown outcome) is said again.
        String key = "followup-" + fu.tag() + "-run-" + tools.clock().instant().toEpochMilli();
        String note = "run by " + r.caller().name();
        if (fu.kind() == Kind.REMIND) {
            if (!runner.remind(fu, note, key, null, from)) return List.of(fu.tag() + " was changed meanwhile; see !followups");
            schedule.cancel(KIND, fu.timerId());
            return List.of("reminded: " + fu.tag());
        }
        // The runner, here, must be allowed this command too; the asker is checked by the runner (as at fire time).
        Toolbox.Planned mine = tools.plan(r.in().who(), r.venue(), fu.text());
        if (mine instanceof Toolbox.Planned.Refused refused) {
            return List.of(refused.reason() + " · not run: " + fu.tag());
        }
        schedule.cancel(KIND, fu.timerId());
        work.execute(() -> {
            try {
                runner.command(fu, note, key, null, from);
            } catch (RuntimeException e) {
                log.error("follow-up {}: !run failed", fu.tag(), e);
            }
        });
        return List.of("running " + fu.tag() + " now: " + fu.text() + " (as " + fu.who() + "; the result is posted in "
                + fu.where() + ")");
    }

    /** {@code !snooze F12 10m}: a pending one, its due time pushed back (from now, if it is overdue). */
    private List<String> snooze(Request r) {
        if (r.args().size() != 2) return List.of("usage: " + Builtin.SNOOZE.usage + " (e.g. !snooze F12 10m)");
        FollowUp fu = find(r.args().get(0));
        Optional<String> no = mayTouch(r, fu);
        if (no.isPresent()) return List.of(no.get());
        if (fu.state() != State.PENDING) return List.of(fu.tag() + " is " + fu.state().db() + "; only a pending one can be snoozed");
        Duration d;
        try {
            d = Durations.parse(r.args().get(1));
        } catch (IllegalArgumentException e) {
            return List.of("\"" + Sanitize.forLog(r.args().get(1)) + "\" is not a duration (e.g. 10m, 1h)");
        }
        Instant now = tools.clock().instant();
        Instant from = fu.dueAt().isAfter(now) ? fu.dueAt() : now;
        Instant due = from.plus(d);
        if (d.compareTo(Duration.ofSeconds(1)) < 0 || due.isAfter(now.plus(When.MAX_AHEAD))) {
            return List.of("snooze by 1s to " + Durations.format(When.MAX_AHEAD) + " ahead");
        }
        if (!rows.snooze(fu.id(), due)) return List.of(fu.tag() + " was changed meanwhile; see !followups");
        schedule.at(KIND, fu.timerId(), due);
        return List.of(fu.tag() + " now at " + Times.both(due, zoneOf(r), now) + ": " + fu.what());
    }

    private FollowUp find(String word) {
        Optional<Long> id = FollowUp.parseId(word, true);
        if (id.isEmpty()) throw new IllegalArgumentException("\"" + Sanitize.forLog(word) + "\" is not a follow-up id (F12)");
        return rows.find(id.get()).orElseThrow(() -> new IllegalArgumentException("no follow-up F" + id.get() + " (see !followups)"));
    }

    /** One's own follow-ups, or anyone's for an operator. */
    private static Optional<String> mayTouch(Request r, FollowUp fu) {
        if (fu.asker().equals(r.in().who().key()) || r.caller().role().atLeast(Role.OPERATOR)) return Optional.empty();
        return Optional.of(fu.tag() + " is " + fu.who() + "'s; only they or an operator may change it");
    }

    private ZoneId zoneOf(Request r) {
        return r.caller().person() != null ? r.caller().person().zone(tools.cfg().bot()) : tools.cfg().bot().timezone();
    }

    /** {@code who}'s zone as configured now: their own, else the bot's. */
    static ZoneId zoneOf(Toolbox tools, Identity who) {
        Person p = tools.people().find(who);
        return p != null ? p.zone(tools.cfg().bot()) : tools.cfg().bot().timezone();
    }

    private static String note(When.Due due) {
        return due.note() == null ? "" : " (" + due.note() + ")";
    }
}
