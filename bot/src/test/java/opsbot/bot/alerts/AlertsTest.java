package opsbot.bot.alerts;

import opsbot.bot.chat.ChatNetwork;
import opsbot.bot.chat.Inbound;
import opsbot.bot.dispatch.Dispatcher;
import opsbot.bot.incident.Actor;
import opsbot.bot.incident.Entry;
import opsbot.bot.incident.Incident;
import opsbot.bot.outbox.Item;
import opsbot.bot.outbox.Target;
import opsbot.bot.schedule.Schedule;
import opsbot.bot.store.Store;
import opsbot.commands.policy.Identity;
import opsbot.commands.ssh.DryRunExecutor;
import opsbot.commands.ssh.FanOut;
import opsbot.config.ConfigLoader;
import opsbot.config.ExpectedSpec;
import opsbot.config.IntakeConfig;
import opsbot.config.MatrixConfig;
import opsbot.config.OpsbotConfig;
import opsbot.config.RouteSpec;
import opsbot.config.Severity;
import opsbot.config.SourceSpec;
import opsbot.config.StorageConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Folding on the real store: events inside {@code store.transaction}, then the alert rows, the outbox items on
 * their way (keys, bodies, budgets), incident entries, silences, and missing reports with a clock of the test's.
 */
class AlertsTest {
    @TempDir
    Path dir;

    static final class TestClock extends Clock {
        volatile Instant now;

        TestClock(Instant now) {
            this.now = now;
        }

        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        public Clock withZone(ZoneId zone) {
            return this;
        }

        public Instant instant() {
            return now;
        }

        void plus(Duration d) {
            now = now.plus(d);
        }
    }

    private static final ZoneId OSLO = ZoneId.of("Europe/Oslo");
    private static final Target OPS = new Target("irc", "#ops");
    private static final Target MAIL = new Target("irc", "#mail");
    private static final Target ROOM = new Target("matrix", "!ops:x");
    private static final String MISSING_FILE = "missing file 87040 in user.x cyrus.index";

    private final TestClock clock = new TestClock(ZonedDateTime.of(2031, 3, 10, 10, 0, 0, 0, OSLO).toInstant());
    private final List<Item> items = new CopyOnWriteArrayList<>();
    private final List<String> heard = new CopyOnWriteArrayList<>();
    private final Map<String, List<String>> replies = new ConcurrentHashMap<>();
    private Store store;
    private Schedule schedule;
    private Dispatcher dispatcher;
    private Alerts alerts;

    @AfterEach
    void tearDown() {
        if (schedule != null) schedule.close();
        if (dispatcher != null) dispatcher.close();
        if (store != null) store.close();
    }

    private IntakeConfig intake(List<ExpectedSpec> expected) {
        return new IntakeConfig(null, null, List.of(new SourceSpec("backup", "t".repeat(16), null),
                new SourceSpec("alertmanager", "u".repeat(16), null), new SourceSpec("nightly", "v".repeat(16), null)),
                List.of(new RouteSpec("*", null, Severity.WARNING, List.of("#ops", "!ops:x"), 10),
                        new RouteSpec("backup", "imap*", null, List.of("#MAIL"), 5)),
                expected, Severity.ERROR, Severity.CRITICAL, Duration.ofHours(1));
    }

    private void start(List<ExpectedSpec> expected) throws Exception {
        String text = new String(getClass().getResourceAsStream("/opsbot/examples/opsbot.yml").readAllBytes());
        OpsbotConfig c = ((ConfigLoader.Result.Loaded) new ConfigLoader(n -> "secret-" + n, false).load("x", text, null)).config();
        OpsbotConfig cfg = new OpsbotConfig(c.bot(), c.irc(), new MatrixConfig("http://127.0.0.1:1", "opsbot", "x", null,
                List.of("!ops:x"), null, List.of()), c.people(), c.channels(), c.hosts(), c.ssh(), c.commands(),
                StorageConfig.embedded(dir.resolve("db").toString()), c.runbooks(), List.of(), intake(expected), null);
        store = Store.open(cfg.storage());
        schedule = Schedule.create(store.pool(), clock);
        dispatcher = new Dispatcher(cfg, store, new FanOut(new DryRunExecutor(), 4), clock);
        alerts = Alerts.install(cfg, dispatcher, schedule);
        alerts.watchItems(items::add);
        alerts.listen(new AlertListener() {
            public void opened(Connection db, Alert a) {
                heard.add("opened " + a.shortId());
            }

            public void raised(Connection db, Alert a) {
                heard.add("raised " + a.shortId() + " " + a.severity().word());
            }

            public void acknowledged(Connection db, Alert a) {
                heard.add("acknowledged " + a.shortId() + " by " + a.ackedBy());
            }

            public void resolved(Connection db, Alert a) {
                heard.add("resolved " + a.shortId());
            }

            public void silenced(Connection db, Alert a) {
                heard.add("silenced " + a.shortId());
            }
        });
        schedule.start();
        dispatcher.attach(new ChatNetwork() {
            public String name() {
                return "console"; // not "irc": the outbox's rows for the routed channels stay pending, for the test to read
            }

            public void start(Consumer<Inbound> inbox) {
            }

            public void send(String target, List<String> lines) {
                replies.computeIfAbsent(target, k -> new CopyOnWriteArrayList<>()).addAll(lines);
            }

            public String selfName() {
                return "opsbot";
            }

            public void close() {
            }
        });
    }

