package opsbot.bot.runbook;

import opsbot.bot.chat.Message;
import opsbot.bot.dispatch.Toolbox;
import opsbot.bot.incident.Actor;
import opsbot.bot.incident.EntryKind;
import opsbot.bot.incident.Incident;
import opsbot.bot.outbox.Item;
import opsbot.bot.outbox.Target;
import opsbot.bot.schedule.Schedule;
import opsbot.bot.schedule.Times;
import opsbot.commands.policy.Identity;
import opsbot.commands.ssh.ExecResult;
import opsbot.commands.ssh.Executor;
import opsbot.commands.ssh.FanOut;
import opsbot.config.Durations;
import opsbot.config.HostConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Runs the steps of runs, one at a time per run, on a virtual thread of that run. It only ever acts on what the
 * rows say: {@link #kick} means "look at run R and do what its row says is next". A step of a command is
 * journalled "started" (committed) before it runs and completed after it; a wait or a poll hands over to a
 * durable timer and returns; a question waits for {@code !y}. So a crash leaves either a run that can go on by
 * itself, or a started step without an end, which is never run again without a human.
 */
final class Engine implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Engine.class);
    /** The schedule's kind for runbook timers; the id is the run's tag ({@code R3}). */
    static final String KIND = "runbook";
    /** Output kept per step in the journal, and shown per step in chat. */
    private static final int CHAT_LINES = 4;
    /** A timer may fire this much before its due time and still count (clocks read in different places). */
    private static final Duration EARLY = Duration.ofMillis(500);
    /** A command step the executor had no room for is tried again after this. */
    static final Duration BUSY_RETRY = Duration.ofSeconds(30);

    private final Toolbox tb;
    private final Schedule schedule;
    private final Executor executor;
    private final Rows rows;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private volatile boolean closing;
    /** Runs being driven now, and whether a kick arrived meanwhile (then it looks at the row once more). */
    private final Map<Long, Boolean> driving = new HashMap<>();

    Engine(Toolbox tb, Schedule schedule, Executor executor, Rows rows) {
        this.tb = tb;
        this.schedule = schedule;
        this.executor = executor;
        this.rows = rows;
    }

    /** Look at run {@code id} and do what is next, on its own thread; at most one thread per run. */
    void kick(long id) {
        synchronized (driving) {
            if (driving.containsKey(id)) {
                driving.put(id, true);
                return;
            }
            driving.put(id, false);
        }
        try {
            threads.execute(() -> drive(id));
        } catch (RuntimeException e) { // closing: the row says where it is, the next start goes on
            synchronized (driving) {
                driving.remove(id);
            }
        }
    }

    private void drive(long id) {
        while (true) {
            try {
                steps(id);
            } catch (RuntimeException e) {
                log.error("runbook {}: failed while stepping; its row says where it is", Rows.Run.tag(id), e);
            }
            synchronized (driving) {
                if (!driving.get(id)) {
                    driving.remove(id);
                    return;
                }
                driving.put(id, false);
            }
        }
    }

    /** The timer of run {@code tag} fired. */
    void fired(Schedule.Firing f) {
        long id = id(f.id());
        if (id > 0 && rows.wake(id, f.at())) {
            kick(id);
        }
    }

    static long id(String tag) {
        try {
            return tag.length() > 1 && (tag.charAt(0) == 'R' || tag.charAt(0) == 'r') ? Long.parseLong(tag.substring(1)) : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Steps while the run is running and a step finishes here; returns when it waits, asks, or is over. */
    private void steps(long id) {
        while (true) {
            Optional<Rows.Run> found = rows.find(id);
            if (found.isEmpty() || !Rows.RUNNING.equals(found.get().state())) {
                return;
            }
            Rows.Run r = found.get();
            if (r.step() >= r.steps().size()) {
                finish(r);
                return;
            }
            boolean goOn = switch (r.steps().get(r.step())) {
                case Step.Run s -> run(r, s);
                case Step.Wait w -> pause(r, w);
                case Step.Until u -> until(r, u);
                case Step.Ask a -> ask(r, a);
                case Step.Report rep -> report(r);
            };
            if (!goOn) {
                return;
            }
        }
    }

    /** A command step: planned again (rights now), journalled, run, journalled. Whether the run goes on. */
    private boolean run(Rows.Run r, Step.Run s) {
        Instant t0 = tb.clock().instant();
        Toolbox.Planned planned = tb.plan(Identity.fromKey(r.asker()), tb.venue(r.network(), r.channel()), s.line());
        if (planned instanceof Toolbox.Planned.Refused no) {
            String why = no.reason();
            rows.end(r.id(), r.step(), 0, "failed", null, "not run: " + why, t0, t0, Rows.Then.FAIL,
                    List.of(say(r, "stop", mention(r) + ": " + r.tag() + " " + r.title() + " stopped at " + where(r, s)
                            + ": not run, " + why + "; nothing after it runs")));
            incident(r, EntryKind.DENIED, r.tag() + " " + where(r, s) + " not run: " + why);
            return false;
        }
        Toolbox.Planned.Ok ok = (Toolbox.Planned.Ok) planned;
        String confirmable = Step.where(ok.plan());
        if (s.confirmed() != null && !s.confirmed().equals(confirmable)) {
            // The config changed since the confirmation (a command's template, a host's pair or group): running the
            // new line would run something nobody said yes to.
            String why = "it would now run `" + confirmable + "`, not the confirmed `" + s.confirmed() + "` (the config changed)";
            rows.end(r.id(), r.step(), 0, "failed", null, "not run: " + why, t0, t0, Rows.Then.FAIL,
                    List.of(say(r, "stop", mention(r) + ": " + r.tag() + " " + r.title() + " stopped at " + where(r, s)
                            + ": not run, " + why + "; nothing after it runs; start it again to confirm the new lines")));
            incident(r, EntryKind.NOTE, r.tag() + " " + where(r, s) + " not run: " + why);
            return false;
        }
        Optional<Integer> attempt = rows.begin(r.id(), r.step(), t0);
        if (attempt.isEmpty()) {
            return false; // cancelled meanwhile: nothing runs
        }
        long start = System.nanoTime();
        List<FanOut.StepResult> results = tb.run(ok.plan());
        if (closing || Thread.currentThread().isInterrupted()) {
            // The bot is stopping and may have hung up this step itself: its end is not known. Left "started", it
            // is "outcome unknown" at the next start and waits for a person.
            log.warn("runbook {}: step {} cut off by the shutdown; outcome unknown", r.tag(), r.step() + 1);
            return false;
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        if (!results.isEmpty() && results.stream().allMatch(x -> x.result() instanceof ExecResult.NotRun n
                && n.why() == ExecResult.Why.BUSY)) {
            // Nothing ran anywhere (the executor is full): not a failure, so continue-on-failure must not skip it.
            // Tried again shortly; running it again is safe, since it never started.
            Instant now = tb.clock().instant();
            String text = r.tag() + " " + (r.step() + 1) + "/" + r.steps().size() + " " + s.line()
                    + ": not run, the executor is busy; trying again in " + Durations.format(BUSY_RETRY);
            if (rows.end(r.id(), r.step(), attempt.get(), "not-run", null, "busy: nothing ran", t0, now, Rows.Then.STAY,
                    List.of())) {
                arm(r, now, 0, now.plus(BUSY_RETRY), List.of(say(r, "s" + r.step() + "a" + attempt.get() + "-busy", text)));
                incident(r, EntryKind.NOTE, text);
            }
            return false;
        }
        boolean success = results.stream().allMatch(x -> x.result().ok() || (s.expectDisconnect() && dropped(x.result())));
        List<String> lines = Toolbox.resultLines(ok.plan(), results, took);
        String codes = Toolbox.exitCodes(results);
        Rows.Then then = success || s.continueOnFailure() ? Rows.Then.NEXT : Rows.Then.FAIL;
        String head = r.tag() + " " + (r.step() + 1) + "/" + r.steps().size() + " " + s.line() + ": "
                + (success ? "ok" : s.continueOnFailure() ? "failed, going on (continue-on-failure)" : "FAILED");
        if (success && s.expectDisconnect() && results.stream().anyMatch(x -> dropped(x.result()))) {
            head += " (the connection dropped, as expected)";
        }
        List<Item> say = new ArrayList<>();
        List<String> shown = new ArrayList<>();
        shown.add(head);
        shown.addAll(lines.subList(0, Math.min(CHAT_LINES, lines.size())));
        say.add(say(r, "s" + r.step() + "a" + attempt.get(), String.join("\n", shown)));
        if (then == Rows.Then.FAIL) {
            say.add(say(r, "s" + r.step() + "a" + attempt.get() + "-failed", mention(r) + ": " + r.tag() + " " + r.title()
                    + " failed at " + where(r, s) + " (" + codes + "); nothing after it runs · !runbook status " + r.tag()));
        }
        rows.end(r.id(), r.step(), attempt.get(), success ? "ok" : "failed", codes, String.join("\n", lines), t0,
                tb.clock().instant(), then, say);
        incident(r, EntryKind.COMMAND, r.tag() + " " + (r.step() + 1) + "/" + r.steps().size() + " " + s.line() + " → "
                + String.join("\n", lines));
        return then == Rows.Then.NEXT;
    }

    /**
     * A reboot's end as the bot sees it: the connection dropped before the command said how it ended, or the
     * command was killed by a signal (a host going down kills its processes one by one, and the shell around the
     * command may report its child's KILL, 128+9, before its own arrives). A plain failure (exit 1) is not one.
     */
    static boolean dropped(ExecResult r) {
        return switch (r) {
            case ExecResult.Lost l -> true;
            case ExecResult.Exited e -> e.status() > 128 || e.stderr().contains("(ended by signal ");
            default -> false;
        };
    }

    /** A wait: the timer is set (or, back from it, the wait is over). */
    private boolean pause(Rows.Run r, Step.Wait w) {
        Instant now = tb.clock().instant();
        if (r.stepStarted() != null && r.nextDue() != null && !now.plus(EARLY).isBefore(r.nextDue())) {
            return rows.end(r.id(), r.step(), 0, "ok", null, "waited " + Durations.format(w.duration()), r.stepStarted(),
                    now, Rows.Then.NEXT, List.of());
        }
        Instant started = r.stepStarted() == null ? now : r.stepStarted();
        Instant due = r.nextDue() != null ? r.nextDue() : now.plus(w.duration());
        String text = r.tag() + " " + (r.step() + 1) + "/" + r.steps().size() + ": waiting " + Durations.format(w.duration())
                + ", until " + when(r, due) + " · !cancel " + r.tag() + " stops it";
        arm(r, started, 0, due, r.stepStarted() == null ? List.of(say(r, "s" + r.step() + "-wait", text)) : List.of());
        if (r.stepStarted() == null) {
            incident(r, EntryKind.NOTE, text);
        }
        return false;
    }

    /** A poll: first try one {@code every} after the step began, then every {@code every}, up to {@code atMost}. */
    private boolean until(Rows.Run r, Step.Until u) {
        Instant now = tb.clock().instant();
        HostConfig host = tb.inventory().host(u.host()).orElse(null);
        if (r.stepStarted() == null) {
            String text = r.tag() + " " + (r.step() + 1) + "/" + r.steps().size() + ": trying " + u.host() + " over SSH every "
                    + Durations.format(u.every()) + ", for at most " + Durations.format(u.atMost());
            arm(r, now, 0, now.plus(u.every()), List.of(say(r, "s" + r.step() + "-until", text)));
            incident(r, EntryKind.NOTE, text);
            return false;
        }
        if (r.nextDue() != null && now.plus(EARLY).isBefore(r.nextDue())) {
            arm(r, r.stepStarted(), r.tries(), r.nextDue(), List.of()); // woken early (a restart): wait on
            return false;
        }
        Optional<ExecResult.NotRun> no = host == null
                ? Optional.of(new ExecResult.NotRun(ExecResult.Why.ERROR, "no host " + u.host() + " in the config", Duration.ZERO))
                : executor.reachable(host);
        int tries = r.tries() + 1;
        Duration after = Duration.between(r.stepStarted(), tb.clock().instant());
        if (no.isEmpty()) {
            String text = r.tag() + " " + (r.step() + 1) + "/" + r.steps().size() + ": " + u.host() + " answers SSH again (after "
                    + Durations.format(Duration.ofSeconds(Math.max(1, after.toSeconds()))) + ", " + tries
                    + (tries == 1 ? " try)" : " tries)");
            boolean moved = rows.end(r.id(), r.step(), 0, "ok", null, text, r.stepStarted(), tb.clock().instant(),
                    Rows.Then.NEXT, List.of(say(r, "s" + r.step() + "-up", text)));
            if (moved) {
                incident(r, EntryKind.NOTE, text);
            }
            return moved;
        }
        if (no.get().why() == ExecResult.Why.HOST_KEY || no.get().why() == ExecResult.Why.AUTH) {
            // The host is up but we may not log in: polling on cannot change that (known_hosts or the key must be
            // fixed by a human), so the run pauses at once instead of failing an hour later.
            String text = mention(r) + ": " + r.tag() + " " + r.title() + " paused at step " + (r.step() + 1) + ": "
                    + u.host() + " answers, but " + no.get().brief() + "; fix it, then !y tries again, !cancel "
                    + r.tag() + " stops";
            if (rows.refused(r.id(), r.step(), no.get().brief(), r.stepStarted(), tb.clock().instant(),
                    List.of(say(r, "s" + r.step() + "-refused-" + tries, text)))) {
                incident(r, EntryKind.NOTE, text);
            }
            return false;
        }
        Instant next = tb.clock().instant().plus(u.every());
        if (next.isAfter(r.stepStarted().plus(u.atMost()))) {
            String text = mention(r) + ": " + r.tag() + " " + r.title() + " failed at step " + (r.step() + 1) + ": "
                    + u.host() + " did not answer SSH within " + Durations.format(u.atMost()) + " (" + tries + " tries; last: "
                    + no.get().brief() + "); nothing after it runs";
            if (rows.end(r.id(), r.step(), 0, "failed", null, no.get().brief(), r.stepStarted(), tb.clock().instant(),
                    Rows.Then.FAIL, List.of(say(r, "s" + r.step() + "-gaveup", text)))) {
                incident(r, EntryKind.NOTE, text);
            }
            return false;
        }
        arm(r, r.stepStarted(), tries, next, List.of());
        return false;
    }

    /** The run waits for its timer at {@code due}: the row first, then the timer (a crash in between is re-armed at start). */
    private void arm(Rows.Run r, Instant started, int tries, Instant due, List<Item> say) {
        if (rows.waitFor(r.id(), r.step(), started, tries, due, say)) {
            schedule.at(KIND, r.tag(), due);
        }
    }

    private boolean ask(Rows.Run r, Step.Ask a) {
        String text = mention(r) + ": " + r.tag() + " " + r.title() + " asks: " + a.question() + " · !y goes on, !cancel "
                + r.tag() + " stops";
        if (rows.ask(r.id(), r.step(), tb.clock().instant(), List.of(say(r, "s" + r.step() + "-ask", text)))) {
            incident(r, EntryKind.NOTE, r.tag() + " asks " + r.nick() + ": " + a.question());
        }
        return false;
    }

    private boolean report(Rows.Run r) {
        Instant now = tb.clock().instant();
        String text = r.tag() + " " + r.title() + " report: " + summary(r);
        boolean moved = rows.end(r.id(), r.step(), 0, "ok", null, text, now, now, Rows.Then.NEXT,
                List.of(say(r, "s" + r.step() + "-report", text)));
        if (moved) {
            incident(r, EntryKind.NOTE, text);
        }
        return moved;
    }

    /** Every step so far with its outcome: {@code 1 fo -a compute4 ok (admin1=0) · 2 …}. */
    String summary(Rows.Run r) {
        Map<Integer, Rows.Entry> last = new HashMap<>();
        for (Rows.Entry e : rows.journal(r.id())) {
            last.put(e.step(), e);
        }
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < r.steps().size(); i++) {
            Rows.Entry e = last.get(i);
            Step s = r.steps().get(i);
            if (s instanceof Step.Report && (e == null || i == r.step())) {
                continue;
            }
            parts.add((i + 1) + " " + s.label() + " " + (e == null ? "not run"
                    : e.state() + (e.exitCodes() == null ? "" : " (" + e.exitCodes() + ")")
                    + (e.attempt() > 1 ? " attempt " + e.attempt() : "")));
        }
        return String.join(" · ", parts);
    }

    private void finish(Rows.Run r) {
        Instant now = tb.clock().instant();
        String text = mention(r) + ": " + r.tag() + " " + r.title() + " done: " + r.steps().size() + " steps in "
                + Durations.format(Duration.ofSeconds(Math.max(1, Duration.between(r.created(), now).toSeconds())));
        if (rows.done(r.id(), r.step(), now, List.of(say(r, "done", text)))) {
            incident(r, EntryKind.NOTE, r.tag() + " " + r.title() + " done");
        }
    }

    /** A due time in the asker's zone and UTC. */
    String when(Rows.Run r, Instant at) {
        return Times.both(at, zone(tb, Identity.fromKey(r.asker())), tb.clock().instant());
    }

    /** Someone's zone: their own in people, else the bot's. */
    static java.time.ZoneId zone(Toolbox tb, Identity who) {
        opsbot.config.Person p = tb.people().find(who);
        return p == null ? tb.cfg().bot().timezone() : p.zone(tb.cfg().bot());
    }

    /** Step 3 `grub compute4`. */
    static String where(Rows.Run r, Step s) {
        return "step " + (r.step() + 1) + " `" + s.label() + "`";
    }

    /** The asker as their network mentions them: a Matrix user ID, else the nick they had when they asked. */
    static String mention(Rows.Run r) {
        Identity who = Identity.fromKey(r.asker());
        return who instanceof Identity.MatrixUser m ? m.userId() : r.nick();
    }

    /** An outbox line to where the run was started; the key names it for good (said once, even after a crash). */
    Item say(Rows.Run r, String what, String text) {
        Message m = Message.plain(text);
        String addressed = mention(r) + ": ";
        if (text.startsWith(addressed)) {
            // Addressed to the asker: as their network mentions them now (IRC: the nick their account has now;
            // Matrix: a pill and m.mentions), where it is attached; else by the name they had when they asked.
            Identity who = Identity.fromKey(r.asker());
            String rest = text.substring(addressed.length());
            m = tb.network(r.network()).map(n -> n.mention(who, r.nick(), rest)).orElse(m);
        }
        return Item.of(new Target(r.network(), r.place()), "runbook:" + r.tag() + ":" + what, m);
    }

    /** Into the run's incident (the active one when it was started), or the active one if that is closed. */
    void incident(Rows.Run r, EntryKind kind, String text) {
        try {
            Actor who = new Actor(r.actor(), r.network(), r.channel() == null ? "private" : r.channel());
            Optional<Incident> i = r.incidentId() == null ? Optional.empty()
                    : tb.incidents().find(r.incidentId()).filter(Incident::isOpen);
            if (i.isPresent()) {
                tb.incidents().log(i.get(), kind, who, text);
            } else {
                tb.incidents().log(kind, who, text);
            }
        } catch (RuntimeException e) {
            log.error("runbook {}: cannot log into the incident", r.tag(), e);
        }
    }

    /** Removes the run's timer, if it has one (its row says cancelled already: a firing meanwhile finds that). */
    void cancelTimer(String tag) {
        schedule.cancel(KIND, tag);
    }

    /** Waits until no run is being driven, or {@code max} passed (tests). */
    void awaitIdle(Duration max) throws InterruptedException {
        long end = System.nanoTime() + max.toNanos();
        while (System.nanoTime() < end) {
            synchronized (driving) {
                if (driving.isEmpty()) {
                    return;
                }
            }
            Thread.sleep(20);
        }
    }

    /**
     * Stops driving runs: a step running now is cut off and left "started" (found "outcome unknown" at the next
     * start, never counted as done: the bot's own hang-up of a reboot is not the reboot's).
     */
    @Override
    public void close() {
        closing = true;
        threads.shutdownNow();
        try {
            if (!threads.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS)) {
                log.warn("runbooks: steps still running at shutdown; they are found cut off at the next start");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
