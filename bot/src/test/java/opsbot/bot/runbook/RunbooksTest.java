package opsbot.bot.runbook;

import opsbot.bot.chat.ChatNetwork;
import opsbot.bot.chat.Inbound;
import opsbot.bot.chat.Message;
import opsbot.bot.dispatch.Dispatcher;
import opsbot.bot.incident.Entry;
import opsbot.bot.incident.Incident;
import opsbot.bot.schedule.Schedule;
import opsbot.bot.store.Store;
import opsbot.bot.testkit.TestEnv;
import opsbot.commands.policy.Identity;
import opsbot.commands.ssh.ExecResult;
import opsbot.commands.ssh.Executor;
import opsbot.commands.ssh.FanOut;
import opsbot.config.ConfigLoader;
import opsbot.config.HostConfig;
import opsbot.config.OpsbotConfig;
import opsbot.config.StorageConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The runbook state machine on a real store and a real Quartz schedule, with a fake executor: every step once and
 * in order, waits and polls on durable timers, questions, cancel, failures, refusals up front, and a step cut off
 * by a stop that is never run again without a human.
 */
class RunbooksTest {
    private static final Identity BOB = new Identity.IrcAccount("bob");
    private static final Identity ALICE = new Identity.IrcAccount("alice");
    private static final Duration MAX = Duration.ofSeconds(20);

    private static final String RUNBOOKS = """
            runbooks:
              - name: reinstall
                aliases: [ri]
                role: admin
                params: [{name: host, type: host}]
                steps:
                  - run: "fo -a {host}"
                  - run: "srv {host} stop"
                    continue-on-failure: true
                  - run: "grub {host}"
                  - run: "reboot {host}"
                    expect-disconnect: true
                  - until: ssh-reachable
                    on: "{host}"
                    every: 1s
                    at-most: 30s
                  - run: "srv {host} start"
                  - run: "fo -m {host}"
                  - report
              - name: pause
                role: operator
                params: [{name: host, type: host}]
                steps:
                  - run: "srv {host} stop"
                  - wait: 2s
                  - run: "srv {host} start"
              - name: hold
                role: operator
                params: [{name: host, type: host}]
                steps:
                  - run: "srv {host} stop"
                  - wait: 1h
                  - run: "srv {host} start"
              - name: check
                role: operator
                params: [{name: host, type: host}]
                steps:
                  - ask: "Is {host} back in the pool?"
                  - run: "srv {host} start"
              - name: sneaky
                role: operator
                params: [{name: host, type: host}]
                steps:
                  - run: "srv {host} stop"
                  - run: "grub {host}"
            """;

    @TempDir
    Path dir;
    private OpsbotConfig cfg;
    private final Fake hosts = new Fake();
    /** What the bot said: replies and outbox posts, "target text". */
    private final List<String> said = new CopyOnWriteArrayList<>();
    private Store store;
    private Schedule schedule;
    private Dispatcher dispatcher;
    private Runbooks runbooks;

    /** Records what runs where; reboot drops the connection; hosts answer SSH after {@code downFor} probes. */
    static final class Fake implements Executor {
        final List<String> ran = new CopyOnWriteArrayList<>();
        final AtomicInteger probes = new AtomicInteger();
        volatile int downFor;
        /** When set, every probe is refused so (the host is up, the login is not allowed). */
        volatile ExecResult.NotRun refuse;
        volatile String hangOn;
        volatile String failOn;
        /** Lines answered "busy" (nothing ran), as the executor's admission does when it is full. */
        volatile String busyOn;
        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public ExecResult run(HostConfig h, String line) {
            if (busyOn != null && line.contains(busyOn)) {
                return new ExecResult.NotRun(ExecResult.Why.BUSY, "", Duration.ZERO);
            }
            ran.add(h.name() + ": " + line);
            if (hangOn != null && line.contains(hangOn)) {
                try {
                    release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    return new ExecResult.Lost("", "", Duration.ZERO);
                }
            }
            if (failOn != null && line.contains(failOn)) {
                return new ExecResult.Exited(2, "", "failing as told\n", 0, Duration.ofMillis(1));
            }
            if (line.contains("reboot")) {
                return new ExecResult.Lost("reboot: going down\n", "", Duration.ofMillis(1));
            }
            return new ExecResult.Exited(0, "done\n", "", 0, Duration.ofMillis(1));
        }

