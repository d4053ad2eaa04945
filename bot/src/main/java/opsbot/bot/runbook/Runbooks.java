package opsbot.bot.runbook;

import opsbot.bot.chat.Inbound;
import opsbot.bot.dispatch.Dispatcher;
import opsbot.bot.dispatch.Extension;
import opsbot.bot.dispatch.Request;
import opsbot.bot.dispatch.Toolbox;
import opsbot.bot.incident.EntryKind;
import opsbot.bot.incident.Incident;
import opsbot.bot.schedule.Schedule;
import opsbot.commands.model.Builtin;
import opsbot.commands.model.LookupException;
import opsbot.commands.model.Plan;
import opsbot.commands.model.Sanitize;
import opsbot.commands.parse.ParseException;
import opsbot.commands.parse.Tokenizer;
import opsbot.commands.policy.CommandRef;
import opsbot.commands.policy.Identity;
import opsbot.commands.ssh.Executor;
import opsbot.commands.ssh.FanOut;
import opsbot.config.Durations;
import opsbot.config.Kind;
import opsbot.config.OpsbotConfig;
import opsbot.config.Role;
import opsbot.config.RunbookSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Runbooks from chat: {@code !reinstall c4} resolves every step now (parameters bound, placeholders filled, each
 * command planned through the door as the asker here), shows them all in one confirmation, and after {@code !y}
 * hands the run to the {@link Engine}. {@code --dry-run} (or a bot started with it) shows the same and runs
 * nothing. Also {@code !runbook [status [ID]]}, {@code !cancel R3}, and {@code !y} for a run's question or for
 * a step whose outcome is unknown.
 */
public final class Runbooks implements Extension {
    private static final Logger log = LoggerFactory.getLogger(Runbooks.class);
    static final String DRY_RUN = "--dry-run";
    /** A chat line of the confirmation: steps packed up to this many characters (a phone screen, one IRC line). */
    private static final int PROMPT_LINE = 360;

    private final Toolbox tb;
    private final Rows rows;
    private final Engine engine;
    private final Resolver resolver;
    private final boolean dryRun;

    Runbooks(Toolbox tb, Schedule schedule, Executor executor, boolean dryRun) {
        this.tb = tb;
        this.rows = new Rows(tb.store(), tb.outbox());
        this.engine = new Engine(tb, schedule, executor, rows);
        this.resolver = new Resolver(tb.inventory());
        this.dryRun = dryRun;
    }

    /**
     * Adds runbooks to the bot: the timers' handler (before the schedule starts), the dispatcher's extension,
     * and what a stop left behind: steps cut off are paused for a human, runs between steps go on, waiting runs
     * without a timer get one again.
     *
     * @param dryRun the executor runs nothing (the bot's {@code --dry-run}, the demo): runbooks only show their
     *               steps, and runs in the store are left alone
     */
    public static Runbooks install(OpsbotConfig cfg, Dispatcher dispatcher, Schedule schedule, Executor executor,
                                   boolean dryRun) {
        Runbooks r = new Runbooks(dispatcher.toolbox(), schedule, executor, dryRun);
        // A dry-run bot (or the demo on a real store) never moves a stored run: its steps would be journalled "ok"
        // without having run, and the real bot would skip them later.
        schedule.on(Engine.KIND, dryRun ? f -> log.info("runbooks: dry run; {} left as it is", f.id()) : r.engine::fired);
        dispatcher.extend(r);
        schedule.atClose(r.engine::close);
        if (!dryRun) {
            r.recover(schedule);
        } else if (!cfg.runbooks().isEmpty()) {
            log.info("runbooks: dry run; runs in the store are left as they are");
        }
        return r;
    }

    private void recover(Schedule schedule) {
        Instant now = tb.clock().instant();
        for (Rows.Run r : rows.pauseCutOff(now, r -> List.of(engine.say(r, "unknown-" + now.toEpochMilli(),
                unknownText(r))))) {
            engine.incident(r, EntryKind.NOTE, "outcome unknown: " + r.tag() + " " + Engine.where(r, r.steps().get(r.step()))
                    + " was running when the bot stopped; paused until " + r.nick() + " says !y or !cancel " + r.tag());
            log.warn("runbook {}: step {} was cut off; paused", r.tag(), r.step() + 1);
        }
        for (Rows.Run r : rows.live()) {
            if (r.state().equals(Rows.RUNNING)) {
                engine.kick(r.id()); // between steps when the bot stopped: goes on
            }
        }
        // Waiting runs get their timer again after Quartz's own recovery at start (which drops a one-shot that
        // fired just before a crash), and every minute after (a handler that failed leaves no timer behind).
        schedule.on(SWEEP, f -> rearm(schedule));
        schedule.afterStart(() -> {
            rearm(schedule);
            schedule.every(SWEEP, "waiting", java.time.Duration.ofMinutes(1));
        });
    }

