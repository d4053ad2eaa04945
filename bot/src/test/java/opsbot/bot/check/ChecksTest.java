package opsbot.bot.check;

import opsbot.bot.chat.ChatNetwork;
import opsbot.bot.chat.Inbound;
import opsbot.bot.dispatch.Dispatcher;
import opsbot.bot.incident.Actor;
import opsbot.bot.incident.Entry;
import opsbot.bot.incident.Incident;
import opsbot.bot.outbox.Row;
import opsbot.bot.outbox.Target;
import opsbot.bot.schedule.Schedule;
import opsbot.bot.store.Store;
import opsbot.bot.testkit.TestEnv;
import opsbot.commands.policy.Identity;
import opsbot.commands.ssh.DryRunExecutor;
import opsbot.commands.ssh.ExecResult;
import opsbot.commands.ssh.Executor;
import opsbot.commands.ssh.FanOut;
import opsbot.config.CheckSpec;
import opsbot.config.ConfigLoader;
import opsbot.config.HostConfig;
import opsbot.config.MatrixConfig;
import opsbot.config.OpsbotConfig;
import opsbot.config.StorageConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Health checks on the real store and schedule, with a fake executor: what is said, once, and when. */
class ChecksTest {
    @TempDir
    Path dir;
    private static final Duration MAX = Duration.ofSeconds(20);
    private static final Target IRC_OPS = new Target("irc", "#ops");
    private static final Target MATRIX_OPS = new Target("matrix", "!ops:x");