    private static Event firing(String source, String key, Severity sev, String host, String summary) {
        return new Event(source, "events", Event.Action.FIRING, sev, key, host, summary, null, null);
    }

    private static Event action(String source, String key, Event.Action a) {
        return new Event(source, "pagerduty", a, Severity.INFO, key, null, "-", null, null);
    }

    /** Folds {@code e} in a transaction of its own, as the intake does after storing it. */
    private void fold(Event e) {
        store.transaction("fold", db -> {
            alerts.fold(db, 1, e);
            return null;
        });
    }

    private List<String> bodies(Target t) {
        return items.stream().filter(i -> i.target().equals(t)).map(i -> i.body().plain()).toList();
    }

    private List<String> keys(Target t) {
        return items.stream().filter(i -> i.target().equals(t)).map(Item::key).toList();
    }

    private Alert alert(String id) {
        return store.transaction("find", db -> alerts.find(db, id)).orElseThrow();
    }

    /** What the bot answers {@code account} in {@code channel}. */
    private List<String> say(String account, String channel, String line) throws InterruptedException {
        // What the outbox says here unasked (a silence's end) is sent first, so it is not taken for the answer.
        assertTrue(dispatcher.outbox().awaitSent(List.of(new Target("console", channel)), Duration.ofSeconds(20)));
        replies.clear();
        dispatcher.handle(new Inbound("console", channel, account, new Identity.IrcAccount(account), line));
        return replies.getOrDefault(channel, List.of());
    }

    private double suppressed(String source, String reason) {
        return dispatcher.metrics().eventsSuppressed.labelValues(source, reason).get();
    }

    private double broadcast(String source) {
        return dispatcher.metrics().eventsBroadcast.labelValues(source).get();
    }

    @Test
    void aFirstFiringOpensTheAlertAndSaysOneLineInEveryRoutedPlaceWithItsRoutesBudget() throws Exception {
        start(List.of());
        fold(firing("backup", "k1", Severity.ERROR, "imap3", MISSING_FILE));

        Alert a = alert("A1");
        assertEquals(Alert.State.OPEN, a.state());
        assertEquals(1, a.count());
        assertEquals(List.of(OPS, ROOM, MAIL), a.targets());
        String line = "[A1] ERROR backup imap3: " + MISSING_FILE;
        assertEquals(List.of(line), bodies(OPS));
        assertEquals(List.of(line), bodies(ROOM));
        assertEquals(List.of(line), bodies(MAIL), "#MAIL in the route is #mail as irc.channels spells it");
        assertEquals(List.of("alert:1:open:1"), keys(OPS));
        Item ops = items.stream().filter(i -> i.target().equals(OPS)).findFirst().orElseThrow();
        assertEquals(new Item.Budget("backup", "imap3", "error", 10), ops.budget());
        Item mail = items.stream().filter(i -> i.target().equals(MAIL)).findFirst().orElseThrow();
        assertEquals(5, mail.budget().perMinute(), "the #mail route's own budget");
        assertEquals(List.of("opened A1"), heard);
        assertEquals(List.of("alert:1:open:1", "alert:1:open:1", "alert:1:open:1"),
                dispatcher.outbox().pending(List.of()).stream().map(opsbot.bot.outbox.Row::key).toList(), "the rows are in the outbox");
        assertEquals(1.0, broadcast("backup"));

        fold(firing("backup", "k2", Severity.INFO, null, "nightly run started"));
        assertEquals(1.0, suppressed("backup", "unrouted"), "info matches no route: stored, said nowhere");
        assertEquals(Alert.State.OPEN, alert("A2").state());
        assertEquals(List.of(), alert("A2").targets());
        assertEquals(3, items.size());
    }