        @Override
        public Optional<ExecResult.NotRun> reachable(HostConfig host) {
            probes.incrementAndGet();
            ExecResult.NotRun refusal = refuse;
            if (refusal != null) return Optional.of(refusal);
            return probes.get() <= downFor
                    ? Optional.of(new ExecResult.NotRun(ExecResult.Why.UNREACHABLE, "connection refused", Duration.ZERO))
                    : Optional.empty();
        }
    }

    @BeforeEach
    void setUp() throws Exception {
        String text = new String(getClass().getResourceAsStream("/opsbot/examples/opsbot.yml").readAllBytes());
        text = text.substring(0, text.indexOf("\nrunbooks:")) + "\n" + RUNBOOKS;
        ConfigLoader.Result r = new ConfigLoader(n -> "secret-" + n, false).load("x", text, null);
        if (r instanceof ConfigLoader.Result.Invalid i) fail(i.report());
        OpsbotConfig c = ((ConfigLoader.Result.Loaded) r).config();
        cfg = new OpsbotConfig(c.bot(), c.irc(), null, c.people(), c.channels(), c.hosts(), c.ssh(), c.commands(),
                StorageConfig.embedded(dir.resolve("db").toString()), c.runbooks(), c.checks());
        open(false);
    }

    /** The nick each account has now, as the IRC network would find it (absent: the nick they had). */
    private final java.util.Map<Identity, String> nicks = new java.util.concurrent.ConcurrentHashMap<>();

    private void open(boolean dryRun) {
        store = Store.open(cfg.storage());
        schedule = Schedule.create(store.pool(), Clock.systemUTC());
        dispatcher = new Dispatcher(cfg, store, new FanOut(hosts, 4), Clock.systemUTC());
        runbooks = Runbooks.install(cfg, dispatcher, schedule, hosts, dryRun);
        schedule.start();
        dispatcher.attach(new ChatNetwork() {
            public String name() { return "irc"; }
            public void start(Consumer<Inbound> inbox) { }
            public void send(String target, List<String> lines) { lines.forEach(l -> said.add(target + " " + l)); }
            public String post(String target, Message m, String thread, String key) {
                said.add(target + " " + m.plain());
                return null;
            }
            public String selfName() { return "opsbot"; }
            public String nameOf(Identity who, String lastNick) { return nicks.getOrDefault(who, lastNick); }
            public void close() { }
        });
    }

    /** The bot stops (its threads may still be stuck in a step: as after a SIGKILL, they never write again). */
    private void stop() {
        schedule.close();
        dispatcher.close();
        store.close();
    }

    @AfterEach
    void tearDown() {
        hosts.release.countDown();
        stop();
    }

    private void say(Identity who, String nick, String line) throws InterruptedException {
        dispatcher.handle(new Inbound("irc", "#ops", nick, who, line));
    }

    private Rows rows() {
        return new Rows(store, dispatcher.outbox());
    }

    private Rows.Run run(long id) {
        return rows().find(id).orElseThrow();
    }

    private void awaitState(long id, String state) throws InterruptedException {
        TestEnv.await("R" + id + " " + state + " (it is " + rows().find(id).map(Rows.Run::state).orElse("gone") + ")",
                () -> state.equals(rows().find(id).map(Rows.Run::state).orElse("")), MAX);
    }

    private void awaitSaid(String part) throws InterruptedException {
        TestEnv.await("the bot saying \"" + part + "\" (said: " + said + ")",
                () -> said.stream().anyMatch(l -> l.contains(part)), MAX);
    }

    private List<String> incident() {
        Incident i = dispatcher.incidents().active().orElseThrow();
        return dispatcher.incidents().store().entries(i.id()).stream().map(Entry::text).toList();
    }

