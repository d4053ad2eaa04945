package opsbot.bot.dispatch;

import opsbot.bot.chat.ChatNetwork;
import opsbot.bot.chat.Inbound;
import opsbot.bot.chat.Message;
import opsbot.commands.policy.Identity;
import opsbot.config.MatrixConfig;
import opsbot.config.Person;
import opsbot.config.Role;
import java.util.concurrent.atomic.AtomicInteger;
import opsbot.bot.store.Attempt;
import opsbot.bot.store.Store;
import opsbot.commands.ssh.ExecResult;
import opsbot.commands.ssh.Executor;
import opsbot.commands.ssh.FanOut;
import opsbot.config.BotConfig;
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
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.*;

/** The dispatcher on the example site, with a recording network and an executor that records instead of SSH. */
class DispatcherTest {
    @TempDir
    Path dir;
    private static final Identity ERIN = new Identity.MatrixUser("@erin:x"), MALLORY = new Identity.MatrixUser("@mallory:x");
    private final BlockingQueue<String> said = new LinkedBlockingQueue<>();
    private final List<String> ran = new CopyOnWriteArrayList<>();
    /** What the incident feeds showed: IRC lines in #incidents, Matrix posts (with their thread root). */
    private final BlockingQueue<String> feed = new LinkedBlockingQueue<>();
    private final BlockingQueue<String> thread = new LinkedBlockingQueue<>();
    private final BlockingQueue<String> matrixSaid = new LinkedBlockingQueue<>();
    private final List<String> reactions = new CopyOnWriteArrayList<>();
    /** When set, the IRC network's next send fails after taking the lines (as a connection that breaks mid-answer). */
    private final java.util.concurrent.atomic.AtomicBoolean ircSendFails = new java.util.concurrent.atomic.AtomicBoolean();
    private Store store;
    private Dispatcher dispatcher;
    /** When set, the dispatcher's clock stands still there (tests of pacing must not depend on the machine's speed). */
    private final java.util.concurrent.atomic.AtomicReference<java.time.Instant> frozen = new java.util.concurrent.atomic.AtomicReference<>();
    private final Clock clock = new Clock() {
        public java.time.ZoneId getZone() { return java.time.ZoneOffset.UTC; }
        public Clock withZone(java.time.ZoneId zone) { return this; }
        public java.time.Instant instant() {
            java.time.Instant f = frozen.get();
            return f != null ? f : java.time.Instant.now();
        }
    };

    @BeforeEach
    void setUp() throws Exception {
        String text = new String(getClass().getResourceAsStream("/opsbot/examples/opsbot.yml").readAllBytes());
        OpsbotConfig cfg = ((ConfigLoader.Result.Loaded) new ConfigLoader(n -> "secret-" + n, false).load("x", text, null)).config();
        BotConfig b = cfg.bot();
        cfg = new OpsbotConfig(new BotConfig(b.prefix(), b.privateMessages(), b.pageLines(), Duration.ofMillis(300), b.timezone(), b.staleAfter()),
                cfg.irc(), new MatrixConfig("http://127.0.0.1:1", "opsbot", "x", null, List.of("!inc:x"), null, List.of("!inc:x")),
                people(cfg), cfg.channels(), cfg.hosts(), cfg.ssh(), cfg.commands(),
                StorageConfig.embedded(dir.resolve("db").toString()));
        store = Store.open(cfg.storage());
        Executor recording = (HostConfig h, String line) -> {
            ran.add(h.name() + ": " + line);
            return new ExecResult.Exited(h.name().equals("compute3") ? 1 : 0, "out of " + h.name() + "\n", "", 0, Duration.ofMillis(5));
        };
        dispatcher = new Dispatcher(cfg, store, new FanOut(recording, 4), clock);
        dispatcher.attach(new ChatNetwork() {
            public String name() { return "irc"; }
            public void start(Consumer<Inbound> inbox) { }
            public void send(String target, List<String> lines) {
                lines.forEach(l -> (target.equals("#incidents") ? feed : said).add(target + " " + l));
                if (ircSendFails.getAndSet(false)) throw new IllegalStateException("the connection broke while answering");
            }
            public String selfName() { return "opsbot"; }
            public void close() { }
        });
        dispatcher.attach(new ChatNetwork() {
            final AtomicInteger ids = new AtomicInteger();
            public String name() { return "matrix"; }
            public void start(Consumer<Inbound> inbox) { }
            public void send(String target, List<String> lines) { matrixSaid.add(target + " " + String.join("\n", lines)); }
            public boolean hasThreads() { return true; }
            public String post(String target, Message m, String thread, String key) {
                String id = "$ev" + ids.incrementAndGet();
                DispatcherTest.this.thread.add(target + (thread == null ? " root " + id : " in " + thread) + ": " + m.plain());
                return id;
            }
            public void react(String target, String messageId, String emoji) { reactions.add(messageId + " " + emoji); }
            public String selfName() { return "opsbot"; }
            public void close() { }
        });
    }

