package opsbot.bot.followup;

import opsbot.bot.chat.ChatNetwork;
import opsbot.bot.chat.Message;
import opsbot.bot.dispatch.Toolbox;
import opsbot.bot.followup.FollowUp.Kind;
import opsbot.bot.followup.FollowUp.State;
import opsbot.bot.incident.Actor;
import opsbot.bot.incident.EntryKind;
import opsbot.bot.incident.Incident;
import opsbot.bot.incident.Incidents;
import opsbot.bot.outbox.Item;
import opsbot.bot.outbox.Target;
import opsbot.bot.schedule.Schedule;
import opsbot.bot.schedule.Times;
import opsbot.bot.store.Attempt;
import opsbot.commands.policy.Identity;
import opsbot.commands.ssh.FanOut;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What happens when a follow-up is due (or is run with {@code !run}): a reminder is posted, a command is
 * planned again as its asker (rights and the place's trust as they are now), marked running, run, and its
 * result posted. Everything said here goes through the outbox, in the transaction of the state change it
 * reports, under a key per follow-up and event ({@code followup-F12}): said once, even across a crash.
 */
final class FollowUpRunner {
    private static final Logger log = LoggerFactory.getLogger(FollowUpRunner.class);
    /** Result lines posted to the place; the incident gets them all (as a command's do). */
    static final int POSTED_LINES = 12;
    /** How long a firing right after start waits for its network to be attached (to mention as it knows them). */
    private static final Duration NETWORK_WAIT = Duration.ofSeconds(15);
    /** Later than this, a firing says how late it is even when the bot was up (an overloaded scheduler). */
    private static final Duration SAY_LATE = Duration.ofMinutes(1);

    private final Toolbox tools;
    private final FollowUpStore rows;
    private final Duration grace;

    FollowUpRunner(Toolbox tools, FollowUpStore rows) {
        this.tools = tools;
        this.rows = rows;
        this.grace = tools.cfg().bot().lateGrace();
    }

    /** The timer of {@code fu} fired (see {@link Schedule.Firing}): late, missed, or due. */
    void fire(Schedule.Firing f, FollowUp fu) {
        Duration late = f.lateFor(fu.dueAt());
        boolean down = f.downAt(fu.dueAt());
        if (down && late.compareTo(grace) > 0) {
            missed(fu, late);
            return;
        }
        String note = down ? late(late) + " late: the bot was down"
                : late.compareTo(SAY_LATE) > 0 ? late(late) + " late" : null;
        // Only if still due: snoozed after this timer left, the row is no longer due now and nothing changes.
        Instant dueBy = f.at().plusSeconds(1);
        if (fu.kind() == Kind.REMIND) {
            remind(fu, note, "followup-" + fu.tag(), dueBy, State.PENDING);
        } else {
            command(fu, note, "followup-" + fu.tag(), dueBy, State.PENDING);
        }
    }

    /** Past the grace: not run; the place is told what to do about it. */
    private void missed(FollowUp fu, Duration late) {
        Instant now = tools.clock().instant();
        ChatNetwork net = network(fu.network());
        String text = "missed while down: " + fu.tag() + " " + fu.what() + " (due " + Times.both(fu.dueAt(), zone(fu), now)
                + ", " + late(late) + " ago), !run " + fu.tag() + " or !cancel " + fu.tag();
        boolean moved = say(fu, net, text, "followup-" + fu.tag() + "-missed",
                db -> FollowUpStore.move(db, fu.id(), State.MISSED, "missed while the bot was down", null, fu.dueAt(), State.PENDING)); // not if snoozed meanwhile
        if (moved) log.info("follow-up {} missed while the bot was down ({} late); not run", fu.tag(), late(late));
    }

    /**
     * A reminder: the asker is mentioned where they asked, and it goes into the incident that was active when
     * they asked. From {@code from} to done.
     */
    boolean remind(FollowUp fu, String note, String key, Instant dueBy, State... from) {
        ChatNetwork net = network(fu.network());
        String text = "reminder " + fu.tag() + ": " + fu.text() + (note == null ? "" : " (" + note + ")");
        boolean moved = say(fu, net, text, key,
                db -> FollowUpStore.move(db, fu.id(), State.DONE, "reminded", tools.clock().instant(), dueBy, from));
        if (moved && fu.incidentId() != null) {
            try {
                Optional<Incident> inc = tools.incidents().find(fu.incidentId());
                inc.ifPresent(i -> tools.incidents().log(i, EntryKind.NOTE, Actor.bot(),
                        "reminder " + fu.tag() + " for " + fu.who() + ": " + fu.text()));
            } catch (RuntimeException e) {
                log.error("follow-up {}: cannot log the reminder into INC-{}", fu.tag(), fu.incidentId(), e);
            }
        }
        return moved;
    }

    /**
     * A command: planned again as its asker where they asked it (refused: said, mentioning them, and not run),
     * marked running (committed before it runs: a crash now leaves it "running", found "unknown" at start and
     * never run again by itself), run, its result posted and logged, then done.
     */
    void command(FollowUp fu, String note, String key, Instant dueBy, State... from) {
        Identity who = fu.identity();
        Toolbox.Planned planned = tools.plan(who, tools.venue(fu.network(), fu.place()), fu.text());
        Instant now = tools.clock().instant();
        if (planned instanceof Toolbox.Planned.Refused no) {
            String text = fu.tag() + " not run: " + no.reason() + " (" + fu.text() + ", asked " + ago(fu.createdAt(), now) + ")";
            boolean moved = say(fu, network(fu.network()), text, key,
                    db -> FollowUpStore.move(db, fu.id(), State.DONE, "refused: " + no.reason(), now, dueBy, from));
            if (moved) {
                log.info("follow-up {} refused at fire time: {}", fu.tag(), no.reason());
                record(fu, no.decision(), no.reason(), null);
                tools.incidents().log(EntryKind.DENIED, actor(fu), fu.tag() + " " + fu.text() + " — when it was due: "
                        + no.reason().replaceFirst("^denied: ", ""));
            }
            return;
        }
        Toolbox.Planned.Ok ok = (Toolbox.Planned.Ok) planned;
        if (!rows.store().transaction("mark a follow-up running",
                db -> FollowUpStore.move(db, fu.id(), State.RUNNING, null, now, dueBy, from))) {
            return; // someone else (a second firing, a !run, a !cancel, a !snooze) got there first
        }
        try {
            run(fu, ok, note, key);
        } catch (RuntimeException e) {
            // Marked running, and something broke before it was done: as after a crash, its outcome is unknown
            // and it waits for a person; it never stays "running" (which !cancel and !run refuse) until a restart.
            log.error("follow-up {}: failed while running", fu.tag(), e);
            unknown(rows.find(fu.id()).orElse(fu), "failed while running (logged)");
        }
    }

    /** Runs a follow-up already marked running; its result is said and logged, and it is done. */
    void run(FollowUp fu, Toolbox.Planned.Ok ok, String note, String key) {
        Actor actor = actor(fu);
        String opened = null;
        Incident inc;
        if (ok.spec().kind() == opsbot.config.Kind.CHANGE) {
            Incidents.Active a = tools.incidents().ensureActive(ok.line(), actor);
            if (a.opened()) opened = "opened " + a.incident().tag() + " \"" + a.incident().title() + "\" for it";
            inc = a.incident();
        } else {
            inc = tools.incidents().active().orElse(null);
        }
        long start = System.nanoTime();
        List<String> lines;
        String result;
        try {
            List<FanOut.StepResult> results = tools.run(ok.plan());
            lines = Toolbox.resultLines(ok.plan(), results, Duration.ofNanos(System.nanoTime() - start));
            result = String.join(" ", results.stream().map(r -> r.step().host().name() + ": " + r.result().brief()).toList());
        } catch (RuntimeException e) {
            log.error("follow-up {}: running {} failed", fu.tag(), ok.line(), e);
            lines = List.of("internal error while running " + ok.plan().describe() + " (logged)");
            result = "internal error (logged)";
        }
        List<String> said = new ArrayList<>();
        said.add(fu.tag() + " " + ok.line() + (note == null ? "" : " (" + note + ")") + ":");
        said.addAll(lines.size() <= POSTED_LINES ? lines : lines.subList(0, POSTED_LINES));
        if (lines.size() > POSTED_LINES) {
            said.add("… " + (lines.size() - POSTED_LINES) + " more lines" + (inc != null ? " in " + inc.tag() : ""));
        }
        if (opened != null) said.add(opened);
        String done = result;
        say(fu, network(fu.network()), String.join("\n", said), key,
                db -> FollowUpStore.move(db, fu.id(), State.DONE, done, null, State.RUNNING));
        record(fu, "ran", null, done);
        if (inc != null) {
            tools.incidents().log(inc, EntryKind.COMMAND, actor, fu.tag() + " " + ok.line() + " → " + String.join("\n", lines));
        }
    }

    /**
     * At start, for a row found running: the bot stopped while its command ran. Whether it ran is not known;
     * it is said so, and it waits for a person: it is never run again by itself.
     */
    void unknown(FollowUp fu) {
        unknown(fu, "was running when the bot stopped");
    }

    /** A follow-up marked running whose outcome is not known ({@code why}): said once per time it ran. */
    void unknown(FollowUp fu, String why) {
        String text = "outcome unknown: " + fu.tag() + " " + fu.text() + " " + why + "; not re-run;"
                + " !run " + fu.tag() + " to run it again";
        // One key per time it was marked running: a !run of an unknown one that is cut off again is said again.
        String key = "followup-" + fu.tag() + "-unknown-" + (fu.firedAt() == null ? 0 : fu.firedAt().toEpochMilli());
        if (say(fu, network(fu.network()), text, key,
                db -> FollowUpStore.move(db, fu.id(), State.UNKNOWN, why, null, State.RUNNING))) {
            log.warn("follow-up {} was running when the bot stopped; outcome unknown, not re-run", fu.tag());
            tools.incidents().log(EntryKind.NOTE, Actor.bot(), text);
        }
    }

    /** A state change and the line that tells it, in one transaction: the line is said if and only if it happened. */
    private boolean say(FollowUp fu, ChatNetwork net, String text, String key, opsbot.bot.store.Store.Work<Boolean> change) {
        Identity who = fu.identity();
        Message m = net == null ? Message.plain(fu.nick() + ": " + text) : net.mention(who, fu.nick(), text);
        String place = fu.place() != null ? fu.place() : net == null ? fu.nick() : net.nameOf(who, fu.nick());
        Target t = new Target(fu.network(), place);
        boolean moved = rows.store().transaction("change a follow-up and say so", db -> {
            if (!change.on(db)) return false;
            if (!tools.outbox().enqueue(db, Item.of(t, key, m))) {
                log.error("follow-up {}: the outbox already had {}; this change is not said again", fu.tag(), key);
            }
            return true;
        });
        if (moved) tools.outbox().wake(t);
        return moved;
    }

    /** The network by name, waiting a little for it right after start (networks attach after the timers start). */
    private ChatNetwork network(String name) {
        long end = System.nanoTime() + NETWORK_WAIT.toNanos();
        while (true) {
            Optional<ChatNetwork> n = tools.network(name);
            if (n.isPresent()) return n.get();
            if (System.nanoTime() > end) {
                log.warn("follow-ups: network {} is not attached; its line waits in the outbox", name);
                return null;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
    }

    private void record(FollowUp fu, String decision, String reason, String exitCodes) {
        try {
            rows.store().record(new Attempt(0, tools.clock().instant(), fu.network(), fu.place(), fu.nick(),
                    fu.identity().account(), fu.person(), "!in " + fu.tag() + ": " + fu.text(), "in", decision, reason,
                    null, exitCodes, 0, null));
        } catch (RuntimeException e) {
            log.error("follow-up {}: cannot record the attempt", fu.tag(), e);
        }
    }

    private static Actor actor(FollowUp fu) {
        return new Actor(fu.who(), fu.network(), fu.place() == null ? "private" : fu.place());
    }

    /** The asker's zone as configured now. */
    ZoneId zone(FollowUp fu) {
        return FollowUps.zoneOf(tools, fu.identity());
    }

    /** {@code 7 min}, {@code 40 s}, {@code 2 h 5 min}. */
    static String late(Duration d) {
        long s = d.toSeconds();
        if (s < 60) return s + " s";
        long min = Math.round(s / 60.0);
        return min < 120 ? min + " min" : (min / 60) + " h" + (min % 60 == 0 ? "" : " " + (min % 60) + " min");
    }

    private static String ago(Instant then, Instant now) {
        return late(Duration.between(then, now).isNegative() ? Duration.ZERO : Duration.between(then, now)) + " ago";
    }
}