    /** The schedule's kind for the minute's check that every waiting run has a timer. */
    static final String SWEEP = "runbook-sweep";

    /** A timer for every waiting run that has none; one that is due fires now (its handler reads the row). */
    private void rearm(Schedule schedule) {
        Instant now = tb.clock().instant();
        Set<String> timers = schedule.ids(Engine.KIND);
        for (Rows.Run r : rows.live()) {
            if (r.state().equals(Rows.WAITING) && !timers.contains(r.tag())) {
                Instant due = r.nextDue() == null || r.nextDue().isBefore(now) ? now : r.nextDue();
                log.info("runbook {}: waiting without a timer; re-armed for {}", r.tag(), due);
                schedule.at(Engine.KIND, r.tag(), due);
            }
        }
    }

    static String unknownText(Rows.Run r) {
        return Engine.mention(r) + ": outcome unknown: " + r.tag() + " " + Engine.where(r, r.steps().get(r.step()))
                + " was running when the bot stopped; !y re-runs that step, !cancel " + r.tag() + " stops";
    }

    // ---- chat ---------------------------------------------------------------------------------------------

    @Override
    public Set<Builtin> answers() {
        return Set.of(Builtin.RUNBOOK);
    }

    @Override
    public Optional<CommandRef> command(String word) {
        return spec(word).map(s -> new CommandRef(s.name(), Kind.CHANGE, s.role()));
    }

    private Optional<RunbookSpec> spec(String word) {
        String w = word.toLowerCase(Locale.ROOT);
        return tb.cfg().runbooks().stream()
                .filter(s -> s.name().equals(w) || s.aliases().stream().anyMatch(a -> a.toLowerCase(Locale.ROOT).equals(w)))
                .findFirst();
    }

    @Override
    public List<String> invoke(Request r) {
        RunbookSpec spec = spec(r.word()).orElseThrow();
        boolean dry = false;
        List<Tokenizer.Word> words = new ArrayList<>();
        try {
            for (Tokenizer.Word w : Tokenizer.split(r.rest())) {
                if (!w.quoted() && w.text().equals(DRY_RUN)) {
                    dry = true;
                } else {
                    words.add(w);
                }
            }
        } catch (ParseException e) {
            return List.of(e.getMessage());
        }
        Resolver.Resolved res;
        try {
            res = resolver.resolve(spec, words);
        } catch (LookupException e) {
            return List.of(e.getMessage());
        }
        // Every command step through the door now, as the asker here: a step they may not run stops it all here.
        List<String> shown = new ArrayList<>();
        List<Plan> plans = new ArrayList<>();
        List<Step> confirmed = new ArrayList<>();
        for (int i = 0; i < res.steps().size(); i++) {
            Step s = res.steps().get(i);
            if (s instanceof Step.Run run) {
                Toolbox.Planned p = tb.plan(r.in().who(), r.venue(), run.line());
                if (p instanceof Toolbox.Planned.Refused no) {
                    return List.of(res.title() + ": not started: step " + (i + 1) + " `" + run.line() + "` is refused: "
                            + no.reason());
                }
                plans.add(((Toolbox.Planned.Ok) p).plan());
                shown.add(describe(i, s, ((Toolbox.Planned.Ok) p).plan()));
                confirmed.add(run.confirming(((Toolbox.Planned.Ok) p).plan()));
            } else {
                shown.add(describe(i, s, null));
                confirmed.add(s);
            }
        }
        // The run keeps what was shown: a step whose plan reads differently when it runs is not run (see Engine).
        res = new Resolver.Resolved(res.spec(), res.title(), res.params(), List.copyOf(confirmed));
        Resolver.Resolved started = res;
        String what = "runbook " + res.title() + " (" + res.steps().size() + " steps)";
        if (dry) {
            List<String> lines = new ArrayList<>();
            lines.add("dry run of " + what + "; nothing runs:");
            lines.addAll(pack(shown));
            lines.add("role check: " + r.caller().name() + " may run all " + plans.size() + " commands here ("
                    + spec.name() + " needs " + spec.role().label() + ")");
            return lines;
        }
        CommandRef ref = new CommandRef(spec.name(), Kind.CHANGE, spec.role());
        tb.confirm(r, ref, what, plans.isEmpty() ? null : plans.get(0), pack(shown),
                yes -> start(r, yes, started, dryRun));
        return List.of();
    }