    /** Exit codes by host (absent: 0), and every call made. */
    private final Map<String, Integer> exits = new ConcurrentHashMap<>();
    private final List<String> calls = new CopyOnWriteArrayList<>();
    private volatile CountDownLatch hold;
    private final CountDownLatch entered = new CountDownLatch(1);
    private final Executor fake = (HostConfig h, String line) -> {
        calls.add(h.name() + ": " + line);
        CountDownLatch l = hold;
        if (l != null) {
            entered.countDown();
            try {
                l.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        int code = exits.getOrDefault(h.name(), 0);
        return new ExecResult.Exited(code, code == 0 ? "" : "config: bad rule at line 3\nlint failed\nmore\n", "", 0,
                Duration.ofMillis(1));
    };
    private final List<String> replies = new CopyOnWriteArrayList<>();

    private Store store;
    private Schedule schedule;
    private Dispatcher dispatcher;
    private Checks checks;

    @AfterEach
    void tearDown() {
        if (schedule != null) schedule.close();
        if (dispatcher != null) dispatcher.close();
        if (store != null) store.close();
    }

    private static CheckSpec spec(String name, String run, Duration every, int failAfter) {
        return new CheckSpec(name, "", run, every, null, null, List.of("#OPS", "!ops:x"), failAfter);
    }

    private OpsbotConfig config(List<CheckSpec> specs) throws Exception {
        String text = new String(getClass().getResourceAsStream("/opsbot/examples/opsbot.yml").readAllBytes());
        OpsbotConfig c = ((ConfigLoader.Result.Loaded) new ConfigLoader(n -> "secret-" + n, false).load("x", text, null)).config();
        return new OpsbotConfig(c.bot(), c.irc(), new MatrixConfig("http://127.0.0.1:1", "opsbot", "x", null,
                List.of("!ops:x"), null, List.of()), c.people(), c.channels(), c.hosts(), c.ssh(), c.commands(),
                StorageConfig.embedded(dir.resolve("db").toString()), c.runbooks(), specs);
    }

    private void start(List<CheckSpec> specs, Executor executor) throws Exception {
        OpsbotConfig cfg = config(specs);
        store = Store.open(cfg.storage());
        schedule = Schedule.create(store.pool(), Clock.systemUTC());
        dispatcher = new Dispatcher(cfg, store, new FanOut(executor, 4), Clock.systemUTC());
        checks = Checks.install(cfg, dispatcher, schedule);
        schedule.start();
    }

    private void stop() {
        schedule.close();
        dispatcher.close();
        store.close();
        schedule = null;
        dispatcher = null;
        store = null;
    }

    /** The lines waiting in the outbox (no network is attached, so nothing leaves it). */
    private List<String> said(Target t) {
        return dispatcher.outbox().pending(List.of(t)).stream().map(r -> r.body().plain()).toList();
    }

    private List<Row> rows() {
        return dispatcher.outbox().pending(List.of());
    }

    @Test
    void failingIsSaidOnceAfterFailAfterRunsThenNotAgainThenOnceOnRecovery() throws Exception {
        start(List.of(spec("spam", "salint @compute", Duration.ofHours(1), 2)), fake);
        assertInstanceOf(Checks.Run.Done.class, checks.run("spam"));
        assertEquals(6, calls.size(), "salint @compute ran on the six compute hosts, as the check's system identity");
        assertTrue(rows().isEmpty(), "ok stays unsaid");

        exits.put("compute2", 1);
        exits.put("compute5", 1);
        Checks.Run.Done first = (Checks.Run.Done) checks.run("spam");
        assertEquals(CheckRow.State.OK, first.state(), "one failed run is a blip, not a page");
        assertEquals(1, first.failures());
        assertTrue(rows().isEmpty());

        Checks.Run.Done second = (Checks.Run.Done) checks.run("spam");
        assertEquals(CheckRow.State.FAILING, second.state());
        List<String> irc = said(IRC_OPS);
        assertEquals(1, irc.size(), "said once in #ops: " + irc);
        assertTrue(irc.get(0).startsWith("check spam failing on compute2, compute5: compute2 exit 1: config: bad rule at line 3 | lint failed"),
                irc.get(0));
        assertEquals(irc, said(MATRIX_OPS), "and once in the Matrix room");
        assertEquals(Set.of("check-spam-1"), Set.copyOf(rows().stream().map(Row::key).toList()));

        for (int i = 0; i < 4; i++) {
            assertEquals(CheckRow.State.FAILING, ((Checks.Run.Done) checks.run("spam")).state());
        }
        assertEquals(2, rows().size(), "not said again while failing: " + rows());

        exits.clear();
        Checks.Run.Done ok = (Checks.Run.Done) checks.run("spam");
        assertEquals(CheckRow.State.OK, ok.state());
        List<String> after = said(IRC_OPS);
        assertEquals(2, after.size(), after.toString());
        assertTrue(after.get(1).matches("check spam ok again \\(failing since (\\d{4}-\\d\\d-\\d\\d )?\\d\\d:\\d\\d Europe/Berlin, (\\d{4}-\\d\\d-\\d\\d )?\\d\\d:\\d\\d UTC, \\d+s\\)"), after.get(1));
        checks.run("spam");
        checks.run("spam");
        assertEquals(4, rows().size(), "recovery said once: " + rows());
    }

    @Test
    void aHostFailingLaterInTheSpellIsSaidOnceAndFlappingIsNotRepeated() throws Exception {
        start(List.of(spec("spam", "salint @compute", Duration.ofHours(1), 1)), fake);
        exits.put("compute2", 1);
        checks.run("spam");
        exits.put("compute6", 3);
        checks.run("spam");
        exits.remove("compute6");
        checks.run("spam");
        exits.put("compute6", 3);
        checks.run("spam");
        List<String> irc = said(IRC_OPS);
        assertEquals(2, irc.size(), irc.toString());
        assertTrue(irc.get(0).startsWith("check spam failing on compute2: "), irc.get(0));
        assertTrue(irc.get(1).startsWith("check spam still failing, now also on compute6 (failing on 2 hosts): compute6 exit 3"),
                irc.get(1));
    }

    @Test
    void anOverlappingRunIsSkippedNotStacked() throws Exception {
        start(List.of(spec("spam", "salint compute1", Duration.ofHours(1), 2)), fake);
        hold = new CountDownLatch(1);
        Thread first = Thread.ofVirtual().start(() -> checks.run("spam"));
        assertTrue(entered.await(20, TimeUnit.SECONDS), "the first run reached the host");
        assertInstanceOf(Checks.Run.Skipped.class, checks.run("spam"), "the second firing finds the first still running");
        assertTrue(reply("!checks").stream().anyMatch(l -> l.startsWith("spam: ") && l.contains("running now")), replies.toString());
        hold.countDown();
        first.join(MAX);
        assertEquals(1, calls.size(), "one run on the host, not two: " + calls);
        hold = null;
        assertInstanceOf(Checks.Run.Done.class, checks.run("spam"), "the next one runs again");
    }

    @Test
    void theDoorRefusesAChangeCommandEvenWhenTheConfigLoaderWasBypassed() throws Exception {
        start(List.of(spec("bad", "srv compute4 stop", Duration.ofHours(1), 1)), fake);
        Checks.Run.Done d = (Checks.Run.Done) checks.run("bad");
        assertTrue(calls.isEmpty(), "nothing ran: " + calls);
        assertEquals(CheckRow.State.FAILING, d.state(), "a check that cannot run is not passing");
        assertTrue(d.said().startsWith("check bad failing: not run: denied: `check bad (srv)` changes things; check:bad is a shared channel"),
                d.said());
    }

    @Test
    void dryRunResultsAreOkSoNothingIsEverSaid() throws Exception {
        start(List.of(spec("spam", "salint @compute", Duration.ofHours(1), 1),
                spec("leap", "leap @admin,@bladecentre1,@bladecentre2", Duration.ofHours(1), 1)), new DryRunExecutor());
        for (int i = 0; i < 3; i++) {
            assertEquals(CheckRow.State.OK, ((Checks.Run.Done) checks.run("spam")).state());
            assertEquals(CheckRow.State.OK, ((Checks.Run.Done) checks.run("leap")).state());
        }
        assertTrue(rows().isEmpty(), rows().toString());
    }

    @Test
    void whatIsSaidGoesIntoTheActiveIncidentWhichIsNeverOpenedByACheck() throws Exception {
        start(List.of(spec("spam", "salint compute1", Duration.ofHours(1), 1)), fake);
        exits.put("compute1", 1);
        checks.run("spam");
        assertTrue(dispatcher.incidents().active().isEmpty(), "a check opens no incident");
        exits.clear();
        checks.run("spam");
        Incident inc = dispatcher.incidents().open("spam scanning", new Actor("alice", "irc", "#ops"));
        exits.put("compute1", 1);
        checks.run("spam");
        List<Entry> entries = dispatcher.incidents().store().entries(inc.id());
        assertEquals(2, entries.size(), entries.toString());
        assertTrue(entries.get(1).text().startsWith("check spam failing on compute1"), entries.get(1).text());
        assertEquals("check spam", entries.get(1).person());
    }

    @Test
    void timersAreArmedReplacedWhenTheirScheduleChangesAndRemovedWithTheirCheck() throws Exception {
        start(List.of(spec("a", "salint compute1", Duration.ofHours(1), 2), spec("b", "uptime compute1", Duration.ofHours(2), 2)), fake);
        assertEquals(Set.of("a", "b"), schedule.ids(Checks.KIND));
        Instant nextA = schedule.next(Checks.KIND, "a").orElseThrow();
        Instant nextB = schedule.next(Checks.KIND, "b").orElseThrow();
        stop();
        TestEnv.await("a second passes", () -> Instant.now().isAfter(nextA.minus(Duration.ofHours(1)).plusSeconds(1)), MAX);

        start(List.of(spec("a", "salint compute1", Duration.ofHours(1), 2),
                new CheckSpec("b", "", "uptime compute1", null, "0 0 4 * * ?", null, List.of("#ops"), 2)), fake);
        assertEquals(Set.of("a", "b"), schedule.ids(Checks.KIND));
        assertEquals(nextA, schedule.next(Checks.KIND, "a").orElseThrow(), "an unchanged timer is left as it was");
        assertNotEquals(nextB, schedule.next(Checks.KIND, "b").orElseThrow(), "a changed schedule replaces the timer");
        stop();

        start(List.of(spec("a", "salint compute1", Duration.ofHours(1), 2)), fake);
        assertEquals(Set.of("a"), schedule.ids(Checks.KIND), "a check gone from the config loses its timer");
    }

    @Test
    void aTimerRunsTheCheckAndChecksListsIt() throws Exception {
        start(List.of(spec("fast", "salint compute1", Duration.ofMillis(300), 2), spec("slow", "uptime compute1", Duration.ofHours(1), 2)), fake);
        exits.put("compute1", 1);
        TestEnv.await("the timer runs the check twice", () -> calls.size() >= 2, MAX);
        TestEnv.await("the second run is stored", () -> reply("!checks").stream().anyMatch(l -> l.startsWith("fast: ✗ failing")), MAX);
        List<String> lines = reply("!checks");
        assertEquals("2 checks, 1 failing (!checks NAME for the last result)", lines.get(0));
        assertTrue(lines.get(1).matches("fast: ✗ failing for \\d+s on compute1( · running now)? · last run \\d+s ago · next .*UTC"), lines.get(1));
        assertTrue(lines.get(2).matches("slow: not run yet · next (\\d{4}-\\d\\d-\\d\\d )?\\d\\d:\\d\\d Europe/Oslo, (\\d{4}-\\d\\d-\\d\\d )?\\d\\d:\\d\\d UTC"),
                "alice's zone, and UTC: " + lines.get(2));
        List<String> one = reply("!checks fast");
        assertTrue(one.stream().anyMatch(l -> l.startsWith("last result: 1 of 1 failed: compute1 exit 1: config: bad rule")), one.toString());
    }

    /** What the bot answers alice (operator, Europe/Oslo) in #mail. */
    private List<String> reply(String line) {
        replies.clear();
        if (!attached) {
            dispatcher.attach(new ChatNetwork() {
                public String name() { return "irc"; }
                public void start(Consumer<Inbound> inbox) { }
                public void send(String target, List<String> lines) {
                    if (target.equals("#mail")) replies.addAll(lines); // #ops also gets what the checks say
                }
                public String selfName() { return "opsbot"; }
                public void close() { }
            });
            attached = true;
        }
        dispatcher.handle(new Inbound("irc", "#mail", "alice", new Identity.IrcAccount("alice"), line));
        return List.copyOf(replies);
    }

    private boolean attached;
}