    private static List<Person> people(OpsbotConfig cfg) {
        List<Person> p = new java.util.ArrayList<>(cfg.people());
        p.add(new Person("erin", null, "@erin:x", Role.OPERATOR));
        return p;
    }

    /** The next line of the IRC incident channel, then ({@link #threaded}) of the Matrix incident thread. */
    private String fed() throws InterruptedException {
        return next(feed);
    }

    private String threaded() throws InterruptedException {
        return next(thread);
    }

    private static String next(BlockingQueue<String> q) throws InterruptedException {
        String s = q.poll(5, TimeUnit.SECONDS);
        assertNotNull(s, "nothing shown in an incident feed");
        return s;
    }

    @AfterEach
    void tearDown() {
        dispatcher.close();
        store.close();
    }

    private void say(String account, String channel, String line) {
        String nick = account == null ? "someone" : account;
        dispatcher.handle(new Inbound("irc", channel, nick, Identity.irc("irc", nick, account), line));
    }

    private String reply() throws InterruptedException {
        String s = said.poll(5, TimeUnit.SECONDS);
        assertNotNull(s, "no reply");
        return s;
    }

    /** alice opens an incident from IRC; the root of its Matrix thread. */
    private String openIncident(String title) throws InterruptedException {
        say("alice", "#ops", "!inc open " + title);
        reply();
        dispatcher.incidents().flush(Duration.ofSeconds(5));
        return threaded().replaceFirst("^!inc:x root (\\S+): .*", "$1");
    }

    /**
     * An answer sent before its audit row (!ping) whose sending fails is still recorded, and is not followed by
     * "nothing was run" (part of it may be out already).
     */
    @Test
    void anAnswerFirstThatFailsToSendIsStillRecordedAndNotDenied() throws Exception {
        ircSendFails.set(true);
        say("alice", "#ops", "!ping");
        assertEquals("#ops pong", reply());
        say("alice", "#ops", "!whoami");
        String next = reply();
        assertFalse(next.contains("nothing was run"), next);
        assertTrue(store.recent(10).stream().anyMatch(a -> "ping".equals(a.command()) && "ran".equals(a.decision())),
                store.recent(10).toString());
        assertFalse(said.stream().anyMatch(l -> l.contains("nothing was run")), said.toString());
    }

    /** Every command heard is logged once, an answer-first one (!ping, logged after its answer) too. */
    @Test
    void everyCommandHeardIsLoggedOnceAnAnswerFirstOneToo() throws Exception {
        ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(Dispatcher.class);
        List<String> order = new CopyOnWriteArrayList<>();
        ch.qos.logback.core.AppenderBase<ch.qos.logback.classic.spi.ILoggingEvent> seen = new ch.qos.logback.core.AppenderBase<>() {
            @Override
            protected void append(ch.qos.logback.classic.spi.ILoggingEvent e) {
                order.add("logged " + e.getFormattedMessage());
            }
        };
        seen.start();
        logger.addAppender(seen);
        try {
            say("alice", "#ops", "!ping");
            assertEquals("#ops pong", reply());
            say("alice", "#ops", "!nosuchcommand");
            reply();
        } finally {
            logger.detachAppender(seen);
        }
        List<String> heard = order.stream().filter(l -> l.contains("alice(alice)")).toList();
        assertEquals(List.of("logged irc #ops alice(alice): ping", "logged irc #ops alice(alice): nosuchcommand"), heard);
    }