    @Test
    void theWholeReinstallRunsEveryStepOnceInOrderAndTheIncidentShowsEveryStep() throws Exception {
        hosts.downFor = 2;
        say(BOB, "bob", "!ri c4");
        assertTrue(said.stream().anyMatch(l -> l.contains("confirm with !y") && l.contains("runbook reinstall compute4 (8 steps)")), said.toString());
        assertTrue(said.stream().anyMatch(l -> l.contains("3 compute4: utils/ReinstallGrub2.pl -r")
                && l.contains("5 until compute4 answers SSH (every 1s, at most 30s)")), said.toString());
        assertEquals(List.of(), hosts.ran, "nothing runs before !y");
        say(BOB, "bob", "!y");
        awaitState(1, Rows.DONE);
        assertEquals(List.of("admin1: utils/FailOver.pl -a compute4", "compute4: srv all stop",
                "compute4: utils/ReinstallGrub2.pl -r", "compute4: sudo /sbin/reboot", "compute4: srv all start",
                "admin1: utils/FailOver.pl -m compute4"), hosts.ran);
        assertEquals(3, hosts.probes.get(), "down for two tries, up at the third");
        List<Rows.Entry> journal = rows().journal(1);
        assertEquals(8, journal.size(), journal.toString());
        assertTrue(journal.stream().allMatch(e -> e.state().equals("ok") && e.attempt() == 1), journal.toString());
        awaitSaid("R1 reinstall compute4 report: 1 fo -a compute4 ok (admin1=0) · 2 srv compute4 stop ok (compute4=0)");
        awaitSaid("bob: R1 reinstall compute4 done");
        awaitSaid("answers SSH again");
        List<String> entries = incident();
        for (String step : List.of("fo -a compute4 →", "srv compute4 stop →", "grub compute4 →", "reboot compute4 →",
                "trying compute4 over SSH", "compute4 answers SSH again", "srv compute4 start →", "fo -m compute4 →", "report:")) {
            assertTrue(entries.stream().anyMatch(e -> e.contains(step)), step + " in " + entries);
        }
    }

    @Test
    void aWaitIsADurableTimerAndCancelDuringItStopsEverything() throws Exception {
        say(ALICE, "alice", "!hold c4");
        say(ALICE, "alice", "!y");
        awaitState(1, Rows.WAITING);
        // The row first, then the timer (a stop in between is re-armed at start: see below).
        TestEnv.await("the wait a timer in Quartz", () -> schedule.ids(Engine.KIND).contains("R1"), MAX);
        assertEquals(List.of("compute4: srv all stop"), hosts.ran);
        say(ALICE, "alice", "!runbook status R1");
        awaitSaid("R1 hold compute4 · waiting · step 2/3 `wait 1h`");
        awaitSaid("next: ");
        dispatcher.handle(new Inbound("irc", "#mail", "alice", ALICE, "!cancel R1"));
        awaitSaid("denied: #mail is a shared channel; cancel R1 in an ops channel");
        assertEquals(Rows.WAITING, run(1).state(), "not cancelled from a shared channel");
        say(ALICE, "alice", "!cancel R1");
        awaitSaid("cancelled R1 hold compute4 at step 2 `wait 1h`; nothing more runs");
        assertEquals(Rows.CANCELLED, run(1).state());
        assertFalse(schedule.ids(Engine.KIND).contains("R1"), "the timer is gone");
        // A firing on its way past the wait's due time finds the run cancelled: nothing else runs.
        assertFalse(rows().wake(1, java.time.Instant.now().plusSeconds(7200)));
        runbooks.awaitIdle(MAX);
        assertEquals(List.of("compute4: srv all stop"), hosts.ran);
        assertEquals(Rows.CANCELLED, run(1).state());
    }

