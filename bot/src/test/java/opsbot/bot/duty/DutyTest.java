package opsbot.bot.duty;

import opsbot.bot.alerts.Alert;
import opsbot.bot.alerts.AlertBook;
import opsbot.bot.alerts.AlertListener;
import opsbot.bot.chat.ChatNetwork;
import opsbot.bot.chat.Inbound;
import opsbot.bot.chat.Message;
import opsbot.bot.dispatch.Dispatcher;
import opsbot.bot.incident.Actor;
import opsbot.bot.incident.Entry;
import opsbot.bot.incident.Incident;
import opsbot.bot.outbox.Target;
import opsbot.bot.schedule.Schedule;
import opsbot.bot.store.Sql;
import opsbot.bot.store.Store;
import opsbot.bot.testkit.TestEnv;
import opsbot.bot.testkit.WhileDown;
import opsbot.commands.policy.Identity;
import opsbot.commands.ssh.ExecResult;
import opsbot.commands.ssh.FanOut;
import opsbot.config.ConfigLoader;
import opsbot.config.OpsbotConfig;
import opsbot.config.Severity;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.*;

/**
 * On duty with a real store, schedule and dispatcher, recording IRC and Matrix networks and a fake {@link AlertBook}
 * that behaves as documented (acknowledge tells the listeners in the caller's transaction).
 */
class DutyTest {
    private static final Duration T = Duration.ofSeconds(20);
    private static final Target OPS = new Target("irc", "#ops");
    private static final Target ROOM = new Target("matrix", "#ops:example.org");
    @TempDir
    Path dir;

    private final List<String> replies = new CopyOnWriteArrayList<>();
    /** Outbox posts as "network target plain", and their HTML. */
    private final List<String> posts = new CopyOnWriteArrayList<>();
    private final List<String> html = new CopyOnWriteArrayList<>();
    /** IRC account -> the nick the network sees them under now. */
    private final Map<String, String> nicks = new ConcurrentHashMap<>();
    private final MutableClock clock = new MutableClock();
    private final FakeBook book = new FakeBook();
    private Bot bot;

    /** Names of more people in the rotation than alice, bob and carol (a big roster), for the next start. */
    private final List<String> more = new ArrayList<>();

    private OpsbotConfig cfg() {
        StringBuilder others = new StringBuilder();
        for (String n : more) others.append("  - {name: ").append(n).append(", irc-account: ").append(n).append(", role: viewer}\n");
        String yaml = """
                bot: {timezone: Europe/Berlin}
                people:
                  - {name: alice, irc-account: alice, matrix-id: "@alice:example.org", role: operator, timezone: Europe/Oslo}
                  - {name: bob, irc-account: bob, matrix-id: "@bob:example.org", role: operator}
                  - {name: carol, irc-account: carol, role: viewer, timezone: America/New_York}
                  - {name: dave, irc-account: dave, role: operator}
                  - {name: erin, irc-account: erin, role: viewer}
                %s
                channels: {"#ops": ops, "#lobby": shared}
                hosts:
                  - {name: compute4, address: 10.0.0.4}
                irc: {server: irc.example.net, nick: opsbot, channels: ["#ops"], sasl: {account: opsbot, password: x}}
                ssh: {user: opsbot, private-key: k, known-hosts: kh}
                storage: {path: %s}
                duty:
                  people: [alice, bob, carol%s]
                  rotation: weekly
                  handoff-day: monday
                  handoff: "09:00"
                  zone: Europe/Oslo
                  page-at: critical
                  repeat-after: 10m
                  secondary-after: 20m
                  everyone-after: 30m
                """.formatted(others.toString().stripTrailing(), dir.resolve("opsbot"),
                more.stream().map(n -> ", " + n).reduce("", String::concat));
        ConfigLoader.Result r = new ConfigLoader(n -> "secret-" + n, false).load("t.yml", yaml, null);
        if (r instanceof ConfigLoader.Result.Invalid i) throw new IllegalStateException(i.report());
        return ((ConfigLoader.Result.Loaded) r).config();
    }

    /** The pieces of a bot as Bot.create wires them (the lead adds Duty.install there), with recording networks. */
    private final class Bot implements AutoCloseable {
        final Store store;
        final Schedule schedule;
        final Dispatcher d;
        final Duty duty;

        Bot(OpsbotConfig cfg) {
            store = Store.open(cfg.storage());
            schedule = Schedule.create(store.pool(), clock);
            d = new Dispatcher(cfg, store, new FanOut((h, line) -> new ExecResult.Exited(0, "", "", 0, Duration.ZERO), 2), clock);
            duty = Duty.install(cfg, d, schedule, book);
            schedule.start();
            d.attach(new Irc());
            d.attach(new Matrix());
        }

        Escalation esc() {
            return duty.escalation();
        }

        @Override
        public void close() {
            schedule.close();
            d.close();
            store.close();
        }
    }

    private final class Irc implements ChatNetwork {
        public String name() { return "irc"; }
        public void start(Consumer<Inbound> inbox) { }
        public void send(String target, List<String> lines) { lines.forEach(l -> replies.add(target + " " + l)); }
        public String post(String target, Message m, String thread, String key) {
            if (target.equals("#down")) throw new ChatNetwork.PostFailed("not in #down (yet)", null); // the line waits
            posts.add("irc " + target + " " + m.plain());
            return null;
        }
        public String nameOf(Identity who, String lastNick) {
            return who instanceof Identity.IrcAccount a ? nicks.getOrDefault(a.account(), lastNick) : lastNick;
        }
        public String selfName() { return "opsbot"; }
        public void close() { }
    }

    /** Mentions as MatrixNetwork makes them: the user ID in the body and a pill in the HTML. */
    private final class Matrix implements ChatNetwork {
        public String name() { return "matrix"; }
        public void start(Consumer<Inbound> inbox) { }
        public void send(String target, List<String> lines) { lines.forEach(l -> replies.add(target + " " + l)); }
        public String post(String target, Message m, String thread, String key) {
            posts.add("matrix " + target + " " + m.plain());
            html.add(m.html());
            return "$" + key;
        }
        public Message mention(Identity who, String lastNick, String text) {
            if (!(who instanceof Identity.MatrixUser u)) return ChatNetwork.super.mention(who, lastNick, text);
            return new Message(u.userId() + ": " + text, "<a href=\"https://matrix.to/#/" + u.userId() + "\">" + u.userId()
                    + "</a>: " + text);
        }
        public String selfName() { return "@opsbot:example.org"; }
        public void close() { }
    }

    /** The system clock, unless a test sets the time (the roster's commands; never the paging, which runs on timers). */
    private static final class MutableClock extends Clock {
        volatile Instant fixed;

        public ZoneId getZone() { return ZoneOffset.UTC; }
        public Clock withZone(ZoneId zone) { return this; }
        public Instant instant() { return fixed != null ? fixed : Instant.now(); }
    }

    /** Alerts in memory, as documented: acknowledge tells the listeners in the caller's transaction. */
    private static final class FakeBook implements AlertBook {
        final Map<Long, Alert> alerts = new ConcurrentHashMap<>();
        final List<AlertListener> listeners = new CopyOnWriteArrayList<>();

        public Optional<Alert> find(Connection db, String shortId) {
            if (!shortId.matches("[Aa]\\d+")) return Optional.empty();
            return Optional.ofNullable(alerts.get(Long.parseLong(shortId.substring(1))));
        }

        public synchronized Optional<Alert> acknowledge(Connection db, long id, String by, Instant at) throws SQLException {
            Alert a = alerts.get(id);
            if (a == null || a.state() != Alert.State.OPEN) return Optional.empty();
            Alert acked = with(a, Alert.State.ACKNOWLEDGED, by);
            alerts.put(id, acked);
            for (AlertListener l : listeners) l.acknowledged(db, acked);
            return Optional.of(acked);
        }

        public void listen(AlertListener l) {
            listeners.add(l);
        }

        /** An event opened alert {@code id}: the listeners are told in the event's transaction. */
        Alert open(Store store, long id, Severity sev, List<Target> targets) {
            Instant now = Instant.now();
            Alert a = new Alert(id, "backup", "k" + id, sev, "imap3", "missing file 87040", Alert.State.OPEN, now, now, 1,
                    targets, null);
            alerts.put(id, a);
            store.transaction("fold", db -> {
                for (AlertListener l : listeners) l.opened(db, a);
                return null;
            });
            return a;
        }