    @Test
    void unconfirmedCommandExpiresAndNeverRuns() throws Exception {
        say("alice", "#ops", "!fo -K c4");
        assertEquals("#ops confirm with !y within 300ms: admin1: utils/FailOver.pl -K compute4", reply());
        assertEquals("#ops expired, not run: admin1: utils/FailOver.pl -K compute4", reply());
        say("alice", "#ops", "!y");
        assertEquals("#ops nothing to confirm for you here", reply());
        assertEquals(List.of(), ran);
        assertTrue(store.recent(10).stream().anyMatch(a -> "expired".equals(a.decision())));
    }

    @Test
    void confirmationIsPerChannel() throws Exception {
        say("alice", "#ops", "!fo -K c4");
        reply();
        say("alice", "#mail", "!y");
        assertEquals("#mail nothing to confirm for you here", reply());
        say("alice", "#ops", "!y");
        assertEquals("#ops opened INC-1 \"fo -K c4\": everything done now is logged there · !incident close SUMMARY"
                + " when it is over", reply());
        assertTrue(reply().startsWith("#ops ✓ fo · admin1 · exit 0"));
        assertEquals(List.of("admin1: utils/FailOver.pl -K compute4"), ran);
    }

    @Test
    void everyActionGoesIntoOneIncidentShownOnBothNetworks() throws Exception {
        say("alice", "#ops", "!fo -K c4");
        reply();
        say("alice", "#ops", "!y");
        assertTrue(reply().startsWith("#ops opened INC-1"));
        assertTrue(reply().startsWith("#ops ✓ fo"));
        assertEquals("#ops out of admin1", reply());
        dispatcher.awaitIdle(Duration.ofSeconds(5)); // the result is logged after it is replied
        dispatcher.incidents().flush(Duration.ofSeconds(5));
        assertEquals("#incidents [INC-1] alice@irc opened: fo -K c4", fed());
        assertEquals("#incidents [INC-1] alice@irc confirmed: fo -K c4 → admin1: utils/FailOver.pl -K compute4", fed());
        String ran = fed();
        assertTrue(ran.matches("#incidents \\[INC-1] alice@irc ran: fo -K c4 → ✓ fo · admin1 · exit 0 · .*"), ran);
        assertEquals("!inc:x root $ev1: INC-1: fo -K c4 — opened by alice. Every action is logged in this thread;"
                + " write here to add a note.", threaded());
        assertEquals("!inc:x in $ev1: alice@irc confirmed: fo -K c4 → admin1: utils/FailOver.pl -K compute4", threaded());
        ran = threaded();
        assertTrue(ran.startsWith("!inc:x in $ev1: alice@irc ran: fo -K c4 → ✓ fo · admin1 · exit 0"), ran);
        assertTrue(ran.endsWith("\nout of admin1"), "output shown in the thread: " + ran);

        // A note with an apostrophe and no closing quote; then someone writing in the Matrix thread.
        say("bob", "#ops", "!note compute4 doesn't boot, leap second?");
        assertEquals("#ops noted in INC-1", reply());
        assertEquals("#incidents [INC-1] bob@irc note: compute4 doesn't boot, leap second?", fed());
        assertEquals("!inc:x in $ev1: bob@irc note: compute4 doesn't boot, leap second?", threaded());
        dispatcher.handle(new Inbound("matrix", "!inc:x", "erin", ERIN, "ntpd on compute1 looks fine", "$m1", "$ev1"));
        assertEquals("#incidents [INC-1] erin@matrix note: ntpd on compute1 looks fine", fed());
        assertEquals("!inc:x in $ev1: erin@matrix note: ntpd on compute1 looks fine", threaded());
        dispatcher.handle(new Inbound("matrix", "!inc:x", "mallory", MALLORY, "lol", "$m2", "$ev1"));

        // A denied change command is logged; read commands during the incident too.
        say("carol", "#ops", "!fo -m c4");
        assertTrue(reply().startsWith("#ops denied"));
        assertTrue(fed().startsWith("#incidents [INC-1] carol@irc denied: fo -m c4 — `fo` needs operator"));
        assertTrue(threaded().startsWith("!inc:x in $ev1: carol@irc denied: fo -m c4"));

        say("bob", "#ops", "!incident");
        assertTrue(reply().matches("#ops INC-1 \"fo -K c4\" · open since \\d\\d:\\d\\d UTC · 6 entries"));
        say("alice", "#ops", "!incident close leap second froze compute4; failed over to compute1");
        assertEquals("#ops closed INC-1 after 7 entries", reply());
        say("bob", "#ops", "!incident verify 1");
        assertTrue(reply().startsWith("#ops INC-1: chain intact, 7 entries"));
        say("bob", "#ops", "!inc report 1");
        assertTrue(reply().matches("#ops INC-1 \"fo -K c4\": .* UTC \\(\\d+s\\); 1 commands, 2 notes; people: alice, bob, erin, carol"));
        assertEquals("#ops full report (Markdown): opsbot incident export 1 --config FILE", reply());
    }