    @Test
    void aRedeliveredGroupOrRepeatedDedupKeyNeverSaysASecondLineForTheSameState() throws Exception {
        start(List.of());
        Event fp = new Event("alertmanager", "alertmanager", Event.Action.FIRING, Severity.CRITICAL, "3f2a9c1e", "imap1",
                "DiskFull /var/spool 98%", null, null);
        Event fpResolved = new Event("alertmanager", "alertmanager", Event.Action.RESOLVED, Severity.CRITICAL, "3f2a9c1e",
                "imap1", "DiskFull /var/spool 98%", null, null);
        for (int i = 0; i < 3; i++) {
            fold(fp); // Alertmanager resending the group after a 500
            clock.plus(Duration.ofMinutes(5));
        }
        assertEquals(List.of("alert:1:open:1"), keys(OPS));
        assertEquals(3, alert("A1").count());
        assertEquals(2.0, suppressed("alertmanager", "dedup"));
        for (int i = 0; i < 3; i++) {
            fold(fpResolved);
        }
        assertEquals(List.of("alert:1:open:1", "alert:1:resolved:2"), keys(OPS));
        assertEquals("[A1] resolved: alertmanager imap1: DiskFull /var/spool 98% · after 15m, ×3", bodies(OPS).get(1));
        assertEquals("resolved", items.stream().filter(i -> i.key().equals("alert:1:resolved:2")).findFirst().orElseThrow()
                .budget().severity(), "a digest counts it as a resolve, not as one more error");
        assertEquals(List.of("opened A1", "resolved A1"), heard);

        fold(action("alertmanager", "never-seen", Event.Action.RESOLVED));
        fold(action("alertmanager", "never-seen", Event.Action.ACKNOWLEDGED));
        assertEquals(2, keys(OPS).size(), "an unknown key's resolve or ack changes nothing and says nothing");
        assertEquals(Optional.empty(), store.transaction("find", db -> alerts.find(db, "A2")));

        int pending = dispatcher.outbox().pending(List.of()).size(), seen = items.size();
        // A retried fold whose transaction is rolled back leaves nothing (the intake answers 5xx, the sender retries).
        assertThrows(RuntimeException.class, () -> store.transaction("fold and fail", db -> {
            alerts.fold(db, 2, fp);
            throw new IllegalStateException("the event's insert failed after folding");
        }));
        assertEquals(1, alertRows(), "rolled back with the event");
        assertEquals(pending, dispatcher.outbox().pending(List.of()).size(), "no outbox row of the rolled-back fold");
        items.subList(seen, items.size()).clear(); // they were on their way; the rollback took them back
        heard.subList(2, heard.size()).clear();
        fold(fp);
        assertEquals(2, alertRows());
        assertTrue(keys(OPS).get(2).matches("alert:\\d+:open:1"), "the resolved key firing again opens a new alert: " + keys(OPS));
        assertTrue(heard.get(2).matches("opened A\\d+") && !heard.get(2).equals("opened A1"), heard.toString());
    }

    @Test
    void aRepeatAfterTheWindowIsSaidOnceAsStillFiringAndNotAtAllOnceAcknowledged() throws Exception {
        start(List.of());
        fold(firing("backup", "k", Severity.ERROR, null, MISSING_FILE));
        for (int i = 0; i < 4; i++) {
            clock.plus(Duration.ofMinutes(14));
            fold(firing("backup", "k", Severity.ERROR, null, MISSING_FILE));
        }
        assertEquals(1, bodies(OPS).size(), "56 minutes: within the window, counted: " + bodies(OPS));
        clock.plus(Duration.ofMinutes(5));
        fold(firing("backup", "k", Severity.ERROR, null, MISSING_FILE));
        assertEquals("[A1] still firing: ERROR backup: " + MISSING_FILE + " · ×6 since 10:00", bodies(OPS).get(1));
        assertEquals("alert:1:still:2", keys(OPS).get(1));
        fold(firing("backup", "k", Severity.ERROR, null, MISSING_FILE));
        assertEquals(2, bodies(OPS).size(), "the window starts again at the still-firing line");

        Optional<Alert> acked = store.transaction("ack", db -> alerts.acknowledge(db, 1, "irc-account:alice", clock.instant()));
        assertEquals(Alert.State.ACKNOWLEDGED, acked.orElseThrow().state());
        assertEquals("[A1] acknowledged by alice: " + MISSING_FILE, bodies(OPS).get(2), "the person's name, not the key");
        assertEquals(Optional.empty(), store.transaction("ack", db -> alerts.acknowledge(db, 1, "irc-account:bob", clock.instant())),
                "a second ack changes nothing");
        clock.plus(Duration.ofHours(3));
        fold(firing("backup", "k", Severity.ERROR, null, MISSING_FILE));
        assertEquals(3, bodies(OPS).size(), "acknowledged: repeats stop until it resolves");
        assertEquals("irc-account:alice", alert("A1").ackedBy());
        assertEquals(List.of("opened A1", "acknowledged A1 by irc-account:alice"), heard);
    }