        /** A later event raised alert {@code id} to {@code sev}: the listeners are told in its transaction. */
        void raise(Store store, long id, Severity sev) {
            Alert o = alerts.get(id);
            Alert a = new Alert(id, o.source(), o.key(), sev, o.host(), o.summary(), o.state(), o.firstAt(), Instant.now(),
                    o.count() + 1, o.targets(), o.ackedBy());
            alerts.put(id, a);
            store.transaction("fold", db -> {
                for (AlertListener l : listeners) l.raised(db, a);
                return null;
            });
        }

        void senderAck(Store store, long id) {
            store.transaction("fold", db -> acknowledge(db, id, "intake:pagerduty", Instant.now()));
        }

        void resolve(Store store, long id) {
            Alert r = with(alerts.get(id), Alert.State.RESOLVED, alerts.get(id).ackedBy());
            alerts.put(id, r);
            store.transaction("fold", db -> {
                for (AlertListener l : listeners) l.resolved(db, r);
                return null;
            });
        }

        private static Alert with(Alert a, Alert.State s, String by) {
            return new Alert(a.id(), a.source(), a.key(), a.severity(), a.host(), a.summary(), s, a.firstAt(), a.lastAt(),
                    a.count(), a.targets(), by);
        }
    }

    @AfterEach
    void tearDown() {
        if (bot != null) bot.close();
    }

    private void start() {
        bot = new Bot(cfg());
    }

    private void restart() {
        bot.close();
        bot = null;
        start();
    }

    private void say(String nick, String text) {
        say(nick, "#ops", text);
    }

    private void say(String nick, String channel, String text) {
        bot.d.handle(new Inbound("irc", channel, nick, Identity.irc("irc", nick, nick), text));
    }

    private String lastReply() {
        return replies.isEmpty() ? "" : replies.get(replies.size() - 1);
    }

    // ---- the roster -------------------------------------------------------------------------------------------

    @Test
    void dutySaysPrimaryAndSecondaryUntilTheHandoffInTheAskersZoneAndUtc() {
        clock.fixed = Instant.parse("2026-01-06T10:00:00Z"); // Tuesday of alice's week
        start();
        say("bob", "!duty");
        assertEquals("#ops on duty: alice primary, bob secondary until 2026-01-12 09:00 Europe/Berlin, 2026-01-12 08:00 UTC;"
                + " then bob and carol (rotation weekly at Monday 09:00 Europe/Oslo)", lastReply());
        say("carol", "!duty");
        assertTrue(lastReply().contains("until 2026-01-12 03:00 America/New_York, 2026-01-12 08:00 UTC"), lastReply());
        clock.fixed = Instant.parse("2026-01-12T07:59:59Z");
        say("bob", "!duty");
        assertTrue(lastReply().startsWith("#ops on duty: alice primary, bob secondary until 09:00 Europe/Berlin, 08:00 UTC"),
                lastReply());
        clock.fixed = Instant.parse("2026-01-12T08:00:00Z");
        say("bob", "!duty");
        assertTrue(lastReply().startsWith("#ops on duty: bob primary, carol secondary until 2026-01-19 09:00"), lastReply());
    }

    @Test
    void takeMakesTheAskerPrimaryUntilTheNextHandoffWithThePreviousPrimaryAsSecondaryAndIsLogged() throws Exception {
        clock.fixed = Instant.parse("2026-01-06T10:00:00Z");
        start();
        Incident inc = bot.d.incidents().open("mail down", new Actor("bob", "irc", "#ops"));
        say("carol", "!duty take"); // a viewer, but in the rotation
        assertEquals("#ops carol took primary duty from alice until 2026-01-12 03:00 America/New_York, 2026-01-12 08:00 UTC;"
                + " alice is secondary", lastReply());
        say("bob", "!duty");
        assertTrue(lastReply().startsWith("#ops on duty: carol (took it) primary, alice secondary until 2026-01-12 09:00 Europe/Berlin"),
                lastReply());
        TestEnv.await("logged into " + inc.tag(), () -> bot.d.incidents().store().entries(inc.id()).stream()
                .map(Entry::text).anyMatch(t -> t.startsWith("duty: carol took primary duty from alice until 2026-01-12 09:00 Europe/Oslo")), T);
        say("carol", "!duty take");
        assertTrue(lastReply().startsWith("#ops carol is primary already, until"), lastReply());
        assertEquals(1, count("SELECT COUNT(*) FROM duty_overrides"), "the record of changes");
        clock.fixed = Instant.parse("2026-01-12T08:00:00Z"); // the handoff: the rotation again
        say("bob", "!duty");
        assertTrue(lastReply().startsWith("#ops on duty: bob primary, carol secondary"), lastReply());
    }

    @Test
    void giveUntilATimeInTheAskersZoneAndOnlyToSomeoneInTheRotation() {
        clock.fixed = Instant.parse("2026-01-06T10:00:00Z"); // 11:00 in Oslo
        start();
        say("alice", "!duty give bob until 18:00");
        assertEquals("#ops bob was given primary duty by alice (was alice) until 18:00 Europe/Oslo, 17:00 UTC; alice is secondary",
                lastReply());
        clock.fixed = Instant.parse("2026-01-06T16:59:00Z");
        say("dave", "!duty");
        assertTrue(lastReply().startsWith("#ops on duty: bob (given by alice) primary, alice secondary until 18:00 Europe/Berlin"),
                lastReply());
        clock.fixed = Instant.parse("2026-01-06T17:00:00Z");
        say("dave", "!duty");
        assertTrue(lastReply().startsWith("#ops on duty: alice primary, bob secondary"), lastReply());
        say("dave", "!duty give carol"); // an operator outside the rotation may give; the default is the next handoff
        assertEquals("#ops carol was given primary duty by dave (was alice) until 2026-01-12 09:00 Europe/Berlin, 2026-01-12 08:00 UTC;"
                + " alice is secondary", lastReply());
        say("dave", "!duty give dave");
        assertEquals("#ops dave is not in the duty rotation (alice, bob, carol); only they can be given duty", lastReply());
        say("alice", "!duty give bob until tomorrow");
        assertEquals("#ops \"tomorrow\" is not a time: say a delay (30m, 1h30m) or a clock time (04:15)", lastReply());
        say("alice", "!duty give");
        assertTrue(lastReply().startsWith("#ops usage: duty [take | give PERSON [until TIME]]"), lastReply());
    }

    @Test
    void takeAndGiveNeedOperatorOrBeingInTheRotationAtTheDoor() {
        clock.fixed = Instant.parse("2026-01-06T10:00:00Z");
        start();
        say("erin", "!duty take");
        assertEquals("#ops denied: `duty take` needs operator; you are viewer", lastReply());
        say("erin", "!duty give bob");
        assertEquals("#ops denied: `duty give` needs operator; you are viewer", lastReply());
        bot.d.handle(new Inbound("irc", "#ops", "mallory", Identity.irc("irc", "mallory", null), "!duty give bob"));
        assertTrue(lastReply().startsWith("#ops denied: `duty give` needs operator; you are not logged in"), lastReply());
        say("erin", "!duty"); // anyone may read it
        assertTrue(lastReply().startsWith("#ops on duty: alice primary"), lastReply());
        say("dave", "!duty take"); // an operator, but taking makes one primary: only someone in the rotation
        assertTrue(lastReply().startsWith("#ops you are not in the duty rotation (alice, bob, carol)"), lastReply());
        say("carol", "!duty give bob"); // a viewer in the rotation
        assertTrue(lastReply().startsWith("#ops bob was given primary duty by carol"), lastReply());
        assertEquals(1, count("SELECT COUNT(*) FROM duty_overrides"));
    }

    // ---- pages ------------------------------------------------------------------------------------------------

    /** alice primary and bob secondary for the next day, whatever the real date is (paging runs on the real clock). */
    private void aliceOnDuty() {
        Instant now = Instant.now();
        bot.store.transaction("set duty", db -> Overrides.add(db, "alice", "bob", now.minusSeconds(60),
                now.plus(Duration.ofDays(1)), "give", "test", "irc", "#ops"));
    }

    private Page page(long id) {
        return bot.store.transaction("read", db -> Pages.find(db, id)).orElseThrow();
    }

    /** Makes step {@code s} of page {@code id} due now (its opened time moved back; its timer now): no waiting. */
    private void dueNow(long id, Page.Step s) throws InterruptedException {
        makeDue(id, s, true);
    }