    @Test
    void incidentBookkeepingNeedsAnOperator() throws Exception {
        say("carol", "#ops", "!incident open disk full");
        assertEquals("#ops denied: `incident open` needs operator; you are viewer", reply());
        say(null, "#ops", "!note hi");
        assertEquals("#ops denied: `note` needs operator; you are not logged in to services", reply());
        say("carol", "#ops", "!incident");
        assertEquals("#ops no incident open · !incident open TITLE, or any change command opens one", reply());
        say("alice", "#ops", "!inc open imap2 slow");
        assertEquals("#ops opened INC-1 \"imap2 slow\"; it is active: every action is logged there", reply());
        say("alice", "#ops", "!inc open compute3 disk");
        reply();
        say("alice", "#ops", "!inc use inc-1");
        assertEquals("#ops now active: INC-1 \"imap2 slow\"", reply());
        say("alice", "#ops", "!note checked");
        assertEquals("#ops noted in INC-1", reply());
        say("alice", "#ops", "!inc list");
        assertTrue(reply().startsWith("#ops * INC-1 \"imap2 slow\""));
        assertTrue(reply().startsWith("#ops   INC-2 \"compute3 disk\""));
    }

    @Test
    void fanOutSummaryThenPagedDetails() throws Exception {
        say("bob", "#ops", "!status @compute");
        assertTrue(reply().startsWith("#ops ✗ status · 5 ok, 1 failed: compute3 exit 1"));
        for (int i = 0; i < 3; i++) reply();
        String more = reply();
        assertTrue(more.matches("#ops \\(\\+\\d+ lines: !more\\)"), more);
        int left = Integer.parseInt(more.replaceAll("\\D", ""));
        say("bob", "#ops", "!more");
        int shown = 0;
        String s;
        while ((s = said.poll(300, TimeUnit.MILLISECONDS)) != null && !s.contains("!more)")) shown++;
        assertTrue(shown > 0 && shown <= left, shown + " of " + left);
        assertEquals(6, ran.size(), "ran once on each compute host");
    }

    @Test
    void privateMessagesAreForKnownPeopleOnly() throws Exception {
        say("alice", null, "uptime c1");
        assertTrue(reply().startsWith("alice ✓ uptime · compute1"));
        assertEquals("alice out of compute1", reply());
        say(null, null, "uptime c1");
        assertEquals("someone denied: private commands are for known people; you are not logged in to services", reply());
    }

    @Test
    void everyAttemptIsStoredWithItsDecision() throws Exception {
        say(null, "#ops", "!fo -K c4");
        reply();
        say("alice", "#ops", "!fo -K nosuchhost");
        reply();
        say("carol", "#ops", "!fp");
        reply();
        List<String> decisions = store.recent(10).stream().map(Attempt::decision).toList();
        assertEquals(List.of("invalid", "invalid", "denied"), decisions);
    }