    /** {@code 3 compute4: utils/ReinstallGrub2.pl -r}: a step as the confirmation shows it. */
    private static String describe(int i, Step s, Plan plan) {
        String n = (i + 1) + " ";
        return switch (s) {
            case Step.Run r -> n + where(plan) + (r.continueOnFailure() ? " (a failure goes on)" : "")
                    + (r.expectDisconnect() ? " (a dropped connection is success)" : "");
            case Step.Wait w -> n + "wait " + Durations.format(w.duration());
            case Step.Until u -> n + "until " + u.host() + " answers SSH (every " + Durations.format(u.every())
                    + ", at most " + Durations.format(u.atMost()) + ")";
            case Step.Ask a -> n + "ask you: " + a.question();
            case Step.Report r -> n + "report";
        };
    }

    /** Where a plan runs what: each host with its exact command line. */
    private static String where(Plan plan) {
        if (plan.steps().stream().map(Plan.Step::commandLine).distinct().count() <= 1) {
            return plan.describe();
        }
        return String.join("; ", plan.steps().stream().map(st -> st.host().name() + ": " + st.commandLine()).toList());
    }

    /** Step descriptions packed into few chat lines. */
    private static List<String> pack(List<String> parts) {
        List<String> lines = new ArrayList<>();
        StringBuilder b = new StringBuilder();
        for (String p : parts) {
            if (!b.isEmpty() && b.length() + 3 + p.length() > PROMPT_LINE) {
                lines.add(b.toString());
                b.setLength(0);
            }
            b.append(b.isEmpty() ? "" : " · ").append(p);
        }
        if (!b.isEmpty()) {
            lines.add(b.toString());
        }
        return lines;
    }

    /** Confirmed: the run is stored and started; in a dry run, its steps are walked through and nothing runs. */
    private void start(Request r, Inbound yes, Resolver.Resolved res, boolean dry) {
        if (dry) {
            tb.reply(yes, walk(r, res));
            return;
        }
        List<Rows.Run> live = rows.live();
        if (live.size() >= MAX_LIVE) {
            tb.reply(yes, List.of("not started: " + live.size() + " runbook runs are going already (the most at once);"
                    + " !runbook status, !cancel one first"));
            return;
        }
        tb.openIfNone(r, "runbook " + res.title());
        Long incident = tb.incidents().active().map(Incident::id).orElse(null);
        Instant now = tb.clock().instant();
        Inbound in = r.in();
        long id = rows.create(new Rows.Run(0, res.spec().name(), res.title(), res.params(), res.steps(), in.who().key(),
                in.nick(), tb.actor(r).person(), in.network(), in.channel(), in.replyTarget(), incident, Rows.RUNNING, 0,
                0, null, null, now, null));
        String tag = Rows.Run.tag(id);
        List<String> steps = new ArrayList<>();
        for (int i = 0; i < res.steps().size(); i++) {
            steps.add((i + 1) + " " + res.steps().get(i).label());
        }
        rows.find(id).ifPresent(run -> engine.incident(run, EntryKind.CONFIRMED, tag + " runbook " + res.title()
                + " started: " + String.join(" · ", steps)));
        tb.reply(yes, List.of("started " + tag + " " + res.title() + ": " + res.steps().size() + " steps · !runbook status "
                + tag + " · !cancel " + tag + " stops it"));
        engine.kick(id);
    }