    private void makeDue(long id, Page.Step s, boolean aMinuteLater) throws InterruptedException {
        // First the previous step's own arming (right after its commit) must have happened: else it could replace
        // the timer set here, after this step fired, and leave a stray one (CI run, 2026-11-29).
        Instant due = page(id).nextDue();
        if (due != null) {
            TestEnv.await("P" + id + " armed at its row's due time", () -> bot.schedule.next(Escalation.KIND, "P" + id)
                    .map(Instant::toEpochMilli).equals(Optional.of(due.toEpochMilli())), T);
        }
        if (aMinuteLater) minutePassed(); // the steps before happened minutes ago: the page budget has room again
        Instant now = Instant.now();
        Duration back = Duration.between(Page.Step.PRIMARY.due(Instant.EPOCH, cfg().duty()), s.due(Instant.EPOCH, cfg().duty()));
        bot.store.transaction("make due", db -> {
            try (PreparedStatement p = db.prepareStatement("UPDATE duty_pages SET opened_at=?, next_due=? WHERE id=?")) {
                p.setObject(1, Sql.odt(now.minus(back)));
                p.setObject(2, Sql.odt(now));
                p.setLong(3, id);
                assertEquals(1, p.executeUpdate());
            }
            return null;
        });
        bot.schedule.at(Escalation.KIND, "P" + id, now);
        // And fired here too: the timer set above can still be replaced by an arming that read the row before the
        // update (the minute's sweep puts that right in production, after this test's wait; DutyTest failed once so
        // on a busy machine). A second firing of the same step says nothing: the conditional update decides.
        bot.esc().fire(id);
    }

    /** The page lines said so far were said a minute ago: each target's page budget has room again. */
    private void minutePassed() {
        Instant before = Instant.now().minus(PageLines.SPAN).minusSeconds(1);
        bot.store.transaction("a minute passed", db -> {
            try (PreparedStatement p = db.prepareStatement("UPDATE duty_lines SET at=? WHERE at>?")) {
                p.setObject(1, Sql.odt(before));
                p.setObject(2, Sql.odt(before));
                return p.executeUpdate();
            }
        });
    }

    private long count(String sql) {
        return bot.store.transaction("count", db -> {
            try (PreparedStatement p = db.prepareStatement(sql); ResultSet r = p.executeQuery()) {
                r.next();
                return r.getLong(1);
            }
        });
    }

    /**
     * Until the outbox has marked the page line {@code key} sent: an ack takes the page lines still waiting with it,
     * so a test that counts lines after an ack waits for the ones before it to be out.
     */
    private void awaitSent(String key) throws InterruptedException {
        TestEnv.await(key + " sent", () -> count("SELECT COUNT(*) FROM outbox WHERE msg_key='" + key + "' AND state='SENT'") >= 1, T);
    }

    private List<String> pageKeys() {
        return bot.store.transaction("keys", db -> {
            List<String> out = new ArrayList<>();
            try (PreparedStatement p = db.prepareStatement("SELECT network, msg_key FROM outbox WHERE msg_key LIKE 'page:%'"
                    + " AND state<>'WITHDRAWN' ORDER BY id"); ResultSet r = p.executeQuery()) {
                while (r.next()) out.add(r.getString(1) + " " + r.getString(2));
            }
            return out;
        });
    }

    private String awaitPost(String prefix) throws InterruptedException {
        TestEnv.await("a post starting " + prefix, () -> posts.stream().anyMatch(s -> s.startsWith(prefix)), T);
        return posts.stream().filter(s -> s.startsWith(prefix)).findFirst().orElseThrow();
    }

    private long posted(String prefix) {
        return posts.stream().filter(s -> s.startsWith(prefix)).count();
    }

    /** Until each page's timer is at its row's next due time: the arming after its step's commit is done. */
    private void awaitArmedAsTheirRows(long... ids) throws InterruptedException {
        TestEnv.await("pages " + java.util.Arrays.toString(ids) + " armed as their rows say", () -> java.util.Arrays.stream(ids)
                .allMatch(id -> bot.schedule.next(Escalation.KIND, "P" + id).map(Instant::toEpochMilli)
                        .equals(Optional.ofNullable(page(id).nextDue()).map(Instant::toEpochMilli))), T);
    }

    private void awaitState(long id, int step) throws InterruptedException {
        TestEnv.await("page " + id + " at step " + step, () -> page(id).step() == step, T);
    }

    @Test
    void aCriticalAlertPagesThePrimaryByTheirNickNowThenAgainThenTheSecondaryThenEveryoneEachOnce() throws Exception {
        start();
        aliceOnDuty();
        nicks.put("alice", "alice_phone"); // her account's nick now
        nicks.put("bob", "bob|away");
        book.open(bot.store, 1, Severity.CRITICAL, List.of(OPS, ROOM));
        assertEquals("irc #ops alice_phone: A1 critical backup imap3: missing file 87040 · you are on duty · !ack A1",
                awaitPost("irc #ops alice_phone:"));
        assertEquals("matrix #ops:example.org @alice:example.org: A1 critical backup imap3: missing file 87040 · you are on duty"
                + " · !ack A1", awaitPost("matrix #ops:example.org @alice"));
        assertTrue(html.get(0).startsWith("<a href=\"https://matrix.to/#/@alice:example.org\">"), html.get(0));
        awaitState(1, 1);
        // the next step's timer is armed right after the step's commit, which awaitState saw
        TestEnv.await("armed for the repeat", () -> bot.schedule.next(Escalation.KIND, "P1").isPresent(), T);

        dueNow(1, Page.Step.REPEAT);
        assertEquals("irc #ops alice_phone: still unacknowledged after 10 min: A1 critical backup imap3: missing file 87040 · !ack A1",
                awaitPost("irc #ops alice_phone: still"));
        dueNow(1, Page.Step.SECONDARY);
        assertEquals("irc #ops bob|away: unacknowledged for 20 min (primary alice): A1 critical backup imap3: missing file 87040"
                + " · !ack A1", awaitPost("irc #ops bob|away:"));
        dueNow(1, Page.Step.EVERYONE);
        assertEquals("irc #ops alice_phone, bob|away, carol: unacknowledged for 30 min (primary alice, secondary bob), everyone:"
                + " A1 critical backup imap3: missing file 87040 · !ack A1", awaitPost("irc #ops alice_phone, bob|away, carol:"));
        String everyone = awaitPost("matrix #ops:example.org @alice:example.org, @bob:example.org, carol:");
        TestEnv.await("the last HTML", () -> html.size() == 4, T);
        assertTrue(html.get(3).startsWith("<a href=\"https://matrix.to/#/@alice:example.org\">@alice:example.org</a>,"
                + " <a href=\"https://matrix.to/#/@bob:example.org\">@bob:example.org</a>, carol: unacknowledged"), html.get(3));
        assertNotNull(everyone);
        awaitState(1, 4);
        assertEquals(Page.State.DONE, page(1).state());
        TestEnv.await("no timer left", () -> bot.schedule.next(Escalation.KIND, "P1").isEmpty(), T);
        assertEquals(List.of("irc page:1:1", "matrix page:1:1", "irc page:1:2", "matrix page:1:2", "irc page:1:3",
                "matrix page:1:3", "irc page:1:4", "matrix page:1:4"), pageKeys());
        // Fired again (a second timer, the sweep): the row says everything was said.
        bot.esc().fire(1);
        bot.esc().sweep();
        assertEquals(8, pageKeys().size());
        assertTrue(bot.d.outbox().awaitSent(List.of(OPS, ROOM), T));
        assertEquals(8, posts.size());
    }

    @Test
    void alertsBelowPageAtAndAlertsToldTwicePageOnce() throws Exception {
        start();
        aliceOnDuty();
        book.open(bot.store, 1, Severity.ERROR, List.of(OPS));
        book.open(bot.store, 2, Severity.CRITICAL, List.of(OPS));
        bot.store.transaction("told twice", db -> {
            bot.duty.opened(db, book.alerts.get(2L));
            return null;
        });
        awaitPost("irc #ops alice: A2 critical");
        assertEquals(1, count("SELECT COUNT(*) FROM duty_pages"), "no page for the error, one for the critical");
        assertEquals(List.of("irc page:1:1"), pageKeys());
    }

