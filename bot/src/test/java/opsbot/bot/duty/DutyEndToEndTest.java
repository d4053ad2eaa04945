package opsbot.bot.duty;

import opsbot.bot.alerts.Alert;
import opsbot.bot.alerts.AlertBook;
import opsbot.bot.alerts.AlertListener;
import opsbot.bot.dispatch.Dispatcher;
import opsbot.bot.irc.IrcNetwork;
import opsbot.bot.outbox.Target;
import opsbot.bot.schedule.Schedule;
import opsbot.bot.store.Sql;
import opsbot.bot.store.Store;
import opsbot.bot.testkit.IrcUser;
import opsbot.bot.testkit.TestEnv;
import opsbot.commands.ssh.ExecResult;
import opsbot.commands.ssh.FanOut;
import opsbot.config.OpsbotConfig;
import opsbot.config.Severity;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Pages on the real InspIRCd with Anope accounts: a fake alert book opens a critical alert; the primary is mentioned
 * by the nick their account has now, then again, then the secondary; {@code !ack} stops the rest.
 */
@Tag("e2e")
class DutyEndToEndTest {
    private static final Duration T = Duration.ofSeconds(20);

    private TestEnv env;
    private Path dir;
    private Store store;
    private Schedule schedule;
    private Dispatcher d;
    private final List<AutoCloseable> users = new ArrayList<>();
    private final Book book = new Book();