    @Test
    void matrixCommandsGetAReactionOnTheirMessage() throws Exception {
        dispatcher.handle(new Inbound("matrix", "!inc:x", "erin", ERIN, "!uptime c1", "$ok", null));
        dispatcher.handle(new Inbound("matrix", "!inc:x", "erin", ERIN, "!uptime c3", "$bad", null));
        dispatcher.handle(new Inbound("matrix", "!inc:x", "mallory", MALLORY, "!fo -K c4", "$denied", null));
        dispatcher.awaitIdle(Duration.ofSeconds(5));
        assertEquals(java.util.Set.of("$ok ✅", "$bad ❌", "$denied ❌"), java.util.Set.copyOf(reactions));
    }

    @Test
    void aNoteTypedInAThreadGoesToThatThreadsIncident() throws Exception {
        String root = openIncident("imap2 slow");
        say("alice", "#ops", "!inc open compute3 disk");
        reply();
        dispatcher.handle(new Inbound("matrix", "!inc:x", "erin", ERIN, "!note load is back to 2", "$n1", root));
        assertEquals("!inc:x noted in INC-1", matrixSaid.poll(5, TimeUnit.SECONDS), "not the active INC-2");
        dispatcher.handle(new Inbound("matrix", "!inc:x", "erin", ERIN, "!note disk replaced", "$n2", null));
        assertEquals("!inc:x noted in INC-2", matrixSaid.poll(5, TimeUnit.SECONDS));
    }

    @Test
    void whatWasTypedWhileTheBotWasAwayIsNotRunButNotesAreKept() throws Exception {
        String root = openIncident("imap2 slow");
        Duration away = Duration.ofMinutes(7); // the example's stale-after is 60s
        dispatcher.handle(new Inbound("matrix", "!inc:x", "erin", ERIN, "!fo -K c4", "$c1", null, away));
        assertEquals("!inc:x not run: \"fo -K c4\" was typed 7m ago, while I was away; say it again if it is"
                + " still wanted", matrixSaid.poll(5, TimeUnit.SECONDS));
        dispatcher.handle(new Inbound("matrix", "!inc:x", "erin", ERIN, "!y", "$c2", null, away));
        assertTrue(matrixSaid.poll(5, TimeUnit.SECONDS).startsWith("!inc:x not run: \"y\" was typed 7m ago"));
        dispatcher.handle(new Inbound("matrix", "!inc:x", "erin", ERIN, "imap2 queue drained", "$n1", root, away));
        assertEquals("!inc:x in " + root + ": erin@matrix note: (written 7m earlier) imap2 queue drained", threaded());
        dispatcher.handle(new Inbound("matrix", "!inc:x", "erin", ERIN, "!note restarted dovecot", "$n2", null, away));
        assertEquals("!inc:x noted in INC-1", matrixSaid.poll(5, TimeUnit.SECONDS));
        assertEquals("!inc:x in " + root + ": erin@matrix note: (written 7m earlier) restarted dovecot", threaded());

        // Just now (within stale-after) is live: it runs.
        dispatcher.handle(new Inbound("matrix", "!inc:x", "erin", ERIN, "!uptime c1", "$c3", null, Duration.ofSeconds(2)));
        dispatcher.awaitIdle(Duration.ofSeconds(5));
        assertEquals(List.of("compute1: uptime"), ran);
        assertEquals(2, store.recent(10).stream().filter(a -> "stale".equals(a.decision())).count());
    }