    @Test
    void ackStopsThePagesInOneTransactionSaysWhyNotAndIsLogged() throws Exception {
        start();
        aliceOnDuty();
        Incident inc = bot.d.incidents().open("backups", new Actor("bob", "irc", "#ops"));
        book.open(bot.store, 1, Severity.CRITICAL, List.of(OPS));
        awaitPost("irc #ops alice: A1");
        awaitState(1, 1);
        awaitSent("page:1:1");
        say("carol", "!ack A1");
        assertEquals("#ops denied: `ack` needs operator; you are viewer", lastReply());
        say("alice", "#lobby", "!ack A1");
        assertEquals("#lobby A1 was said in #ops; acknowledge it there, in an ops channel or in private", lastReply());
        say("alice", "!ack a1");
        assertEquals("#ops A1 acknowledged by alice: no more pages until it resolves", lastReply());
        assertEquals(Page.State.STOPPED, page(1).state());
        assertEquals(Alert.State.ACKNOWLEDGED, book.alerts.get(1L).state());
        assertEquals("irc-account:alice", book.alerts.get(1L).ackedBy());
        TestEnv.await("the timer cancelled", () -> bot.schedule.next(Escalation.KIND, "P1").isEmpty(), T);
        // Its step falls due anyway (a timer that was on its way): nothing is said.
        dueNowUnchecked(1);
        bot.esc().fire(1);
        assertEquals(List.of("irc page:1:1"), pageKeys());
        TestEnv.await("logged into " + inc.tag(), () -> bot.d.incidents().store().entries(inc.id()).stream().map(Entry::text)
                .anyMatch(("A1 acknowledged by alice (backup: missing file 87040); no more pages until it resolves")::equals), T);

        say("bob", "!ack A1");
        assertEquals("#ops A1 is acknowledged already, by alice", lastReply());
        say("bob", "!ack A9");
        assertEquals("#ops no alert A9 (see !alerts)", lastReply());
        say("bob", "!ack 12");
        assertEquals("#ops \"12\" is not an alert id (A12)", lastReply());
        book.open(bot.store, 2, Severity.CRITICAL, List.of(OPS));
        book.resolve(bot.store, 2);
        say("bob", "!ack A2");
        assertEquals("#ops A2 is resolved; nothing to acknowledge", lastReply());
    }

    /** While the bot is up: page {@code id} opened {@code ago} (its due times are left alone). */
    private void openedAgo(long id, Duration ago) {
        minutePassed();
        Instant at = Instant.now().minus(ago);
        bot.store.transaction("move back", db -> {
            try (PreparedStatement p = db.prepareStatement("UPDATE duty_pages SET opened_at=? WHERE id=?")) {
                p.setObject(1, Sql.odt(at));
                p.setLong(2, id);
                assertEquals(1, p.executeUpdate());
            }
            return null;
        });
    }

    /** The row due now and its timer now, even for a stopped page (whose opened time is left alone). */
    private void dueNowUnchecked(long id) {
        Instant now = Instant.now();
        bot.store.transaction("make due", db -> {
            try (PreparedStatement p = db.prepareStatement("UPDATE duty_pages SET next_due=? WHERE id=?")) {
                p.setObject(1, Sql.odt(now));
                p.setLong(2, id);
                p.executeUpdate();
            }
            return null;
        });
    }

    /** The entries of incident {@code inc} that log page steps and digests. */
    private List<String> stepEntries(Incident inc) {
        return bot.d.incidents().store().entries(inc.id()).stream().map(Entry::text)
                .filter(t -> t.contains(" unacknowledged after ") || t.contains(": one line for ")).toList();
    }

    @Test
    void eachEscalationStepIsLoggedOnceIntoTheActiveIncidentInItsTransaction() throws Exception {
        start();
        aliceOnDuty();
        Incident inc = bot.d.incidents().open("backups", new Actor("bob", "irc", "#ops"));
        book.open(bot.store, 1, Severity.CRITICAL, List.of(OPS));
        awaitState(1, 1);
        assertEquals(List.of(), stepEntries(inc), "the first mention is not an escalation");
        dueNow(1, Page.Step.REPEAT);
        awaitState(1, 2); // the entry is in the step's transaction: there once the step is
        assertEquals(List.of("A1 unacknowledged after 10 min: paged the primary alice again"), stepEntries(inc));
        dueNow(1, Page.Step.SECONDARY);
        awaitState(1, 3);
        assertEquals(List.of("A1 unacknowledged after 10 min: paged the primary alice again",
                "A1 unacknowledged after 20 min: paged the secondary bob"), stepEntries(inc), "exactly one entry for the step");
        bot.esc().fire(1); // fired again (a second timer): nothing said, nothing logged
        assertEquals(2, stepEntries(inc).size());
        dueNow(1, Page.Step.EVERYONE);
        awaitState(1, 4);
        assertEquals("A1 unacknowledged after 30 min: paged everyone (alice, bob, carol)", stepEntries(inc).get(2));
        assertEquals(3, stepEntries(inc).size());
    }

    @Test
    void anEscalationStepWithoutAnActiveIncidentOpensNone() throws Exception {
        start();
        aliceOnDuty();
        book.open(bot.store, 1, Severity.CRITICAL, List.of(OPS));
        awaitState(1, 1);
        dueNow(1, Page.Step.REPEAT);
        awaitState(1, 2);
        dueNow(1, Page.Step.SECONDARY);
        awaitState(1, 3);
        awaitPost("irc #ops bob:");
        assertEquals(0, count("SELECT COUNT(*) FROM incidents"), "a page never opens an incident");
        assertTrue(bot.d.incidents().active().isEmpty());
    }

    @Test
    void aPageDigestIsLoggedOnceIntoTheActiveIncident() throws Exception {
        start();
        aliceOnDuty();
        Incident inc = bot.d.incidents().open("backups", new Actor("bob", "irc", "#ops"));
        storm(1, 6, List.of(OPS));
        List<Long> held = lines(OPS, "HELD");
        assertEquals(3, held.size(), held.toString());
        digestDue(OPS);
        awaitPost("irc #ops alice: 3 more pages in ");
        assertEquals(List.of("irc #ops: one line for 3 held pages of 3 alerts (A" + held.get(0) + ", A" + held.get(1) + ", A"
                + held.get(2) + "), mentioning alice"), stepEntries(inc));
    }

    @Test
    void stepEntriesAreBoundedPerMinuteThenOneSaysTheRestAreNotLogged() {
        clock.fixed = Instant.parse("2026-01-06T10:00:10Z");
        start();
        Incident inc = bot.d.incidents().open("storm", new Actor("bob", "irc", "#ops"));
        StepLog log = new StepLog(bot.d.toolbox());
        int written = 0;
        for (int i = 0; i < StepLog.PER_MINUTE + 5; i++) {
            int n = i;
            if (bot.store.transaction("step", db -> log.log(db, "A" + n + " unacknowledged after 10 min: paged"))) written++;
        }
        assertEquals(StepLog.PER_MINUTE + 1, written);
        List<String> texts = bot.d.incidents().store().entries(inc.id()).stream().map(Entry::text).toList();
        assertEquals("duty: more pages this minute are not logged one by one; !alerts lists the alerts", texts.get(texts.size() - 1));
        clock.fixed = clock.fixed.plusSeconds(60); // the next minute
        boolean again = bot.store.transaction("step", db -> log.log(db, "A99 unacknowledged after 20 min: paged"));
        assertTrue(again);
    }

    @Test
    void anAlertRaisedToPageAtPagesThen() throws Exception {
        start();
        aliceOnDuty();
        book.open(bot.store, 1, Severity.WARNING, List.of(OPS));
        assertEquals(0, count("SELECT COUNT(*) FROM duty_pages"), "a warning pages nobody");
        book.raise(bot.store, 1, Severity.CRITICAL);
        awaitPost("irc #ops alice: A1 critical");
        book.raise(bot.store, 1, Severity.CRITICAL); // told again: still one page
        assertEquals(1, count("SELECT COUNT(*) FROM duty_pages"));
    }

    @Test
    void aSilenceOverAnOpenAlertStopsItsPages() throws Exception {
        start();
        aliceOnDuty();
        book.open(bot.store, 1, Severity.CRITICAL, List.of(OPS));
        awaitState(1, 1);
        bot.store.transaction("silenced", db -> {
            bot.duty.silenced(db, book.alerts.get(1L));
            return null;
        });
        assertEquals(Page.State.STOPPED, page(1).state());
    }

    @Test
    void anAckTakesThePagesLinesStillWaitingInTheOutboxWithIt() throws Exception {
        start();
        aliceOnDuty();
        book.open(bot.store, 1, Severity.CRITICAL, List.of(new Target("irc", "#down"))); // a place nothing is sent to yet
        TestEnv.await("the page's line waiting", () -> count("SELECT COUNT(*) FROM outbox WHERE state='PENDING'"
                + " AND msg_key LIKE 'page:%'") == 1, T);
        book.senderAck(bot.store, 1);
        assertEquals(0, count("SELECT COUNT(*) FROM outbox WHERE msg_key LIKE 'page:%' AND state<>'WITHDRAWN'"),
                "not said after the ack, when the place is back");
        assertEquals(1, count("SELECT COUNT(*) FROM outbox WHERE msg_key LIKE 'page:%' AND sent_at IS NOT NULL"),
                "withdrawn, with the time (pruned as sent rows are)");
    }