    /** A dry run after {@code !y}: each step as it would go, commands through the dry-run executor, no waiting. */
    private List<String> walk(Request r, Resolver.Resolved res) {
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < res.steps().size(); i++) {
            Step s = res.steps().get(i);
            String n = (i + 1) + " ";
            switch (s) {
                case Step.Run run -> {
                    Toolbox.Planned p = tb.plan(r.in().who(), r.venue(), run.line());
                    if (p instanceof Toolbox.Planned.Refused no) {
                        parts.add(n + run.line() + ": would stop here: " + no.reason());
                        return pack(parts);
                    }
                    Plan plan = ((Toolbox.Planned.Ok) p).plan();
                    List<FanOut.StepResult> results = tb.run(plan);
                    boolean ok = results.stream().allMatch(x -> x.result().ok());
                    parts.add(n + "would run " + where(plan) + (ok ? "" : " (" + Toolbox.exitCodes(results) + ")"));
                }
                case Step.Wait w -> parts.add(n + "would wait " + Durations.format(w.duration()));
                case Step.Until u -> parts.add(n + "would try " + u.host() + " over SSH every " + Durations.format(u.every())
                        + ", for at most " + Durations.format(u.atMost()));
                case Step.Ask a -> parts.add(n + "would ask you: " + a.question());
                case Step.Report rep -> parts.add(n + "would report every step with its outcome");
            }
        }
        List<String> out = new ArrayList<>();
        out.add("dry run of runbook " + res.title() + ": nothing runs, nothing waits");
        out.addAll(pack(parts));
        return out;
    }

    @Override
    public List<String> answer(Request r) {
        List<String> args = r.args();
        if (args.isEmpty() || (args.size() == 1 && args.get(0).equalsIgnoreCase("status"))) {
            return overview();
        }
        String id = args.get(args.size() - 1);
        if (args.size() > 2 || (args.size() == 2 && !args.get(0).equalsIgnoreCase("status")) || Engine.id(id) < 0) {
            return List.of("usage: " + Builtin.RUNBOOK.usage + " (ID like R3)");
        }
        return rows.find(Engine.id(id)).map(run -> status(r, run))
                .orElse(List.of("no runbook run " + Sanitize.forReply(id) + " (!runbook status lists them)"));
    }

    /** Runs going at once, at most (each may hold a thread and SSH sessions); {@code !runbook} lists this many. */
    static final int MAX_LIVE = 50;
    static final int LIST_LIMIT = 20;

    private List<String> overview() {
        List<String> out = new ArrayList<>();
        List<Rows.Run> live = rows.live();
        if (live.isEmpty()) {
            out.add("no runbook running");
        }
        for (Rows.Run r : live.subList(0, Math.min(live.size(), LIST_LIMIT))) {
            out.add(r.tag() + " " + r.title() + " · " + r.state() + " · step " + Math.min(r.step() + 1, r.steps().size())
                    + "/" + r.steps().size() + " · by " + r.actor());
        }
        if (live.size() > LIST_LIMIT) {
            out.add((live.size() - LIST_LIMIT) + " more running (the first " + LIST_LIMIT + " shown)");
        }
        for (Rows.Run r : rows.finished(3)) {
            out.add(r.tag() + " " + r.title() + " · " + r.state());
        }
        if (!tb.cfg().runbooks().isEmpty()) {
            out.add("runbooks: " + String.join(", ", tb.cfg().runbooks().stream().map(s -> s.name()
                    + (s.aliases().isEmpty() ? "" : " (" + String.join(",", s.aliases()) + ")")).toList())
                    + " · add --dry-run to see a runbook's steps");
        }
        return out;
    }

    private List<String> status(Request asker, Rows.Run r) {
        List<String> out = new ArrayList<>();
        String step = r.step() < r.steps().size() ? " · step " + (r.step() + 1) + "/" + r.steps().size() + " `"
                + r.steps().get(r.step()).label() + "`" : "";
        out.add(r.tag() + " " + r.title() + " · " + r.state() + (r.live() ? step : "") + " · by " + r.actor());
        if (r.nextDue() != null && r.live()) {
            out.add("next: " + when(asker, r.nextDue()));
        }
        List<Rows.Entry> journal = rows.journal(r.id());
        if (journal.isEmpty()) {
            out.add("nothing ran yet");
        } else {
            List<String> ran = new ArrayList<>();
            for (Rows.Entry e : journal) {
                ran.add((e.step() + 1) + " " + r.steps().get(e.step()).label() + " " + e.state()
                        + (e.exitCodes() == null ? "" : " (" + e.exitCodes() + ")"));
            }
            out.addAll(pack(ran));
        }
        return out;
    }

    private String when(Request r, Instant at) {
        return opsbot.bot.schedule.Times.both(at, Engine.zone(tb, r.in().who()), tb.clock().instant());
    }

    @Override
    public Optional<List<String>> cancel(Request r, String id) {
        long n = Engine.id(id);
        if (n < 0) {
            return Optional.empty();
        }
        if (dryRun) {
            return Optional.of(List.of("dry run: runs in the store are left as they are; " + id + " not cancelled"));
        }
        Optional<Rows.Run> found = rows.find(n);
        if (found.isEmpty()) {
            return Optional.of(List.of("no runbook run " + Sanitize.forReply(id) + " (!runbook status lists them)"));
        }
        Rows.Run run = found.get();
        if (!run.live()) {
            return Optional.of(List.of(run.tag() + " is " + run.state() + " already"));
        }
        // !cancel passes the door as a built-in (a read), but stopping a reinstall half-way is a change: it belongs
        // where changes are made, not in a channel shared with other departments.
        if (!r.venue().isPrivate() && r.venue().trust() != opsbot.config.Trust.OPS) {
            return Optional.of(List.of("denied: " + r.venue().label() + " is a shared channel; cancel " + run.tag()
                    + " in an ops channel"));
        }
        Role needs = tb.cfg().runbooks().stream().filter(s -> s.name().equals(run.runbook())).map(RunbookSpec::role)
                .findFirst().orElse(Role.ADMIN);
        boolean mine = r.in().who().key().equals(run.asker());
        if (!mine && r.caller().role().compareTo(needs) < 0) {
            return Optional.of(List.of("denied: " + run.tag() + " is " + run.actor() + "'s; only they or someone with role "
                    + needs.label() + " may cancel it"));
        }
        Instant now = tb.clock().instant();
        if (!rows.cancel(n, now, List.of())) {
            return Optional.of(List.of(run.tag() + " ended meanwhile; nothing to cancel"));
        }
        // The row first (the handler checks it), then the timer: no call is made after this, even if it fired.
        engine.cancelTimer(run.tag());
        Step at = run.step() < run.steps().size() ? run.steps().get(run.step()) : null;
        String where = at == null ? "" : " at " + Engine.where(run, at);
        boolean stepRunning = Rows.RUNNING.equals(run.state()) && at instanceof Step.Run;
        engine.incident(run, EntryKind.NOTE, run.tag() + " " + run.title() + " cancelled" + where + " by " + r.caller().name());
        return Optional.of(List.of("cancelled " + run.tag() + " " + run.title() + where
                + (stepRunning ? " (a step under way ends by itself; nothing after it runs)" : "; nothing more runs")));
    }

    @Override
    public Optional<List<String>> yes(Request r) {
        if (dryRun) {
            return Optional.empty(); // stored runs are left as they are
        }
        String key = r.in().who().key();
        List<Rows.Run> mine = rows.live().stream()
                .filter(x -> Rows.ASKING.equals(x.state()) || Rows.PAUSED.equals(x.state()))
                .filter(x -> x.asker().equals(key) && x.network().equals(r.in().network())
                        && x.place().equals(r.in().replyTarget()))
                .toList();
        if (!r.args().isEmpty()) {
            long n = Engine.id(r.args().get(0));
            mine = mine.stream().filter(x -> x.id() == n).toList();
        }
        if (mine.isEmpty()) {
            return Optional.empty();
        }
        if (mine.size() > 1) {
            return Optional.of(List.of("several runbooks wait for you here: " + String.join(", ",
                    mine.stream().map(Rows.Run::tag).toList()) + "; say !y " + mine.get(0).tag()));
        }
        Rows.Run run = mine.get(0);
        if (!rows.answer(run, tb.clock().instant())) {
            return Optional.of(List.of(run.tag() + " is not waiting for you any more (!runbook status " + run.tag() + ")"));
        }
        Step at = run.steps().get(run.step());
        String said = Rows.PAUSED.equals(run.state()) ? run.tag() + ": running " + Engine.where(run, at) + " again"
                : run.tag() + ": going on after " + Engine.where(run, at);
        engine.incident(run, EntryKind.CONFIRMED, said + " (" + r.caller().name() + " said !y)");
        engine.kick(run.id());
        return Optional.of(List.of(said));
    }

    /** Waits until no run is being driven (tests). */
    void awaitIdle(Duration max) throws InterruptedException {
        engine.awaitIdle(max);
    }
}