    @Test
    void aWaitThatFiresWhileCancelledChangesNothing() throws Exception {
        say(ALICE, "alice", "!hold c4");
        say(ALICE, "alice", "!y");
        awaitState(1, Rows.WAITING);
        assertTrue(rows().cancel(1, java.time.Instant.now(), List.of()));
        // The handler itself, as a late firing would call it: the row says cancelled, so nothing runs.
        runbooks.awaitIdle(MAX);
        assertFalse(rows().wake(1, java.time.Instant.now().plusSeconds(3600)));
        runbooks.awaitIdle(MAX);
        assertEquals(List.of("compute4: srv all stop"), hosts.ran);
    }

    @Test
    void aTimerThatFiresBeforeTheWaitIsOverChangesNothing() throws Exception {
        say(ALICE, "alice", "!hold c4");
        say(ALICE, "alice", "!y");
        awaitState(1, Rows.WAITING);
        runbooks.awaitIdle(MAX);
        assertFalse(rows().wake(1, java.time.Instant.now()), "woken before its wait was over");
        assertEquals(Rows.WAITING, rows().find(1).orElseThrow().state());
        assertTrue(rows().wake(1, java.time.Instant.now().plusSeconds(3600)));
    }

    /** While the bot is down: run R1's wait is over (its row and, if it has one, its timer). */
    private void fellDue() {
        opsbot.bot.testkit.WhileDown.fellDue(cfg.storage(), "runbook_runs", "next_due", 1, "R1", java.time.Instant.now().minusSeconds(1));
    }

    /** A step the executor had no room for never ran: it is tried again, not failed or skipped (continue-on-failure). */
    @Test
    void aStepTheExecutorWasTooBusyForIsTriedAgainNotSkipped() throws Exception {
        hosts.busyOn = "srv all stop";
        say(BOB, "bob", "!reinstall compute4");
        say(BOB, "bob", "!y");
        awaitSaid("R1 2/8 srv compute4 stop: not run, the executor is busy; trying again in 30s");
        awaitState(1, Rows.WAITING);
        assertEquals(List.of("admin1: utils/FailOver.pl -a compute4"), hosts.ran, "nothing after it ran");
        hosts.busyOn = null;
        store.transaction("due now", db -> db.createStatement().executeUpdate(
                "UPDATE runbook_runs SET next_due=DATEADD(SECOND, -1, CURRENT_TIMESTAMP) WHERE id=1"));
        schedule.at(Engine.KIND, "R1", java.time.Instant.now());
        awaitState(1, Rows.DONE);
        assertEquals(1, hosts.ran.stream().filter(l -> l.contains("srv all stop")).count());
        assertTrue(rows().journal(1).stream().anyMatch(e -> e.step() == 1 && e.state().equals("not-run")));
        assertTrue(rows().journal(1).stream().anyMatch(e -> e.step() == 1 && e.state().equals("ok")));
    }

    @Test
    void aWaitGoesOnAfterTheBotStoppedAndStartedAgain() throws Exception {
        say(ALICE, "alice", "!hold c4");
        say(ALICE, "alice", "!y");
        awaitState(1, Rows.WAITING);
        stop();
        fellDue(); // the hour passed while the bot was down
        hosts.ran.clear();
        open(false);
        awaitState(1, Rows.DONE);
        assertEquals(List.of("compute4: srv all start"), hosts.ran, "only what was left, once");
    }

    @Test
    void aStepWhoseCommandChangedInTheConfigSinceTheConfirmationIsNotRun() throws Exception {
        say(ALICE, "alice", "!hold c4");
        say(ALICE, "alice", "!y");
        awaitState(1, Rows.WAITING);
        stop();
        fellDue();
        hosts.ran.clear();
        // Restarted with a new srv template: "srv compute4 start" would now run another line than the one confirmed.
        cfg = new OpsbotConfig(cfg.bot(), cfg.irc(), null, cfg.people(), cfg.channels(), cfg.hosts(), cfg.ssh(),
                cfg.commands().stream().map(c -> !c.name().equals("srv") ? c : new opsbot.config.CommandSpec(c.name(),
                        c.aliases(), c.help(), c.role(), c.kind(), c.confirm(), c.flags(), c.args(), c.on(),
                        "srv2 all {action}")).toList(),
                cfg.storage(), cfg.runbooks(), cfg.checks());
        open(false);
        awaitState(1, Rows.FAILED);
        awaitSaid("alice: R1 hold compute4 stopped at step 3 `srv compute4 start`: not run, it would now run `compute4:"
                + " srv2 all start`, not the confirmed `compute4: srv all start` (the config changed)");
        assertEquals(List.of(), hosts.ran, "nothing nobody said yes to");
    }