    @Test
    void anAckFromTheSenderOrAResolveStopsThePages() throws Exception {
        start();
        aliceOnDuty();
        book.open(bot.store, 1, Severity.CRITICAL, List.of(OPS));
        book.open(bot.store, 2, Severity.CRITICAL, List.of(OPS));
        awaitState(1, 1);
        awaitState(2, 1);
        book.senderAck(bot.store, 1);
        book.resolve(bot.store, 2);
        assertEquals(Page.State.STOPPED, page(1).state());
        assertEquals(Page.State.STOPPED, page(2).state());
        TestEnv.await("timers cancelled after the commit", () -> bot.schedule.ids(Escalation.KIND).isEmpty(), T);
        say("bob", "!ack A1");
        assertEquals("#ops A1 is acknowledged already, by intake:pagerduty", lastReply());
    }

    @Test
    void aStepThatFellDueWhileTheBotWasDownFiresOnceAtStartWithOrWithoutItsTimer() throws Exception {
        start();
        aliceOnDuty();
        book.open(bot.store, 1, Severity.CRITICAL, List.of(OPS));
        book.open(bot.store, 2, Severity.CRITICAL, List.of(OPS));
        awaitState(1, 1);
        awaitState(2, 1);
        awaitArmedAsTheirRows(1, 2); // a late arming after a step's commit would undo the cancels below
        assertTrue(bot.d.outbox().awaitSent(List.of(OPS), T));
        openedAgo(1, Duration.ofMinutes(13));
        openedAgo(2, Duration.ofMinutes(13));
        // Page 2 as after a crash between its step and arming the next: no timer.
        assertTrue(bot.schedule.cancel(Escalation.KIND, "P2"));
        bot.close();
        bot = null;
        Instant due = Instant.now().minus(Duration.ofMinutes(3));
        WhileDown.fellDue(cfg().storage(), "duty_pages", "next_due", 1, "P1", due);
        WhileDown.fellDue(cfg().storage(), "duty_pages", "next_due", 2, "P2", due);
        start();
        assertEquals("irc #ops alice: still unacknowledged after 13 min: A1 critical backup imap3: missing file 87040 · !ack A1"
                + " (3 min late: the bot was down)", awaitPost("irc #ops alice: still unacknowledged after 13 min: A1"));
        awaitPost("irc #ops alice: still unacknowledged after 13 min: A2");
        awaitState(1, 2);
        awaitState(2, 2);
        TestEnv.await("both armed for the secondary", () -> bot.schedule.ids(Escalation.KIND).size() == 2, T);
        assertTrue(bot.d.outbox().awaitSent(List.of(OPS), T));
        restart(); // and once more: nothing is due, nothing is said again
        bot.esc().sweep();
        bot.esc().fire(1);
        bot.esc().fire(2);
        assertTrue(bot.d.outbox().awaitSent(List.of(OPS), T));
        // (the first steps of the two pages fire at once: their order is the commits'; each page's own steps in order)
        assertEquals(4, pageKeys().size(), pageKeys().toString());
        for (long id = 1; id <= 2; id++) {
            String page = "irc page:" + id + ":";
            assertEquals(List.of(page + 1, page + 2), pageKeys().stream().filter(k -> k.startsWith(page)).toList(),
                    "P" + id + "'s repeat after its first step");
        }
        assertEquals(1, posted("irc #ops alice: still unacknowledged after 13 min: A1"));
        assertEquals(1, posted("irc #ops alice: still unacknowledged after 13 min: A2"));
    }