    @Test
    void aSeverityIncreaseIsSaidAtOnceAndAPagerDutyAcknowledgeOnce() throws Exception {
        start(List.of());
        fold(new Event("backup", "pagerduty", Event.Action.FIRING, Severity.WARNING, "dk-1", "imap3", "queue slow", null, null));
        clock.plus(Duration.ofMinutes(1));
        fold(new Event("backup", "pagerduty", Event.Action.FIRING, Severity.WARNING, "dk-1", "imap3", "queue slow", null, null));
        fold(new Event("backup", "pagerduty", Event.Action.FIRING, Severity.CRITICAL, "dk-1", "imap3", "queue stuck", null, null));
        assertEquals(List.of("[A1] WARNING backup imap3: queue slow",
                "[A1] CRITICAL (was warning) backup imap3: queue stuck · ×3 since 10:00"), bodies(OPS));
        assertEquals("raised A1 critical", heard.get(1));
        fold(new Event("backup", "pagerduty", Event.Action.FIRING, Severity.WARNING, "dk-1", "imap3", "queue slow", null, null));
        assertEquals(Severity.CRITICAL, alert("A1").severity(), "a lower severity later does not lower it");
        assertEquals(2, bodies(OPS).size());

        fold(action("backup", "dk-1", Event.Action.ACKNOWLEDGED));
        fold(action("backup", "dk-1", Event.Action.ACKNOWLEDGED));
        assertEquals(3, bodies(OPS).size(), bodies(OPS).toString());
        assertEquals("[A1] acknowledged by intake:backup: queue slow", bodies(OPS).get(2));
        assertEquals("alert:1:ack:3", keys(OPS).get(2));
        assertEquals("acknowledged A1 by intake:backup", heard.get(2));
    }

    @Test
    void everyIrcLineFitsIn512BytesWithItsFramingAndEveryMatrixBodyIsFarBelow60KB() throws Exception {
        start(List.of());
        String summary = "ünïcödé 🚨 missing file\r\nPRIVMSG #ops :injected\u0003 " + "x€".repeat(3000);
        fold(firing("backup", "k", Severity.ERROR, "imap3", summary));
        for (Target t : List.of(OPS, MAIL)) {
            String line = bodies(t).get(0);
            String framed = ":opsbot!opsbot@some.long.host.name.example.org PRIVMSG " + t.place() + " :" + line + "\r\n";
            assertTrue(framed.getBytes(StandardCharsets.UTF_8).length <= 512, framed.length() + ": " + line);
            assertTrue(line.startsWith("[A1] ERROR backup imap3: ünïcödé 🚨 missing file PRIVMSG #ops :injected x€"), line);
            assertTrue(line.endsWith("…"), line);
            assertFalse(line.contains("\r") || line.contains("\n") || line.contains("\u0003"), "one line, no control codes");
            assertTrue(new String(line.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8).equals(line), "UTF-8 whole");
        }
        String matrix = bodies(ROOM).get(0);
        assertTrue(matrix.getBytes(StandardCharsets.UTF_8).length < 60_000);
        assertTrue(matrix.length() > 1000, "Matrix keeps the stored summary: " + matrix.length());
    }