    /**
     * Strangers (not in people) cannot flood the incident log and both feeds: 200 denied change commands
     * from one anonymous nick are one entry, then one "×199 more" when the window ends; 200 from 200 nicks
     * are five entries of their own and one count for the rest. People in people are still logged one by one.
     */
    @Test
    void deniedChangeCommandsFromStrangersAreCollapsed() throws Exception {
        openIncident("imap2 slow");
        var entries = dispatcher.incidents().store();
        for (int i = 0; i < 200; i++) {
            dispatcher.handle(new Inbound("irc", "#mail", "eve", Identity.irc("irc", "eve", null), "!fo -m c4"));
        }
        assertEquals(200, store.recent(300).stream().filter(a -> "denied".equals(a.decision())).count(),
                "every attempt is still in the attempts table");
        assertTrue(dispatcher.incidents().flush(Duration.ofSeconds(5)));
        assertEquals(List.of("opened", "denied"), entries.entries(1).stream().map(e -> e.kind().verb).toList());
        assertEquals("#incidents [INC-1] alice@irc opened: imap2 slow", fed());
        assertEquals("#incidents [INC-1] eve (not logged in)@irc denied: fo -m c4 — `fo` needs operator; you are not"
                + " logged in to services", fed());
        assertEquals(0, feed.size(), "one line on IRC for 200 denials so far");

        dispatcher.incidents().flushDenials(); // the window's end
        assertTrue(dispatcher.incidents().flush(Duration.ofSeconds(5)));
        assertEquals("#incidents [INC-1] eve (not logged in)@irc denied: ×199 more within 5m (last: fo -m c4 — `fo`"
                + " needs operator; you are not logged in to services)", fed());
        assertEquals(3, entries.entries(1).size());

        for (int i = 0; i < 200; i++) {
            dispatcher.handle(new Inbound("matrix", "!inc:x", "m" + i, new opsbot.commands.policy.Identity.MatrixUser("@m" + i + ":evil"), "!fo -K c4", "$d" + i, null));
        }
        dispatcher.incidents().flushDenials();
        assertTrue(dispatcher.incidents().flush(Duration.ofSeconds(5)));
        List<String> texts = entries.entries(1).stream().skip(3).map(e -> e.person() + ": " + e.text()).toList();
        assertEquals(6, texts.size(), "five strangers by name, one count for the rest: " + texts);
        assertTrue(texts.get(0).startsWith("@m0:evil: fo -K c4 — "), texts.get(0));
        assertTrue(texts.get(5).startsWith("unknown senders: ×195 within 5m from 195 more senders not in people (e.g."
                + " @m5:evil, @m6:evil, @m7:evil; last: fo -K c4"), texts.get(5));

        say("carol", "#ops", "!fo -m c4");
        say("carol", "#ops", "!fo -m c4");
        assertEquals(2, entries.entries(1).stream().filter(e -> e.person().equals("carol")).count(),
                "people in people are logged one by one");
    }

    @Test
    void hostCommandsArePacedPerPersonWithOneClearLine() throws Exception {
        frozen.set(java.time.Instant.now());
        for (int i = 0; i < 20; i++) { // the example config's default: 20 a minute
            say("alice", "#ops", "!st c1");
            assertTrue(reply().startsWith("#ops ✓ status · compute1"), "command " + (i + 1));
            reply();
        }
        say("alice", "#ops", "!st c1");
        assertEquals("#ops slow down: at most 20 host commands a minute each; not run, try again in 3s", reply());
        assertEquals(20, ran.size(), "the 21st did not run");
        assertTrue(store.recent(1).stream().anyMatch(a -> "rate-limited".equals(a.decision())));
        say("bob", "#ops", "!st c1");
        assertTrue(reply().startsWith("#ops ✓ status · compute1"), "someone else is not slowed down");
    }

    @Test
    void everyoneNotLoggedInSharesOneBucketPerNetwork() throws Exception {
        frozen.set(java.time.Instant.now());
        for (int i = 0; i < 20; i++) { // a new nick for every command
            dispatcher.handle(new Inbound("irc", "#ops", "anon" + i, Identity.irc("irc", "anon" + i, null), "!st c1"));
            assertTrue(reply().startsWith("#ops ✓ status · compute1"), "command " + (i + 1));
            reply();
        }
        dispatcher.handle(new Inbound("irc", "#ops", "anon20", Identity.irc("irc", "anon20", null), "!st c1"));
        assertEquals("#ops slow down: at most 20 host commands a minute for everyone not logged in here, together;"
                + " not run, try again in 3s", reply());
        assertEquals(20, ran.size(), "a new nick is not a new bucket");
        say("bob", "#ops", "!st c1");
        assertTrue(reply().startsWith("#ops ✓ status · compute1"), "people who are logged in are not slowed down");
    }
}