    @Test
    void aStepRacingTheAckIsDecidedByTheConditionalUpdate() throws Exception {
        start();
        aliceOnDuty();
        book.open(bot.store, 1, Severity.CRITICAL, List.of(OPS));
        awaitState(1, 1);
        awaitSent("page:1:1");
        Page seen = page(1); // a firing read the row at step 1 ...
        say("alice", "!ack A1"); // ... the ack commits first ...
        assertTrue(lastReply().endsWith("no more pages until it resolves"), lastReply());
        assertFalse(bot.esc().step(seen, Page.Step.REPEAT, Instant.now()), "... so the firing says nothing");
        assertEquals(List.of("irc page:1:1"), pageKeys());

        // Eight firings of the same step at once: one says it.
        book.open(bot.store, 2, Severity.CRITICAL, List.of(OPS));
        awaitState(2, 1);
        TestEnv.await("armed for the repeat", () -> bot.schedule.next(Escalation.KIND, "P2").isPresent(), T);
        assertTrue(bot.schedule.cancel(Escalation.KIND, "P2"));
        Page at1 = page(2);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Boolean>> fs = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                fs.add(pool.submit(() -> {
                    go.await();
                    return bot.esc().step(at1, Page.Step.REPEAT, Instant.now());
                }));
            }
            go.countDown();
            int said = 0;
            for (Future<Boolean> f : fs) said += f.get() ? 1 : 0;
            assertEquals(1, said);
        } finally {
            pool.shutdownNow();
        }
        assertEquals(List.of("irc page:1:1", "irc page:2:1", "irc page:2:2"), pageKeys());
        // and the ack after a step: the later steps never come (the ack takes page lines still
        // waiting in the outbox with it, so the count below waits for both to be sent first)
        awaitSent("page:2:1");
        awaitSent("page:2:2");
        say("bob", "!ack A2");
        dueNow(2, Page.Step.SECONDARY);
        bot.esc().fire(2);
        assertEquals(3, pageKeys().size());
        assertEquals(Page.State.STOPPED, page(2).state());
    }

    // ---- the page budget: pages never flood ---------------------------------------------------------------------

    /** Opens criticals {@code from..to} to {@code targets} at once and waits until each said (or held) its first step. */
    private void storm(long from, long to, List<Target> targets) throws InterruptedException {
        for (long id = from; id <= to; id++) book.open(bot.store, id, Severity.CRITICAL, targets);
        TestEnv.await("every page at its first step", () -> count("SELECT COUNT(*) FROM duty_pages WHERE step>=1 AND alert_id BETWEEN "
                + from + " AND " + to) == to - from + 1, T);
    }

    /** Four criticals at once to #ops: three page lines said (and sent), the fourth held; its id (alert and page). */
    private long oneHeld() throws InterruptedException {
        storm(1, 4, List.of(OPS));
        long h = lines(OPS, "HELD").get(0);
        assertTrue(bot.d.outbox().awaitSent(List.of(OPS), T));
        return h;
    }

    /** The alert ids whose page lines to {@code t} are in state {@code state} (HELD, DIGESTED, DROPPED, SAID). */
    private List<Long> lines(Target t, String state) {
        return bot.store.transaction("lines", db -> {
            List<Long> out = new ArrayList<>();
            try (PreparedStatement p = db.prepareStatement("SELECT alert_id FROM duty_lines WHERE network=? AND place=? AND state=?"
                    + " AND alert_id IS NOT NULL ORDER BY alert_id")) {
                p.setString(1, t.network());
                p.setString(2, t.place());
                p.setString(3, state);
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) out.add(r.getLong(1));
                }
            }
            return out;
        });
    }

    private List<String> digestKeys() {
        return bot.store.transaction("keys", db -> {
            List<String> out = new ArrayList<>();
            try (PreparedStatement p = db.prepareStatement("SELECT network, msg_key FROM outbox WHERE msg_key LIKE 'pages:%'"
                    + " ORDER BY id"); ResultSet r = p.executeQuery()) {
                while (r.next()) out.add(r.getString(1) + " " + r.getString(2));
            }
            return out;
        });
    }

    /** A minute later: the digest timer of {@code t} fires now (the one the step armed, replaced). */
    private void digestDue(Target t) {
        minutePassed();
        bot.schedule.at(PageBudget.KIND, PageBudget.timerId(t), Instant.now());
    }

    private static int occurrences(String s, String of) {
        int n = 0;
        for (int i = s.indexOf(of); i >= 0; i = s.indexOf(of, i + 1)) n++;
        return n;
    }

    @Test
    void twentyCriticalsAtOncePageWithinTheBudgetAndOneLineSumsUpTheRestMentioningAliceOnce() throws Exception {
        start();
        aliceOnDuty();
        nicks.put("alice", "alice_x");
        storm(1, 20, List.of(OPS, ROOM));
        for (Target t : List.of(OPS, ROOM)) {
            assertEquals(3, lines(t, "SAID").size(), "the budget's lines to " + t);
            assertEquals(17, lines(t, "HELD").size(), "held for the digest in " + t);
            TestEnv.await("the digest armed for " + t, () -> bot.schedule.next(PageBudget.KIND, PageBudget.timerId(t)).isPresent(), T);
            Instant at = bot.schedule.next(PageBudget.KIND, PageBudget.timerId(t)).orElseThrow();
            // when the minute has room (the first of the three lines a minute old), not now, however long the storm took
            Instant room = firstSaid(t).plus(PageLines.SPAN);
            assertTrue(!at.isBefore(room.minusMillis(1)) && !at.isAfter(room.plusSeconds(1)), "armed at " + at + ", room at " + room);
        }
        assertEquals(6, pageKeys().size(), "3 lines per target, not 20");
        assertTrue(bot.d.outbox().awaitSent(List.of(OPS, ROOM), T));
        assertEquals(3, posted("irc #ops alice_x: A"));
        // Every page went on to its next step at its time, held or not.
        for (long id = 1; id <= 20; id++) {
            Page p = page(id);
            assertEquals(1, p.step());
            assertEquals(p.openedAt().plus(Duration.ofMinutes(10)), p.nextDue(), "A" + id + "'s repeat at its time");
        }
        TestEnv.await("every page armed for its repeat", () -> bot.schedule.ids(Escalation.KIND).size() == 20, T);

        List<Long> held = lines(OPS, "HELD");
        digestDue(OPS);
        String line = awaitPost("irc #ops alice_x: 17 more pages in ");
        assertEquals(1, occurrences(line, "alice"), line);
        for (long id = 1; id <= 20; id++) {
            assertEquals(held.contains(id), line.matches(".*\\bA" + id + "\\b.*"), "A" + id + " named iff held: " + line);
        }
        assertTrue(line.endsWith(" (critical backup imap3 ×17) · !ack ID or !alerts"), line);
        assertTrue(line.getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= 512, line);
        digestDue(ROOM);
        String room = awaitPost("matrix #ops:example.org @alice:example.org: 17 more pages in ");
        assertEquals(1, occurrences(room, "alice"), room);
        TestEnv.await("the digest's HTML", () -> html.stream().filter(h -> h != null && h.contains("17 more pages")).count() == 1, T);
        String pill = html.stream().filter(h -> h != null && h.contains("17 more pages")).findFirst().orElseThrow();
        assertTrue(pill.startsWith("<a href=\"https://matrix.to/#/@alice:example.org\">"), pill);
        assertEquals(List.of(), lines(OPS, "HELD"));
        assertEquals(held, lines(OPS, "DIGESTED"));

        // Fired again (a second timer, the sweep, a retry): said once.
        bot.esc().budget().fire(OPS);
        bot.esc().budget().fire(ROOM);
        bot.esc().sweep();
        assertTrue(bot.d.outbox().awaitSent(List.of(OPS, ROOM), T));
        assertEquals(List.of("irc pages:" + firstHeldRow(OPS), "matrix pages:" + firstHeldRow(ROOM)), digestKeys());
        assertEquals(4, posted("irc #ops"));
        assertEquals(4, posted("matrix #ops"));
        assertTrue(bot.d.metrics().scrape().contains("opsbot_pages_held_total{network=\"irc\"} 17.0"), bot.d.metrics().scrape());
        TestEnv.await("no digest timer left", () -> bot.schedule.ids(PageBudget.KIND).isEmpty(), T);
    }

    /** When the first line still in {@code t}'s page budget was said. */
    private Instant firstSaid(Target t) {
        return bot.store.transaction("first said", db -> {
            try (PreparedStatement p = db.prepareStatement("SELECT MIN(at) AS at FROM duty_lines WHERE network=? AND place=?"
                    + " AND state='SAID'")) {
                p.setString(1, t.network());
                p.setString(2, t.place());
                try (ResultSet r = p.executeQuery()) {
                    r.next();
                    return Sql.instant(r, "at");
                }
            }
        });
    }

    /** The id of the oldest row a digest to {@code t} summed up (the digest's key names it). */
    private long firstHeldRow(Target t) {
        return count("SELECT MIN(id) FROM duty_lines WHERE state='DIGESTED' AND msg_key LIKE 'pages:%' AND network='"
                + t.network() + "'");
    }

    @Test
    void anAlertAcknowledgedOrResolvedBeforeTheDigestIsNotInItAndNothingLeftSaysNothing() throws Exception {
        start();
        aliceOnDuty();
        storm(1, 6, List.of(OPS));
        List<Long> held = lines(OPS, "HELD");
        assertEquals(3, held.size(), held.toString());
        assertTrue(bot.d.outbox().awaitSent(List.of(OPS), T));
        say("alice", "!ack A" + held.get(0));
        assertTrue(lastReply().endsWith("no more pages until it resolves"), lastReply());
        book.resolve(bot.store, held.get(1));
        assertEquals(List.of(held.get(0), held.get(1)), lines(OPS, "DROPPED"));
        digestDue(OPS);
        String line = awaitPost("irc #ops alice: 1 more page in ");
        assertTrue(line.contains(": A" + held.get(2) + " "), line);
        assertFalse(line.matches(".*\\bA(" + held.get(0) + "|" + held.get(1) + ")\\b.*"), line);

        // The window has room for two more lines now; four more alerts: two said, two held, and both acknowledged.
        storm(7, 10, List.of(OPS));
        List<Long> later = lines(OPS, "HELD");
        assertEquals(2, later.size(), later.toString());
        assertTrue(bot.d.outbox().awaitSent(List.of(OPS), T));
        for (long id : later) book.senderAck(bot.store, id);
        digestDue(OPS);
        TestEnv.await("the digest timer fired", () -> bot.schedule.ids(PageBudget.KIND).isEmpty(), T);
        bot.esc().budget().fire(OPS);
        assertTrue(bot.d.outbox().awaitSent(List.of(OPS), T));
        assertEquals(1, posts.stream().filter(p -> p.contains(" more page")).count(), posts.toString());
        assertEquals(1, digestKeys().size());
        assertEquals(List.of(), lines(OPS, "HELD"));
    }

    @Test
    void heldPagesSurviveACrashWithoutTheirTimerAndTheDigestComesOnceAfterStart() throws Exception {
        start();
        aliceOnDuty();
        storm(1, 5, List.of(OPS));
        assertEquals(2, lines(OPS, "HELD").size());
        TestEnv.await("the digest armed", () -> bot.schedule.next(PageBudget.KIND, PageBudget.timerId(OPS)).isPresent(), T);
        assertTrue(bot.d.outbox().awaitSent(List.of(OPS), T));
        minutePassed(); // the bot is down a minute ...
        assertTrue(bot.schedule.cancel(PageBudget.KIND, PageBudget.timerId(OPS))); // ... and had lost the timer
        bot.close();
        bot = null;
        start();
        String line = awaitPost("irc #ops alice: 2 more pages in ");
        assertTrue(line.endsWith("(critical backup imap3 ×2) · !ack ID or !alerts"), line);
        assertTrue(bot.d.outbox().awaitSent(List.of(OPS), T));
        restart(); // and again: nothing held, nothing said again
        bot.esc().sweep();
        bot.esc().budget().fire(OPS);
        assertTrue(bot.d.outbox().awaitSent(List.of(OPS), T));
        assertEquals(1, posts.stream().filter(p -> p.contains(" more page")).count(), posts.toString());
        assertEquals(1, digestKeys().size());
        assertEquals(3, pageKeys().size());
    }

    @Test
    void theStepsOfAHeldPageStillComeAtTheirTimesHeldAgainOrOnTheirOwnLine() throws Exception {
        start();
        aliceOnDuty();
        long h = oneHeld();
        // Its repeat falls due while the budget is still spent: held too, and the page goes on to the secondary.
        dueNowKeepingTheBudget(h, Page.Step.REPEAT);
        awaitState(h, 2);
        assertEquals(page(h).openedAt().plus(Duration.ofMinutes(20)), page(h).nextDue());
        TestEnv.await("armed for the secondary", () -> bot.schedule.next(Escalation.KIND, "P" + h).isPresent(), T);
        assertEquals(List.of(h, h), lines(OPS, "HELD"));
        // Its secondary falls due a minute later: said on its own line, to bob. alice's two held steps are not said by
        // it (it does not mention her): they stay held, and the digest mentions her.
        dueNow(h, Page.Step.SECONDARY);
        assertEquals("irc #ops bob: unacknowledged for 20 min (primary alice): A" + h + " critical backup imap3: missing file 87040"
                + " · !ack A" + h, awaitPost("irc #ops bob:"));
        awaitState(h, 3);
        assertEquals(List.of(h, h), lines(OPS, "HELD"));
        bot.esc().budget().fire(OPS);
        String line = awaitPost("irc #ops alice: 2 more pages in ");
        assertTrue(line.contains(" (1 new, 1 repeated): A" + h + " ("), line);
        assertEquals(List.of(), lines(OPS, "HELD"));
        assertTrue(bot.d.outbox().awaitSent(List.of(OPS), T));
        assertEquals(1, posts.stream().filter(p -> p.contains(" more page")).count(), posts.toString());
    }

    @Test
    void aHeldStepIsSaidByALaterLineOfItsPageThatMentionsTheSamePeople() throws Exception {
        start();
        aliceOnDuty();
        long h = oneHeld();
        // Its repeat falls due a minute later: its own line mentions alice and names the alert: the held first step is
        // said by it, and no digest comes.
        dueNow(h, Page.Step.REPEAT);
        awaitPost("irc #ops alice: still unacknowledged after 10 min: A" + h + " ");
        awaitState(h, 2);
        assertEquals(List.of(), lines(OPS, "HELD"));
        assertEquals(List.of(h), lines(OPS, "DIGESTED"));
        assertEquals(1, count("SELECT COUNT(*) FROM duty_lines WHERE state='DIGESTED' AND msg_key='page:" + h + ":2'"));
        bot.esc().budget().fire(OPS);
        assertTrue(bot.d.outbox().awaitSent(List.of(OPS), T));
        assertEquals(0, posts.stream().filter(p -> p.contains(" more page")).count(), posts.toString());
    }

    @Test
    void aDigestOfFirstMentionsAndRepeatsSaysWhichAndMentionsEachPersonOnce() throws Exception {
        start();
        aliceOnDuty();
        storm(1, 5, List.of(OPS)); // 1 to 3 said (or whichever came first), two held
        List<Long> held = lines(OPS, "HELD");
        dueNowKeepingTheBudget(held.get(0), Page.Step.REPEAT);
        awaitState(held.get(0), 2);
        dueNowKeepingTheBudget(held.get(0), Page.Step.SECONDARY); // bob
        awaitState(held.get(0), 3);
        digestDue(OPS);
        String line = awaitPost("irc #ops alice, bob: 4 more pages in ");
        assertTrue(line.contains(" (2 new, 1 repeated, 1 escalated): A" + held.get(0) + ", A" + held.get(1) + " ("), line);
    }

    @Test
    void aDigestWaitingInTheOutboxIsWithdrawnOnceNoneOfItsAlertsPages() throws Exception {
        Target down = new Target("irc", "#down"); // a place nothing is sent to yet: lines wait in the outbox
        start();
        aliceOnDuty();
        storm(1, 5, List.of(down));
        List<Long> held = lines(down, "HELD");
        assertEquals(2, held.size(), held.toString());
        digestDue(down);
        String waiting = "SELECT COUNT(*) FROM outbox WHERE state='PENDING' AND msg_key LIKE 'pages:%'";
        TestEnv.await("the digest waiting", () -> count(waiting) == 1, T);
        assertEquals(held, lines(down, "DIGESTED"));
        book.senderAck(bot.store, held.get(0));
        assertEquals(1, count(waiting), "one of its alerts still pages: the digest still goes");
        book.resolve(bot.store, held.get(1));
        assertEquals(0, count(waiting), "none of its alerts pages any more: not said when the place is back");
        assertEquals(1, count("SELECT COUNT(*) FROM outbox WHERE msg_key LIKE 'pages:%' AND state='WITHDRAWN' AND sent_at IS NOT NULL"));
        assertEquals(3, count("SELECT COUNT(*) FROM outbox WHERE state='PENDING' AND msg_key LIKE 'page:%'"),
                "the lines of the alerts still paging still wait");
        assertEquals(0, posts.stream().filter(p -> p.contains(" more page")).count(), posts.toString());
    }

    @Test
    void aDigestMentioningABigRosterStaysOneLineAndHeldStepsKeepWholeNames() throws Exception {
        for (int i = 1; i <= 40; i++) more.add("someone_with_a_long_name_%02d".formatted(i));
        start();
        aliceOnDuty();
        long h = oneHeld();
        // Everyone's step (and the two before it) falls due while the budget is spent: held, 43 people.
        dueNowKeepingTheBudget(h, Page.Step.EVERYONE);
        awaitState(h, 4);
        assertEquals(List.of(h, h, h, h), lines(OPS, "HELD"));
        String who = bot.store.transaction("who", db -> {
            try (PreparedStatement p = db.prepareStatement("SELECT who FROM duty_lines WHERE state='HELD' AND step=4");
                 ResultSet r = p.executeQuery()) {
                r.next();
                return r.getString(1);
            }
        });
        List<String> roster = new ArrayList<>(List.of("alice", "bob", "carol"));
        roster.addAll(more);
        assertTrue(who.length() <= 1024, who);
        for (String n : who.split("\n")) assertTrue(roster.contains(n), "a whole name: " + n);
        digestDue(OPS);
        String line = awaitPost("irc #ops alice, bob, carol, someone_with_a_long_name_01");
        String plain = line.substring("irc #ops ".length());
        assertTrue(plain.getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= PageBudget.MAX_BYTES, plain.length() + ": " + plain);
        assertTrue(plain.matches("alice, bob, carol(, someone_with_a_long_name_\\d\\d)+ \\+\\d+: 4 more pages in .*"), plain);
        int mentioned = 3 + occurrences(plain, "someone_with_a_long_name_");
        assertTrue(plain.contains(" +" + (who.split("\n").length - mentioned) + ": "), plain);
        assertTrue(plain.endsWith(PageDigest.HINT), plain);
    }

    @Test
    void aLongRunningBotForgetsOldPageLinesInBatchesFromTheSweepAtMostHourly() throws Exception {
        start();
        TestEnv.await("the start's sweep (and its prune) done", () -> bot.schedule.next(Escalation.SWEEP, "pages").isPresent(), T);
        assertTrue(bot.schedule.cancel(Escalation.SWEEP, "pages")); // the sweeps below are the test's
        Instant now = Instant.now();
        clock.fixed = now;
        Instant old = now.minus(PageLines.KEEP).minus(Duration.ofHours(1));
        addLines(PageLines.PRUNE_BATCH + 7, "SAID", old);
        addLines(1, "DIGESTED", now.minus(Duration.ofHours(1)));
        long all = PageLines.PRUNE_BATCH + 8;
        bot.esc().sweep();
        assertEquals(all, count("SELECT COUNT(*) FROM duty_lines"), "pruned at start, less than an hour ago");
        clock.fixed = now.plus(Duration.ofMinutes(61));
        bot.esc().sweep();
        assertEquals(8, count("SELECT COUNT(*) FROM duty_lines"), "one batch, the oldest");
        bot.esc().sweep(); // the batch was full: the next sweep goes on
        assertEquals(1, count("SELECT COUNT(*) FROM duty_lines"), "the rest of the old ones; the newer one stays");
        addLines(3, "SAID", old);
        bot.esc().sweep();
        assertEquals(4, count("SELECT COUNT(*) FROM duty_lines"), "all done less than an hour ago");
        clock.fixed = now.plus(Duration.ofMinutes(122));
        bot.esc().sweep();
        assertEquals(1, count("SELECT COUNT(*) FROM duty_lines"));

        // An old line summed up in a digest that still waits (its place is down): kept, for an ack to find the digest.
        bot.store.transaction("a digest waiting", db -> {
            try (PreparedStatement p = db.prepareStatement("INSERT INTO duty_lines (network, place, state, at, msg_key)"
                    + " VALUES ('irc', '#down', 'DIGESTED', ?, 'pages:99')")) {
                p.setObject(1, Sql.odt(old));
                p.executeUpdate();
            }
            return null;
        });
        assertTrue(bot.d.outbox().enqueue(opsbot.bot.outbox.Item.of(new Target("irc", "#down"), "pages:99",
                opsbot.bot.chat.Message.plain("alice: 3 more pages"))));
        clock.fixed = now.plus(Duration.ofMinutes(183));
        bot.esc().sweep();
        assertEquals(2, count("SELECT COUNT(*) FROM duty_lines"), "the waiting digest's line stays");
        bot.store.transaction("sent at last", db -> db.createStatement().executeUpdate(
                "UPDATE outbox SET state='SENT', sent_at=CURRENT_TIMESTAMP WHERE msg_key='pages:99'"));
        clock.fixed = now.plus(Duration.ofMinutes(244));
        bot.esc().sweep();
        assertEquals(1, count("SELECT COUNT(*) FROM duty_lines"), "once it is out, it goes");
    }

    private void addLines(int n, String state, Instant at) {
        bot.store.transaction("old lines", db -> {
            try (PreparedStatement p = db.prepareStatement("INSERT INTO duty_lines (network, place, state, at)"
                    + " SELECT 'irc', '#ops', ?, ? FROM SYSTEM_RANGE(1, ?)")) {
                p.setString(1, state);
                p.setObject(2, Sql.odt(at));
                p.setInt(3, n);
                return p.executeUpdate();
            }
        });
    }

    @Test
    void aLongRunningBotForgetsPagesFinishedAMonthAgoInBatchesFromTheSweepAtMostHourly() throws Exception {
        start();
        TestEnv.await("the start's sweep (and its prune) done", () -> bot.schedule.next(Escalation.SWEEP, "pages").isPresent(), T);
        assertTrue(bot.schedule.cancel(Escalation.SWEEP, "pages")); // the sweeps below are the test's
        Instant now = Instant.now();
        clock.fixed = now;
        Instant old = now.minus(Pages.KEEP).minus(Duration.ofHours(1));
        addPages(Pages.PRUNE_BATCH + 3, "STOPPED", old, old);
        addPages(1, "DONE", old, null); // every step said long ago, never acknowledged
        addPages(1, "STOPPED", old, now.minus(Pages.KEEP).plus(Duration.ofMinutes(90))); // stopped inside the retention
        addPages(1, "PAGING", old, null);
        long all = Pages.PRUNE_BATCH + 6;
        bot.esc().sweep();
        assertEquals(all, count("SELECT COUNT(*) FROM duty_pages"), "pruned at start, less than an hour ago");
        clock.fixed = now.plus(Duration.ofMinutes(61));
        bot.esc().sweep();
        assertEquals(6, count("SELECT COUNT(*) FROM duty_pages"), "one batch, the oldest");
        bot.esc().sweep(); // the batch was full: the next sweep goes on
        assertEquals(2, count("SELECT COUNT(*) FROM duty_pages"), "the rest of the old ones, the DONE one too");
        assertEquals(List.of("PAGING", "STOPPED"), pageStates());
        clock.fixed = now.plus(Duration.ofMinutes(122)); // the newer stopped one is older than the retention now
        bot.esc().sweep();
        assertEquals(List.of("PAGING"), pageStates(), "a page still going is never forgotten");
    }

    @Test
    void anOldPageWithAStepStillHeldForADigestIsKeptUntilTheDigestSaidIt() {
        start();
        Instant now = Instant.now();
        Instant old = now.minus(Pages.KEEP).minus(Duration.ofHours(1));
        addPages(2, "STOPPED", old, old);
        long held = count("SELECT MIN(id) FROM duty_pages");
        bot.store.transaction("a held line", db -> {
            try (PreparedStatement p = db.prepareStatement("INSERT INTO duty_lines (network, place, page_id, state, at)"
                    + " VALUES ('irc', '#nowhere', ?, 'HELD', ?)")) {
                p.setLong(1, held);
                p.setObject(2, Sql.odt(now));
                return p.executeUpdate();
            }
        });
        assertEquals(1, (int) bot.store.transaction("prune", db -> Pages.prune(db, now)));
        assertEquals(held, count("SELECT id FROM duty_pages"));
        bot.store.transaction("said", db -> db.prepareStatement("UPDATE duty_lines SET state='DIGESTED'").executeUpdate());
        assertEquals(1, (int) bot.store.transaction("prune", db -> Pages.prune(db, now)));
        assertEquals(0, count("SELECT COUNT(*) FROM duty_pages"));
    }

    /** {@code n} pages in {@code state}, opened at {@code opened} and stopped at {@code stopped} (null: not). */
    private void addPages(int n, String state, Instant opened, Instant stopped) {
        bot.store.transaction("old pages", db -> {
            try (PreparedStatement p = db.prepareStatement("INSERT INTO duty_pages (alert_id, severity, about, targets, step,"
                    + " state, opened_at, stopped_at) SELECT X, 'critical', 'backup: old', 'irc	#ops', 4, ?, ?, ?"
                    + " FROM SYSTEM_RANGE(1, ?)")) {
                p.setString(1, state);
                p.setObject(2, Sql.odt(opened));
                p.setObject(3, stopped == null ? null : Sql.odt(stopped));
                p.setInt(4, n);
                return p.executeUpdate();
            }
        });
    }

    private List<String> pageStates() {
        return bot.store.transaction("states", db -> {
            List<String> out = new ArrayList<>();
            try (PreparedStatement p = db.prepareStatement("SELECT state FROM duty_pages ORDER BY state"); ResultSet r = p.executeQuery()) {
                while (r.next()) out.add(r.getString(1));
            }
            return out;
        });
    }

    @Test
    void theMinutesLookForHeldPagesUsesAnIndex() {
        start();
        String plan = bot.store.transaction("plan", db -> {
            try (PreparedStatement p = db.prepareStatement("EXPLAIN " + PageLines.HELD_TARGETS); ResultSet r = p.executeQuery()) {
                r.next();
                return r.getString(1);
            }
        });
        assertTrue(plan.toUpperCase().contains("DUTY_LINES_HELD"), plan);
    }

    @Test
    void aPageWhoseTimerCannotBeArmedDoesNotStopTheSweepArmingTheOthers() throws Exception {
        start();
        aliceOnDuty();
        book.open(bot.store, 1, Severity.CRITICAL, List.of(OPS));
        book.open(bot.store, 2, Severity.CRITICAL, List.of(OPS));
        awaitState(1, 1);
        awaitState(2, 1);
        awaitArmedAsTheirRows(1, 2); // a late arming after a step's commit would undo the cancels below
        // Page 1's row says a time no timer can hold (the sweep reads it first: soonest first); page 2 lost its timer.
        Instant never = java.time.LocalDate.of(-300_000_000, 1, 1).atStartOfDay().toInstant(ZoneOffset.UTC);
        bot.store.transaction("a time no timer holds", db -> {
            try (PreparedStatement p = db.prepareStatement("UPDATE duty_pages SET next_due=? WHERE id=1")) {
                p.setObject(1, Sql.odt(never));
                return p.executeUpdate();
            }
        });
        assertTrue(bot.schedule.cancel(Escalation.KIND, "P1"));
        assertTrue(bot.schedule.cancel(Escalation.KIND, "P2"));
        bot.esc().sweep();
        assertEquals(Optional.of(page(2).nextDue().toEpochMilli()),
                bot.schedule.next(Escalation.KIND, "P2").map(Instant::toEpochMilli), "page 2 armed all the same");
        assertEquals(Optional.empty(), bot.schedule.next(Escalation.KIND, "P1"));
    }

    @Test
    void twoDigestFiringsAtOnceSayOneLine() throws Exception {
        start();
        aliceOnDuty();
        storm(1, 6, List.of(OPS));
        List<Long> held = lines(OPS, "HELD");
        assertEquals(3, held.size(), held.toString());
        TestEnv.await("the digest armed", () -> bot.schedule.next(PageBudget.KIND, PageBudget.timerId(OPS)).isPresent(), T);
        assertTrue(bot.schedule.cancel(PageBudget.KIND, PageBudget.timerId(OPS))); // the two firings below are the ones
        minutePassed();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> fs = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                fs.add(pool.submit(() -> {
                    go.await();
                    bot.esc().budget().fire(OPS);
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : fs) f.get();
        } finally {
            pool.shutdownNow();
        }
        assertEquals(List.of("irc pages:" + firstHeldRow(OPS)), digestKeys());
        assertEquals(held, lines(OPS, "DIGESTED"));
        assertEquals(List.of(), lines(OPS, "HELD"));
        assertTrue(bot.d.outbox().awaitSent(List.of(OPS), T));
        assertEquals(1, posts.stream().filter(p -> p.contains(" more page")).count(), posts.toString());
    }

    /** {@link #dueNow} without the minute passing: the page budget stays as it is. */
    private void dueNowKeepingTheBudget(long id, Page.Step s) throws InterruptedException {
        makeDue(id, s, false);
    }
}