    @Test
    void errorsGoIntoTheActiveIncidentCriticalsOpenOneAndAStormIsBounded() throws Exception {
        start(List.of());
        fold(firing("backup", "e1", Severity.ERROR, "imap3", MISSING_FILE));
        assertTrue(dispatcher.incidents().active().isEmpty(), "an error opens no incident");
        fold(firing("backup", "c1", Severity.CRITICAL, "imap3", "cyrus.index corrupt"));
        Incident inc = dispatcher.incidents().active().orElseThrow();
        assertEquals("CRITICAL backup imap3: cyrus.index corrupt", inc.title());
        List<Entry> entries = dispatcher.incidents().store().entries(inc.id());
        assertEquals(2, entries.size(), entries.toString());
        assertEquals("intake:backup", entries.get(0).person());
        assertEquals("[A2] CRITICAL backup imap3: cyrus.index corrupt", entries.get(1).text());
        fold(firing("backup", "w1", Severity.WARNING, "imap3", "slow"));
        fold(action("backup", "e1", Event.Action.RESOLVED));
        entries = dispatcher.incidents().store().entries(inc.id());
        assertEquals("[A1] resolved: ERROR backup imap3: " + MISSING_FILE, entries.get(entries.size() - 1).text(),
                "a warning is not logged; the error's resolution is");
        assertEquals(3, entries.size());

        for (int i = 0; i < 30; i++) {
            fold(firing("backup", "storm" + i, Severity.ERROR, "imap" + i, "storm"));
        }
        entries = dispatcher.incidents().store().entries(inc.id());
        assertEquals(11, entries.size(), "ten entries a minute per source (the error before the incident, the critical and"
                + " the resolve spent three), then one line saying so");
        assertTrue(entries.get(entries.size() - 1).text().startsWith("more alerts from backup this minute are not logged"),
                entries.get(entries.size() - 1).text());
        assertEquals(34, bodies(OPS).size(), "each alert is still said (the outbox's budget bounds the channel)");
    }

    @Test
    void aSilenceKeepsMatchingAlertsQuietPagesNobodyIsListedAndLogged() throws Exception {
        start(List.of());
        Incident inc = dispatcher.incidents().open("imap trouble", new Actor("alice", "irc", "#ops"));
        List<String> r = say("alice", "#ops", "!silence i1 2h swapping disks");
        assertTrue(r.get(0).startsWith("S1: host imap1 silenced until 12:00 Europe/Oslo, 11:00 UTC (2h): swapping disks"), r.toString());
        List<Entry> entries = dispatcher.incidents().store().entries(inc.id());
        assertEquals("silenced host imap1 for 2h (S1): swapping disks", entries.get(entries.size() - 1).text());
        assertEquals(clock.instant().plus(Duration.ofHours(2)), schedule.next(Alerts.SILENCE, "S1").orElseThrow());

        fold(firing("backup", "k", Severity.CRITICAL, "imap1", MISSING_FILE));
        fold(firing("backup", "k", Severity.CRITICAL, "imap1", MISSING_FILE));
        assertEquals(List.of(), items, "silenced: not said");
        assertEquals(List.of(), heard, "and nobody is told (no page)");
        assertEquals(2, alert("A1").count(), "but stored and counted");
        assertEquals(2.0, suppressed("backup", "silenced"));
        fold(firing("backup", "other", Severity.ERROR, "imap2", "fine to say"));
        assertEquals(List.of("[A2] ERROR backup imap2: fine to say"), bodies(OPS));

        List<String> list = say("carol", "#mail", "!alerts");
        assertEquals("2 open, 0 resolved in the last 24h; 1 silence (!alerts show A12 for one)", list.get(0));
        assertEquals("S1 silences host imap1 until 12:00 · by alice: swapping disks", list.get(1));
        assertTrue(list.get(3).startsWith("A1 CRITICAL backup imap1: " + MISSING_FILE + " · ×2 since 10:00 · silenced (S1)"), list.toString());
        List<String> shown = say("carol", "#mail", "!alerts show a1");
        assertTrue(shown.get(2).contains(" · silenced by S1 (host imap1, alice: swapping disks; active) · said in #ops, !ops:x, #mail"),
                shown.toString());

        assertTrue(say("carol", "#ops", "!silence backup 1h").get(0).startsWith("denied: `silence` needs operator"));
        assertTrue(say("alice", "#mail", "!silence backup 1h").get(0).contains("changes things"), "a change: ops channels only");

        List<String> lifted = say("alice", "#ops", "!unsilence S1");
        assertTrue(lifted.get(0).startsWith("lifted S1 (host imap1, was until 12:00 Europe/Oslo"), lifted.toString());
        assertTrue(lifted.get(0).endsWith("1 alert it held still open: their next event is said"), lifted.toString());
        assertTrue(schedule.next(Alerts.SILENCE, "S1").isEmpty(), "its timer is gone");
        assertTrue(say("alice", "#ops", "!unsilence S1").get(0).endsWith("has lifted already; nothing to lift"));
        fold(firing("backup", "k", Severity.CRITICAL, "imap1", MISSING_FILE));
        assertEquals("[A1] CRITICAL backup imap1: " + MISSING_FILE + " · ×3 since 10:00", bodies(OPS).get(1));
        assertEquals(List.of("opened A2", "opened A1"), heard);
    }