    @Test
    void stepsStoredBeforeConfirmedLinesWereKeptStillRead() {
        List<Step> old = Step.decode("run\tfalse\ttrue\tsrv compute4 stop\nwait\t1000\n");
        assertEquals(List.of(new Step.Run("srv compute4 stop", false, true, null), new Step.Wait(Duration.ofSeconds(1))), old);
        Step.Run kept = new Step.Run("fo -a compute4", false, false, "admin1: utils/FailOver.pl -a compute4");
        assertEquals(List.of(kept), Step.decode(Step.encode(List.of(kept))));
    }

    @Test
    void aWaitingRunWhoseTimerIsMissingIsReArmedAtStart() throws Exception {
        say(ALICE, "alice", "!hold c4");
        say(ALICE, "alice", "!y");
        awaitState(1, Rows.WAITING);
        schedule.cancel(Engine.KIND, "R1"); // as if the bot died between the row and the timer
        stop();
        fellDue(); // the hour passed while the bot was down
        hosts.ran.clear();
        open(false);
        awaitState(1, Rows.DONE);
        assertEquals(List.of("compute4: srv all start"), hosts.ran);
    }

    @Test
    void aStepCutOffByAStopIsUnknownAndRunsAgainOnlyAfterYes() throws Exception {
        hosts.hangOn = "ReinstallGrub2";
        say(BOB, "bob", "!reinstall compute4");
        say(BOB, "bob", "!y");
        TestEnv.await("grub running", () -> hosts.ran.contains("compute4: utils/ReinstallGrub2.pl -r"), MAX);
        stop(); // the step never ends in this bot: its journal row stays "started"
        hosts.hangOn = null;
        hosts.ran.clear();
        said.clear();
        open(false);
        assertEquals(Rows.PAUSED, run(1).state());
        awaitSaid("bob: outcome unknown: R1 step 3 `grub compute4` was running when the bot stopped; !y re-runs that step, !cancel R1 stops");
        assertTrue(rows().journal(1).stream().anyMatch(e -> e.step() == 2 && e.state().equals("unknown")));
        Thread.sleep(500);
        runbooks.awaitIdle(MAX);
        assertEquals(List.of(), hosts.ran, "nothing runs by itself");
        say(ALICE, "alice", "!y"); // not hers
        assertEquals(Rows.PAUSED, run(1).state());
        say(BOB, "bob", "!y");
        awaitSaid("R1: running step 3 `grub compute4` again");
        TestEnv.await("the reboot", () -> hosts.ran.contains("compute4: sudo /sbin/reboot"), MAX);
        assertEquals(List.of("compute4: utils/ReinstallGrub2.pl -r", "compute4: sudo /sbin/reboot"), hosts.ran.subList(0, 2));
        awaitState(1, Rows.DONE);
        assertEquals(1, hosts.ran.stream().filter(l -> l.contains("ReinstallGrub2")).count());
        assertTrue(rows().journal(1).stream().anyMatch(e -> e.step() == 2 && e.attempt() == 2 && e.state().equals("ok")));
    }

    @Test
    void aRunBetweenStepsAtAStopGoesOnAtStart() throws Exception {
        say(ALICE, "alice", "!hold c4");
        say(ALICE, "alice", "!y");
        awaitState(1, Rows.WAITING);
        stop();
        // As if it had stopped right after the wait ended, before the next step began.
        store = Store.open(cfg.storage());
        store.transaction("set", db -> db.createStatement().executeUpdate(
                "UPDATE runbook_runs SET state='running', step=2, next_due=NULL WHERE id=1"));
        store.close();
        hosts.ran.clear();
        open(false);
        awaitState(1, Rows.DONE);
        assertEquals(List.of("compute4: srv all start"), hosts.ran);
    }