    @BeforeEach
    void setUp() throws Exception {
        env = new TestEnv();
        dir = Files.createTempDirectory("opsbot-duty");
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable u : users) u.close();
        if (schedule != null) schedule.close();
        if (d != null) d.close();
        if (store != null) store.close();
    }

    /** Alerts in memory; acknowledge tells the listeners in the caller's transaction, as documented. */
    private static final class Book implements AlertBook {
        final Map<Long, Alert> alerts = new ConcurrentHashMap<>();
        final List<AlertListener> listeners = new CopyOnWriteArrayList<>();

        public Optional<Alert> find(Connection db, String shortId) {
            return Optional.ofNullable(alerts.get(Long.parseLong(shortId.substring(1))));
        }

        public synchronized Optional<Alert> acknowledge(Connection db, long id, String by, Instant at) throws java.sql.SQLException {
            Alert a = alerts.get(id);
            if (a == null || a.state() != Alert.State.OPEN) return Optional.empty();
            Alert b = new Alert(a.id(), a.source(), a.key(), a.severity(), a.host(), a.summary(), Alert.State.ACKNOWLEDGED,
                    a.firstAt(), a.lastAt(), a.count(), a.targets(), by);
            alerts.put(id, b);
            for (AlertListener l : listeners) l.acknowledged(db, b);
            return Optional.of(b);
        }

        public void listen(AlertListener l) {
            listeners.add(l);
        }
    }

    private IrcUser user(String nick, String account) throws Exception {
        IrcUser u = env.user(nick, account);
        users.add(u);
        u.join("#ops");
        return u;
    }

    /** Step {@code s} of page {@code id} due now: its opened time moved back, its timer now. */
    private void dueNow(long id, Page.Step s, OpsbotConfig cfg) {
        Instant now = Instant.now();
        Duration back = Duration.between(Page.Step.PRIMARY.due(Instant.EPOCH, cfg.duty()), s.due(Instant.EPOCH, cfg.duty()));
        store.transaction("make due", db -> {
            try (PreparedStatement p = db.prepareStatement("UPDATE duty_pages SET opened_at=?, next_due=? WHERE id=?")) {
                p.setObject(1, Sql.odt(now.minus(back)));
                p.setObject(2, Sql.odt(now));
                p.setLong(3, id);
                p.executeUpdate();
            }
            return null;
        });
        schedule.at(Escalation.KIND, "P" + id, now);
    }

    /** The bot with duty (alice primary, bob secondary), joined to #ops. */
    private OpsbotConfig startBot() throws Exception {
        String yaml = env.yaml(dir, "localhost", "opsbot") + """
                duty:
                  people: [alice, bob]
                  zone: Europe/Oslo
                  page-at: critical
                """;
        OpsbotConfig cfg = env.load("duty.yml", yaml);
        store = Store.open(cfg.storage());
        schedule = Schedule.create(store.pool(), Clock.systemUTC());
        d = new Dispatcher(cfg, store, new FanOut((h, line) -> new ExecResult.Exited(0, "", "", 0, Duration.ZERO), 2),
                Clock.systemUTC());
        Duty.install(cfg, d, schedule, book);
        schedule.start();
        IrcNetwork irc = new IrcNetwork(cfg.irc());
        d.attach(irc);
        TestEnv.await("opsbot joining #ops", () -> irc.isJoined("#ops"), T);
        // alice primary, bob secondary, whatever today's turn is
        Instant now = Instant.now();
        store.transaction("set duty", db -> Overrides.add(db, "alice", "bob", now.minusSeconds(60), now.plus(Duration.ofDays(1)),
                "give", "test", "irc", "#ops"));
        return cfg;
    }

    /** Alert {@code id}, critical, said in #ops, opened: the listeners are told in its transaction. */
    private void open(long id) {
        Instant now = Instant.now();
        Alert a = new Alert(id, "backup", "k" + id, Severity.CRITICAL, "imap3", "missing file 87040", Alert.State.OPEN, now, now, 1,
                List.of(new Target("irc", "#ops")), null);
        book.alerts.put(id, a);
        store.transaction("fold", db -> {
            for (AlertListener l : book.listeners) l.opened(db, a);
            return null;
        });
    }

    @Test
    void theOneOnDutyIsMentionedByTheirNickNowThenTheSecondaryAndAckStopsIt() throws Exception {
        OpsbotConfig cfg = startBot();
        Instant now = Instant.now();
        IrcUser alice = user("alice_pager", "alice");
        IrcUser bob = user("bob_x", "bob");
        bob.say("#ops", "!duty"); // the bot has seen both join by the time it answers
        assertTrue(bob.expect("opsbot", s -> s.startsWith("on duty:"), T).text().startsWith("on duty: alice (given by test) primary, bob secondary"));

        Alert a = new Alert(1, "backup", "k1", Severity.CRITICAL, "imap3", "missing file 87040", Alert.State.OPEN, now, now, 1,
                List.of(new Target("irc", "#ops")), null);
        book.alerts.put(1L, a);
        store.transaction("fold", db -> {
            for (AlertListener l : book.listeners) l.opened(db, a);
            return null;
        });
        IrcUser.Msg first = alice.expect("opsbot", s -> s.contains("A1"), T);
        assertEquals("#ops", first.target());
        assertEquals("alice_pager: A1 critical backup imap3: missing file 87040 · you are on duty · !ack A1", first.text());

        alice.send("NICK alice_sleepy"); // she changes nick: the next page finds her by her account
        alice.awaitLine(l -> l.contains("NICK") && l.contains("alice_sleepy"), T);
        dueNow(1, Page.Step.REPEAT, cfg);
        assertEquals("alice_sleepy: still unacknowledged after 10 min: A1 critical backup imap3: missing file 87040 · !ack A1",
                alice.expect("opsbot", s -> s.contains("A1"), T).text());
        dueNow(1, Page.Step.SECONDARY, cfg);
        assertEquals("bob_x: unacknowledged for 20 min (primary alice): A1 critical backup imap3: missing file 87040 · !ack A1",
                bob.expect("opsbot", s -> s.startsWith("bob_x:"), T).text());

        alice.say("#ops", "!ack A1");
        assertEquals("A1 acknowledged by alice: no more pages until it resolves", alice.expect("opsbot", s -> s.startsWith("A1 acknowledged"), T).text());
        dueNow(1, Page.Step.EVERYONE, cfg);
        TestEnv.await("the timer fired", () -> schedule.next(Escalation.KIND, "P1").isEmpty(), T);
        bob.say("#ops", "!ping");
        assertEquals("pong", bob.expect("opsbot", s -> s.equals("pong") || s.contains("everyone"), T).text(), "no page after the ack");
        assertEquals(Page.State.STOPPED, store.transaction("read", db -> Pages.find(db, 1)).orElseThrow().state());
    }

    @Test
    void aStormOfCriticalsPagesThreeLinesAndThenOneLineForTheRest() throws Exception {
        startBot();
        IrcUser alice = user("alice_storm", "alice");
        alice.say("#ops", "!duty"); // the bot has seen her join by the time it answers
        alice.expect("opsbot", s -> s.startsWith("on duty:"), T);
        for (long id = 1; id <= 12; id++) open(id);
        for (int i = 0; i < 3; i++) {
            assertTrue(alice.expect("opsbot", s -> s.contains(" critical "), T).text().matches("alice_storm: A\\d+ critical backup imap3: .*"));
        }
        TestEnv.await("every page at its first step", () -> store.transaction("count", db -> {
            try (var p = db.prepareStatement("SELECT COUNT(*) FROM duty_pages WHERE step=1"); var r = p.executeQuery()) {
                r.next();
                return r.getLong(1);
            }
        }) == 12, T);
        // A minute later (the lines moved back), the digest's timer fires.
        Instant before = Instant.now().minus(PageLines.SPAN).minusSeconds(1);
        store.transaction("a minute passed", db -> {
            try (PreparedStatement p = db.prepareStatement("UPDATE duty_lines SET at=? WHERE at>?")) {
                p.setObject(1, Sql.odt(before));
                p.setObject(2, Sql.odt(before));
                return p.executeUpdate();
            }
        });
        schedule.at(PageBudget.KIND, PageBudget.timerId(new Target("irc", "#ops")), Instant.now());
        String digest = alice.next("opsbot", T).text();
        assertTrue(digest.startsWith("alice_storm: 9 more pages in "), digest);
        assertTrue(digest.endsWith(" (critical backup imap3 ×9) · !ack ID or !alerts"), digest);
        alice.say("#ops", "!ping");
        assertEquals("pong", alice.next("opsbot", T).text(), "nothing more");
    }
}