    @Test
    void eventsResolvedAlertsAndEndedSilencesOlderThanThirtyDaysAreForgotten() throws Exception {
        start(List.of());
        store.transaction("old and new", db -> {
            try (var p = db.prepareStatement("INSERT INTO events (received_at, source, format, action, severity, alert_key,"
                    + " summary) VALUES (?, 'backup', 'events', 'FIRING', 'error', ?, 's')")) {
                for (String[] e : new String[][]{{"40", "old"}, {"0", "new"}}) {
                    p.setObject(1, opsbot.bot.store.Sql.odt(clock.instant().minus(Duration.ofDays(Long.parseLong(e[0])))));
                    p.setString(2, e[1]);
                    p.executeUpdate();
                }
            }
            return null;
        });
        fold(firing("backup", "k", Severity.ERROR, "imap1", MISSING_FILE));
        fold(action("backup", "k", Event.Action.RESOLVED));
        store.transaction("resolved long ago", db -> db.createStatement().executeUpdate(
                "UPDATE alerts SET resolved_at = DATEADD('DAY', -40, resolved_at)"));
        int gone = store.transaction("prune", db -> Retention.prune(db, clock.instant()));
        assertEquals(2, gone, "the old event and the old resolved alert");
        assertEquals(1, (int) store.transaction("left", db -> {
            try (var r = db.createStatement().executeQuery("SELECT COUNT(*) FROM events WHERE alert_key='new'")) {
                r.next();
                return r.getInt(1);
            }
        }), "the recent event stays");
        assertEquals(0, (int) store.transaction("prune", db -> Retention.prune(db, clock.instant())), "nothing more");
    }

    @Test
    void aSilenceMadeWhileAnAlertIsOpenStopsItsPages() throws Exception {
        start(List.of());
        fold(firing("backup", "k", Severity.CRITICAL, "imap1", MISSING_FILE));
        fold(firing("backup", "k2", Severity.CRITICAL, "imap2", "another"));
        say("alice", "#ops", "!silence host:imap1 1h");
        assertEquals(List.of("opened A1", "opened A2", "silenced A1"), heard, "only the alert it covers");
    }

    @Test
    void aSilenceExpiresByItselfWithOneLineWhereItWasMade() throws Exception {
        start(List.of());
        say("alice", "#ops", "!silence source:backup 30m");
        say("alice", "#ops", "!silence key:dk-* 45m");
        fold(firing("backup", "k", Severity.ERROR, null, "quiet"));
        assertEquals(List.of(), items);
        Schedule.Firing early = new Schedule.Firing(Alerts.SILENCE, "S1", clock.instant(), clock.instant());
        alerts.silenceEnds(early);
        assertEquals(List.of(), items, "a firing before its end changes nothing");

        clock.plus(Duration.ofMinutes(31));
        Schedule.Firing due = new Schedule.Firing(Alerts.SILENCE, "S1", clock.instant(), clock.instant());
        alerts.silenceEnds(due);
        alerts.silenceEnds(due);
        Target made = new Target("console", "#ops");
        assertEquals(List.of("silence S1 (source backup) expired; 1 alert it held still open: !alerts"), bodies(made),
                "once, in #ops where it was made");
        assertEquals(List.of("silence:1:expired"), keys(made));
        List<String> list = say("alice", "#ops", "!alerts");
        assertTrue(list.get(0).endsWith("; 1 silence (!alerts show A12 for one)"), list.toString());
        assertTrue(list.get(1).startsWith("S2 silences key dk-* until 10:45"), list.toString());
        fold(new Event("backup", "pagerduty", Event.Action.FIRING, Severity.ERROR, "dk-7", null, "still quiet", null, null));
        assertEquals(1, items.size(), "the key silence still holds");
    }