    @Test
    void aQuestionWaitsForTheAskersYesHere() throws Exception {
        say(ALICE, "alice", "!check c4");
        nicks.put(ALICE, "alice_phone"); // she changed nick before the question came: mentioned by the nick she has now
        say(ALICE, "alice", "!y");
        awaitState(1, Rows.ASKING);
        awaitSaid("alice_phone: R1 check compute4 asks: Is compute4 back in the pool? · !y goes on, !cancel R1 stops");
        say(BOB, "bob", "!y");
        assertEquals(Rows.ASKING, run(1).state(), "only the asker answers");
        dispatcher.handle(new Inbound("irc", "#mail", "alice", ALICE, "!y"));
        assertEquals(Rows.ASKING, run(1).state(), "only where it was asked");
        say(ALICE, "alice", "!y");
        awaitState(1, Rows.DONE);
        assertEquals(List.of("compute4: srv all start"), hosts.ran);
    }

    @Test
    void aFailureStopsTheRunAndMentionsTheAskerButContinueOnFailureGoesOn() throws Exception {
        hosts.failOn = "srv all stop"; // step 2 goes on after failing
        hosts.downFor = 0;
        say(BOB, "bob", "!ri c4");
        say(BOB, "bob", "!y");
        awaitState(1, Rows.DONE);
        assertTrue(rows().journal(1).stream().anyMatch(e -> e.step() == 1 && e.state().equals("failed")));
        hosts.ran.clear();
        hosts.failOn = "ReinstallGrub2";
        say(BOB, "bob", "!ri c4");
        say(BOB, "bob", "!y");
        awaitState(2, Rows.FAILED);
        awaitSaid("bob: R2 reinstall compute4 failed at step 3 `grub compute4` (compute4=2); nothing after it runs");
        assertEquals(List.of("admin1: utils/FailOver.pl -a compute4", "compute4: srv all stop",
                "compute4: utils/ReinstallGrub2.pl -r"), hosts.ran);
    }

    @Test
    void aHostThatNeverAnswersFailsTheUntilStepAfterAtMost() throws Exception {
        hosts.downFor = Integer.MAX_VALUE;
        say(BOB, "bob", "!ri c4");
        say(BOB, "bob", "!y");
        awaitState(1, Rows.WAITING);
        TestEnv.await("polling", () -> hosts.probes.get() >= 2, MAX);
        // Move the poll's start back, as if it had begun 30s ago: the next try is the last.
        store.transaction("age", db -> db.createStatement().executeUpdate(
                "UPDATE runbook_runs SET step_started=DATEADD('SECOND', -40, step_started) WHERE id=1"));
        awaitState(1, Rows.FAILED);
        awaitSaid("compute4 did not answer SSH within 30s");
        assertFalse(hosts.ran.contains("compute4: srv all start"));
    }

    @Test
    void aRefusedLoginPausesThePollAtOnceAndYesStartsItAfresh() throws Exception {
        hosts.refuse = new ExecResult.NotRun(ExecResult.Why.HOST_KEY, "host key CHANGED", Duration.ZERO);
        say(BOB, "bob", "!ri c4");
        say(BOB, "bob", "!y");
        awaitState(1, Rows.PAUSED);
        awaitSaid("bob: R1 reinstall compute4 paused at step 5: compute4 answers, but host key refused, host key CHANGED;"
                + " fix it, then !y tries again, !cancel R1 stops");
        assertEquals(1, hosts.probes.get(), "no polling on after a refusal: it cannot fix itself");
        assertTrue(rows().journal(1).stream().anyMatch(e -> e.state().equals("refused")), rows().journal(1).toString());
        assertFalse(hosts.ran.contains("compute4: srv all start"));
        hosts.refuse = null; // known_hosts fixed
        say(BOB, "bob", "!y");
        awaitState(1, Rows.DONE);
        assertTrue(hosts.ran.contains("compute4: srv all start"), hosts.ran.toString());
    }

