package opsbot.bot.outbox;

import opsbot.bot.chat.ChatNetwork;
import opsbot.bot.chat.Inbound;
import opsbot.bot.chat.Message;
import opsbot.bot.store.Store;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.*;

/** The outbox against a fake network that fails on purpose: order, once, never given up, across a restart. */
class OutboxTest {
    private static final Duration T = Duration.ofSeconds(10);
    private static final Backoff FAST = new Backoff(Duration.ofMillis(2), Duration.ofMillis(20));
    private final Target a = new Target("fake", "#a");
    private final Target b = new Target("fake", "#b");

    @TempDir
    Path dir;
    private Store store;
    private final List<Outbox> outboxes = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        store = Store.open(opsbot.config.StorageConfig.embedded(dir.resolve("db").toString()));
    }

    @AfterEach
    void tearDown() {
        outboxes.forEach(Outbox::close);
        store.close();
    }

    /** A network whose posts to the places in {@code failing} fail, each post counted. */
    static final class FakeNetwork implements ChatNetwork {
        record Post(String place, String body, String thread, String key) {
        }

        final List<Post> attempts = new CopyOnWriteArrayList<>();
        final List<Post> delivered = new CopyOnWriteArrayList<>();
        final Set<String> failing = ConcurrentHashMap.newKeySet();
        final AtomicInteger failFirst = new AtomicInteger();
        final AtomicInteger ids = new AtomicInteger();

        public String name() { return "fake"; }
        public void start(Consumer<Inbound> inbox) { }
        public void send(String target, List<String> lines) { throw new AssertionError("the outbox posts"); }
        public String selfName() { return "opsbot"; }
        public void close() { }

        @Override
        public String post(String target, Message m, String thread, String key) {
            Post p = new Post(target, m.plain(), thread, key);
            attempts.add(p);
            if (failing.contains(target) || failFirst.getAndDecrement() > 0) {
                throw new PostFailed("down", null);
            }
            // Like a Matrix transaction ID: the same key again is the same message, not a second one.
            if (delivered.stream().noneMatch(d -> d.key().equals(key))) delivered.add(p);
            return "$" + ids.incrementAndGet();
        }

        List<String> bodies(String place) {
            return delivered.stream().filter(p -> p.place().equals(place)).map(Post::body).toList();
        }
    }

    private Outbox outbox(FakeNetwork net) {
        Outbox o = new Outbox(store, n -> n.equals("fake") ? net : null, Clock.systemUTC(), FAST);
        outboxes.add(o);
        return o;
    }

    @Test
    void failsNTimesThenDeliversEachOnceInOrderWithOneKeyPerMessage() throws Exception {
        FakeNetwork net = new FakeNetwork();
        net.failFirst.set(7);
        Outbox o = outbox(net);
        for (int i = 1; i <= 5; i++) o.enqueue(Item.of(a, "m" + i, Message.plain("message " + i)));
        assertTrue(o.awaitSent(List.of(a), T), "all sent");
        assertEquals(List.of("message 1", "message 2", "message 3", "message 4", "message 5"), net.bodies("#a"));
        assertEquals(12, net.attempts.size(), "7 failures, then 5 posts: the next is not tried before the one ahead");
        assertEquals(1, net.attempts.subList(0, 8).stream().map(FakeNetwork.Post::key).distinct().count(),
                "every retry of the first message carries the same key");
        assertEquals(5, net.attempts.stream().map(FakeNetwork.Post::key).distinct().count());
        assertFalse(o.enqueue(Item.of(a, "m3", Message.plain("message 3 again"))), "a key is enqueued once");
        assertTrue(o.awaitSent(List.of(a), T));
        assertEquals(5, net.bodies("#a").size());
    }

    @Test
    void aTargetThatIsDownHoldsUpNoOtherAndIsNeverGivenUp() throws Exception {
        FakeNetwork net = new FakeNetwork();
        net.failing.add("#a");
        Outbox o = outbox(net);
        o.enqueue(Item.of(a, "a1", Message.plain("to a")));
        o.enqueue(Item.of(b, "b1", Message.plain("to b")));
        assertTrue(o.awaitSent(List.of(b), T), "#b is served while #a is down");
        TestWait.until("many failed attempts at #a", () -> net.attempts.stream().filter(p -> p.place().equals("#a")).count() >= 100, T);
        Row stuck = o.pending(List.of(a)).get(0);
        assertTrue(stuck.attempts() >= 99, "attempts counted: " + stuck.attempts());
        assertEquals("down", stuck.lastError());
        net.failing.clear(); // back
        assertTrue(o.awaitSent(List.of(a), T), "still sent after 100 failures");
        assertEquals(List.of("to a"), net.bodies("#a"));
    }

    @Test
    void pendingRowsAreSentAfterARestartInOrderAndOnce() throws Exception {
        FakeNetwork net = new FakeNetwork();
        net.failing.add("#a");
        Outbox first = outbox(net);
        for (int i = 1; i <= 3; i++) first.enqueue(Item.of(a, "r" + i, Message.plain("row " + i)));
        TestWait.until("a failed attempt", () -> !net.attempts.isEmpty(), T);
        first.close();
        int tried = net.attempts.size();
        assertEquals(3, first.pending(List.of(a)).size(), "nothing lost when stopping while the target is down");

        net.failing.clear();
        Outbox second = outbox(net); // a new start on the same store
        assertEquals(tried, net.attempts.size(), "nothing is sent before the network is attached");
        second.attached("fake");
        assertTrue(second.awaitSent(List.of(a), T));
        assertEquals(List.of("row 1", "row 2", "row 3"), net.bodies("#a"));
        assertEquals(1, net.attempts.stream().skip(tried).filter(p -> p.body().equals("row 1")).count(), "sent once");
    }

    @Test
    void aMessageThatNamesItsThreadRootByKeyIsPostedInThatThread() throws Exception {
        FakeNetwork net = new FakeNetwork();
        Outbox o = outbox(net);
        List<String> roots = new CopyOnWriteArrayList<>();
        o.onSent("thread-root:", (db, row, id) -> roots.add(row.ref() + "=" + id));
        net.failing.add("#a"); // both are queued before the root's ID can be known
        o.enqueue(new Item(a, "root", Message.plain("root"), null, null, "thread-root:7"));
        o.enqueue(new Item(a, "reply", Message.plain("reply"), null, "root", null));
        TestWait.until("a failed attempt", () -> !net.attempts.isEmpty(), T);
        net.failing.clear();
        assertTrue(o.awaitSent(List.of(a), T));
        FakeNetwork.Post root = net.delivered.get(0), reply = net.delivered.get(1);
        assertNull(root.thread());
        assertEquals(List.of("thread-root:7=$1"), roots, "the producer learns the root's ID, in the same transaction");
        assertEquals("$1", reply.thread(), "the reply hangs from the root's ID");
    }

    /** A clock the prune tests set. */
    static final class SetClock extends Clock {
        volatile java.time.Instant now = java.time.Instant.parse("2026-03-01T12:00:00Z");

        public java.time.ZoneId getZone() { return java.time.ZoneOffset.UTC; }
        public Clock withZone(java.time.ZoneId zone) { return this; }
        public java.time.Instant instant() { return now; }
    }

    /** {@code n} rows to {@code t} in {@code state}, sent (or digested, withdrawn) at {@code at}, keys {@code prefix1..n}. */
    private void rows(Target t, String prefix, int n, String state, java.time.Instant at) {
        store.transaction("old rows", db -> {
            try (java.sql.PreparedStatement p = db.prepareStatement("INSERT INTO outbox (network, place, msg_key, plain, state,"
                    + " attempts, next_try, created_at, sent_at) SELECT ?, ?, CONCAT(?, X), 'old', ?, 1, ?, ?, ? FROM SYSTEM_RANGE(1, ?)")) {
                p.setString(1, t.network());
                p.setString(2, t.place());
                p.setString(3, prefix);
                p.setString(4, state);
                p.setObject(5, opsbot.bot.store.Sql.odt(at));
                p.setObject(6, opsbot.bot.store.Sql.odt(at));
                p.setObject(7, state.equals("PENDING") ? null : opsbot.bot.store.Sql.odt(at));
                p.setInt(8, n);
                return p.executeUpdate();
            }
        });
    }

    private long count(String where) {
        return store.transaction("count", db -> {
            try (java.sql.PreparedStatement p = db.prepareStatement("SELECT COUNT(*) FROM outbox WHERE " + where);
                 java.sql.ResultSet r = p.executeQuery()) {
                r.next();
                return r.getLong(1);
            }
        });
    }

    @Test
    void rowsSentBeforeTheRetentionAreForgottenInBatchesNewerOnesAndTargetsWithRowsWaitingStay() {
        SetClock clock = new SetClock();
        Outbox o = new Outbox(store, n -> null, clock, FAST); // no network: nothing is sent while the test looks
        outboxes.add(o);
        java.time.Instant old = clock.now.minus(Outbox.KEEP_SENT).minusSeconds(60);
        Target c = new Target("fake", "#c");
        rows(a, "s", Outbox.PRUNE_BATCH + 5, "SENT", old);
        rows(a, "d", 1, "DIGESTED", old);
        rows(a, "w", 1, "WITHDRAWN", old);
        rows(a, "new", 3, "SENT", clock.now.minus(Outbox.KEEP_SENT).plusSeconds(60)); // inside the retention
        rows(b, "s", 2, "SENT", old); // #b still has a row waiting: a later row may post in a thread they opened
        rows(b, "p", 1, "PENDING", old);
        rows(c, "s", 4, "SENT", old);

        assertEquals(Outbox.PRUNE_BATCH, o.prune(), "one batch, no more");
        long left = Outbox.PRUNE_BATCH + 5 + 2 + 3 + 3 + 4 - Outbox.PRUNE_BATCH;
        assertEquals(left, count("TRUE"));
        assertEquals(5 + 2 + 4, o.forgetOld(), "the sweep's first run: the rest");
        assertEquals(3, count("network='fake' AND place='#a'"), "the newer rows stay");
        assertEquals(3, count("network='fake' AND place='#a' AND msg_key LIKE 'new%'"));
        assertEquals(3, count("network='fake' AND place='#b'"), "a target with a row waiting keeps its old rows");
        assertEquals(0, count("network='fake' AND place='#c'"));

        clock.now = clock.now.plus(Duration.ofMinutes(2)); // the newer ones are old now ...
        assertEquals(0, o.forgetOld(), "... but the last run was not full: the next is an hour later");
        clock.now = clock.now.plus(Outbox.PRUNE_EVERY);
        assertEquals(3, o.forgetOld());
        assertEquals(3, count("TRUE"), "only #b's");
    }

    @Test
    void theOutboxPrunesAtStartAndArmsItsSweep() throws Exception {
        SetClock clock = new SetClock();
        clock.now = java.time.Instant.now(); // Quartz fires by the real time
        Outbox o = new Outbox(store, n -> null, clock, FAST);
        outboxes.add(o);
        rows(a, "s", 3, "SENT", clock.now.minus(Outbox.KEEP_SENT).minusSeconds(60));
        rows(a, "new", 1, "SENT", clock.now);
        opsbot.bot.schedule.Schedule schedule = opsbot.bot.schedule.Schedule.create(store.pool(), clock);
        try {
            o.pruneOn(schedule);
            schedule.start();
            TestWait.until("the old rows forgotten at start", () -> count("TRUE") == 1, T);
            assertEquals(Optional.of(clock.now.plus(Outbox.PRUNE_SWEEP).toEpochMilli()),
                    schedule.next(Outbox.PRUNE_KIND, "sent").map(java.time.Instant::toEpochMilli), "and its sweep");
        } finally {
            schedule.close();
        }
    }

    @Test
    void thePruneFindsTheOldRowsByAnIndex() {
        String plan = store.transaction("plan", db -> {
            try (java.sql.PreparedStatement p = db.prepareStatement("EXPLAIN " + Outbox.PRUNE);
                 java.sql.ResultSet r = p.executeQuery()) {
                r.next();
                return r.getString(1);
            }
        });
        assertTrue(plan.toUpperCase().contains("OUTBOX_SENT"), plan);
    }

    /** Await with a deadline (no sleeps as assertions). */
    static final class TestWait {
        static void until(String what, java.util.function.BooleanSupplier ok, Duration max) throws InterruptedException {
            long end = System.nanoTime() + max.toNanos();
            while (!ok.getAsBoolean()) {
                if (System.nanoTime() > end) throw new AssertionError(what + " did not happen within " + max);
                Thread.sleep(5);
            }
        }
    }
}