    @Test
    void silenceWordsAreSourcesHostsOrKeysAndBadOnesAreOneLine() throws Exception {
        start(List.of());
        fold(firing("backup", "fp-77", Severity.ERROR, null, "x"));
        assertTrue(say("alice", "#ops", "!silence backup 1h").get(0).startsWith("S1: source backup silenced"));
        assertTrue(say("alice", "#ops", "!silence adm 1h").get(0).startsWith("S2: host admin1 silenced"), "alias → host");
        assertTrue(say("alice", "#ops", "!silence A1 1h").get(0).startsWith("S3: key fp-77 (backup) silenced"), "an alert's key");
        assertTrue(say("alice", "#ops", "!silence disk-full 1h").get(0).startsWith("S4: key disk-full silenced"));
        assertTrue(say("alice", "#ops", "!silence host:web9 1h").get(0).startsWith("S5: host web9 silenced"));
        assertEquals("\"soon\" is not a duration (e.g. 30m, 2h, 1d)", say("alice", "#ops", "!silence backup soon").get(0));
        assertEquals("a silence lasts 1m to 30d", say("alice", "#ops", "!silence backup 31d").get(0));
        assertEquals("no alert A99 (see !alerts)", say("alice", "#ops", "!silence A99 1h").get(0));
        assertTrue(say("alice", "#ops", "!silence").get(0).startsWith("usage: silence"));
    }

    @Test
    void alertsListsNewestFirstAndShowTellsEverything() throws Exception {
        start(List.of());
        fold(new Event("backup", "events", Event.Action.FIRING, Severity.ERROR, "k1", "imap3", MISSING_FILE,
                "seen in\nthe nightly run", null));
        clock.plus(Duration.ofMinutes(2));
        fold(firing("alertmanager", "fp", Severity.WARNING, null, "load high"));
        clock.plus(Duration.ofMinutes(10));
        fold(action("alertmanager", "fp", Event.Action.RESOLVED));
        store.transaction("ack", db -> alerts.acknowledge(db, 1, "irc-account:bob", clock.instant()));
        List<String> list = say("carol", "#mail", "!alerts");
        assertEquals(List.of("1 open, 1 resolved in the last 24h (!alerts show A12 for one)",
                "A1 ERROR backup imap3: " + MISSING_FILE + " · ×1 since 10:00 · acked by bob",
                "A2 resolved 10:12 WARNING alertmanager: load high · ×1 since 10:02"), list);
        List<String> shown = say("carol", "#mail", "!alerts show A1");
        assertEquals(List.of("A1 acknowledged · ERROR · backup · host imap3 · key k1", "summary: " + MISSING_FILE,
                "details: seen in the nightly run", "×1 · first 10:00 Europe/Berlin, 09:00 UTC · last 10:00 · acknowledged"
                        + " by bob 10:12 · said in #ops, !ops:x, #mail"), shown, "one page of a shared channel");
        assertEquals("no alert A9 (see !alerts)", say("carol", "#mail", "!alerts show A9").get(0));
        assertEquals("usage: alerts [show ID]", say("carol", "#mail", "!alerts A1").get(0));
    }

    // --- missing reports -------------------------------------------------------------------------------------

    private static ExpectedSpec by(String source, String time, Duration grace) {
        return new ExpectedSpec(source, null, time, OSLO, grace, Severity.ERROR);
    }

    private void at(int day, int hour, int minute) {
        clock.now = ZonedDateTime.of(2031, 3, day, hour, minute, 0, 0, OSLO).toInstant();
    }

    @Test
    void aSourceThatNeverReportsIsMissedOnceAtItsDeadlineAndItsFirstEventClearsIt() throws Exception {
        start(List.of(by("backup", "03:15", Duration.ofMinutes(30))));
        Instant deadline = ZonedDateTime.of(2031, 3, 11, 3, 45, 0, 0, OSLO).toInstant();
        assertEquals(deadline, schedule.next(Alerts.EXPECTED, "backup").orElseThrow(), "armed at start, before any event");
        assertEquals(List.of(), items, "started at 10:00 after today's deadline: today's is not judged");

        at(11, 3, 44);
        alerts.look("backup");
        assertEquals(List.of(), items);
        at(11, 3, 46);
        alerts.look("backup");
        alerts.look("backup");
        assertEquals(List.of("[A1] ERROR backup: missing report from backup (expected by 03:15 Europe/Oslo, never seen"
                + " (watched since yesterday 10:00))"), bodies(OPS), "said once per missed deadline");
        assertEquals(deadline.plus(Duration.ofDays(1)), schedule.next(Alerts.EXPECTED, "backup").orElseThrow());

        at(11, 7, 2);
        fold(firing("backup", "done", Severity.INFO, null, "backup done"));
        assertEquals("[A1] resolved: backup reports again · after 3h16m", bodies(OPS).get(1));
        assertEquals(Alert.State.RESOLVED, alert("A1").state());
    }