    @Test
    void atMostFiftyRunsAreLiveAtOnceAndTheFiftyFirstIsToldWhy() throws Exception {
        say(ALICE, "alice", "!hold c4");
        say(ALICE, "alice", "!y");
        awaitState(1, Rows.WAITING);
        Rows.Run first = run(1);
        for (int i = 1; i < Runbooks.MAX_LIVE; i++) {
            rows().create(first);
        }
        assertEquals(Runbooks.MAX_LIVE, rows().live().size());
        int ranBefore = hosts.ran.size();
        say(ALICE, "alice", "!hold c4");
        say(ALICE, "alice", "!y");
        awaitSaid("not started: 50 runbook runs are going already (the most at once); !runbook status, !cancel one first");
        assertEquals(Runbooks.MAX_LIVE, rows().live().size(), "no 51st run stored");
        assertEquals(ranBefore, hosts.ran.size(), "nothing ran for it");
    }

    @Test
    void aStepTheAskerMayNotRunRefusesTheWholeRunbookUpFront() throws Exception {
        say(ALICE, "alice", "!sneaky c4");
        awaitSaid("sneaky compute4: not started: step 2 `grub compute4` is refused: denied");
        say(ALICE, "alice", "!y");
        assertEquals(List.of(), hosts.ran);
        assertTrue(rows().live().isEmpty());
    }

    @Test
    void dryRunShowsTheStepsAndRunsNothing() throws Exception {
        say(BOB, "bob", "!ri c4 --dry-run");
        awaitSaid("dry run of runbook reinstall compute4 (8 steps); nothing runs:");
        awaitSaid("role check: bob may run all 6 commands here");
        say(BOB, "bob", "!y");
        assertEquals(List.of(), hosts.ran);
        assertTrue(rows().live().isEmpty());
    }

    @Test
    void aBotInDryRunWalksTheStepsWithoutWaitingOrStoringARun() throws Exception {
        stop();
        open(true);
        say(ALICE, "alice", "!pause c4");
        say(ALICE, "alice", "!y");
        awaitSaid("1 would run compute4: srv all stop · 2 would wait 2s · 3 would run compute4: srv all start");
        assertTrue(rows().live().isEmpty() && rows().finished(5).isEmpty());
    }

    @Test
    void badParametersAreOneLine() throws Exception {
        say(BOB, "bob", "!ri");
        awaitSaid("reinstall: missing HOST (usage: reinstall HOST)");
        say(BOB, "bob", "!ri c9");
        awaitSaid("reinstall: unknown host 'c9'");
    }

    @Test
    void aRebootsDropIsALostConnectionOrAKillNotAPlainFailure() {
        assertTrue(Engine.dropped(new ExecResult.Lost("", "", Duration.ZERO)));
        assertTrue(Engine.dropped(new ExecResult.Exited(137, "", "", 0, Duration.ZERO)));
        assertTrue(Engine.dropped(new ExecResult.Exited(0, "", "(ended by signal KILL)\n", 0, Duration.ZERO)));
        assertFalse(Engine.dropped(new ExecResult.Exited(1, "", "reboot: not allowed\n", 0, Duration.ZERO)));
        assertFalse(Engine.dropped(new ExecResult.NotRun(ExecResult.Why.UNREACHABLE, "connection refused", Duration.ZERO)));
    }

    @Test
    void stepsSurviveTheStoreAsConfirmed() {
        List<Step> steps = List.of(new Step.Run("srv \"a b\" start", true, false), new Step.Wait(Duration.ofSeconds(90)),
                new Step.Until("compute4", Duration.ofSeconds(1), Duration.ofMinutes(60)), new Step.Ask("ok?\tsure"),
                new Step.Report());
        List<Step> back = Step.decode(Step.encode(steps));
        assertEquals(new Step.Ask("ok? sure"), back.get(3));
        assertEquals(steps.subList(0, 3), back.subList(0, 3));
        assertEquals(steps.get(4), back.get(4));
    }
}