    @Test
    void aDailyReportIsJudgedAgainstTheDayBeforesDeadlineAndLastSeenIsShown() throws Exception {
        start(List.of(by("backup", "03:15", Duration.ofMinutes(30))));
        at(11, 3, 2);
        fold(firing("backup", "done", Severity.INFO, null, "backup done"));
        at(11, 3, 46);
        alerts.look("backup");
        assertEquals(List.of(), items, "reported before the deadline");
        at(12, 3, 46);
        alerts.look("backup");
        assertEquals(List.of("[A2] ERROR backup: missing report from backup (expected by 03:15 Europe/Oslo, last seen"
                + " yesterday 03:02)"), bodies(OPS));
        at(13, 3, 46);
        alerts.look("backup");
        assertEquals(2, bodies(OPS).size(), "the next day's miss is a second line: " + bodies(OPS));
        assertTrue(bodies(OPS).get(1).startsWith("[A2] still firing: ERROR backup: missing report from backup"), bodies(OPS).get(1));
    }

    @Test
    void anEveryReportIsDueOneIntervalAndGraceAfterTheLastAndTheWatchSurvivesARestart() throws Exception {
        ExpectedSpec nightly = new ExpectedSpec("nightly", Duration.ofHours(24), null, null, Duration.ofMinutes(15), Severity.WARNING);
        start(List.of(nightly));
        at(10, 12, 0);
        fold(firing("nightly", "ok", Severity.INFO, null, "ok"));
        Instant due = clock.instant().plus(Duration.ofHours(24)).plus(Duration.ofMinutes(15));
        at(11, 12, 14);
        alerts.look("nightly");
        assertEquals(due, schedule.next(Alerts.EXPECTED, "nightly").orElseThrow(), "the look re-arms at the deadline the row gives");
        assertEquals(List.of(), items);

        schedule.close();
        dispatcher.close();
        store.close();
        schedule = null;
        items.clear();
        at(11, 12, 16); // down over the deadline: the start looks at once
        start(List.of(nightly));
        assertEquals(List.of("[A2] WARNING nightly: missing report from nightly (expected every 24h, last seen"
                + " yesterday 12:00)"), bodies(OPS));
        alerts.look("nightly");
        assertEquals(1, bodies(OPS).size());
    }

    @Test
    void byDeadlinesFollowTheZoneAcrossDaylightSavingChanges() {
        Expected x = new Expected(by("backup", "02:30", Duration.ofMinutes(30)), OSLO);
        // 2025-03-30: 02:00 → 03:00 in Oslo; 02:30 does not exist: the moment the clocks jump (01:00 UTC).
        assertEquals(Instant.parse("2025-03-30T01:00:00Z"), x.slot(java.time.LocalDate.of(2025, 3, 30)));
        assertEquals(Instant.parse("2025-03-29T01:30:00Z"), x.slot(java.time.LocalDate.of(2025, 3, 29)));
        assertEquals(Instant.parse("2025-03-31T00:30:00Z"), x.slot(java.time.LocalDate.of(2025, 3, 31)));
        // 2025-10-26: 03:00 → 02:00; 02:30 happens twice: the first (00:30 UTC).
        assertEquals(Instant.parse("2025-10-26T00:30:00Z"), x.slot(java.time.LocalDate.of(2025, 10, 26)));

        Expected.Row row = new Expected.Row("backup", Instant.parse("2025-03-29T01:00:00Z"),
                Instant.parse("2025-03-01T00:00:00Z"), "", null);
        Instant now = Instant.parse("2025-03-30T01:31:00Z");
        assertEquals(Optional.of(Instant.parse("2025-03-30T01:30:00Z")), x.lastDeadline(row, now));
        assertTrue(x.missed(row, Instant.parse("2025-03-30T01:30:00Z")), "reported before the 29th's deadline: nothing for the 30th");
        Expected.Row late = new Expected.Row("backup", Instant.parse("2025-03-29T02:10:00Z"),
                Instant.parse("2025-03-01T00:00:00Z"), "", null);
        assertFalse(x.missed(late, Instant.parse("2025-03-30T01:30:00Z")), "an event after the 29th's deadline counts for the 30th");
        assertEquals(Instant.parse("2025-03-31T01:00:00Z"), x.nextLook(late, now), "the 31st: 02:30 CEST + 30m");
    }

    /** How many alert rows the store holds (for the rollback check). */
    private int alertRows() {
        return store.transaction("count", db -> {
            try (PreparedStatement p = db.prepareStatement("SELECT COUNT(*) FROM alerts"); ResultSet r = p.executeQuery()) {
                r.next();
                return r.getInt(1);
            }
        });
    }
}
