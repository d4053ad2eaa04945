package opsbot.bot.outbox;

import opsbot.bot.chat.ChatNetwork;
import opsbot.bot.chat.Inbound;
import opsbot.bot.chat.Message;
import opsbot.bot.metrics.Metrics;
import opsbot.bot.store.Store;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Line budgets and digests against a real store, a fake network and a clock the test moves: a storm is at most
 * the budget per minute plus digests, every broadcast is sent or counted in exactly one digest (across a
 * restart too), rows without a budget pass a held storm, and a digest is exactly once on a network with keys.
 */
class OutboxBudgetTest {
    private static final Duration T = Duration.ofSeconds(20);
    private static final Backoff FAST = new Backoff(Duration.ofMillis(2), Duration.ofMillis(20));
    private static final int PER_MINUTE = 10;
    private final Target chan = new Target("fake", "#ops");

    @TempDir
    Path dir;
    private Store store;
    private final TestClock clock = new TestClock(Instant.parse("2025-03-01T03:00:00Z"));
    private final List<Outbox> outboxes = new ArrayList<>();

    @BeforeEach
    void setUp() {
        store = Store.open(opsbot.config.StorageConfig.embedded(dir.resolve("db").toString()));
    }

    @AfterEach
    void tearDown() {
        outboxes.forEach(Outbox::close);
        store.close();
    }

    static final class TestClock extends Clock {
        private final AtomicReference<Instant> now;

        TestClock(Instant start) {
            now = new AtomicReference<>(start);
        }

        void plus(Duration d) {
            now.updateAndGet(i -> i.plus(d));
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now.get();
        }
    }

    /**
     * An IRC-like network (lines of {@code lineBytes}) that, like Matrix, shows a key once; it can take a post and
     * then lose the answer ({@code landThenFail}), as a homeserver whose reply never arrived.
     */
    final class FakeNet implements ChatNetwork {
        record Post(String place, String body, String key, Instant at) {
        }

        final List<Post> attempts = new CopyOnWriteArrayList<>();
        final List<Post> delivered = new CopyOnWriteArrayList<>();
        final AtomicInteger landThenFail = new AtomicInteger();
        volatile int lineBytes = 380;
        volatile boolean down;

        public String name() { return "fake"; }
        public void start(Consumer<Inbound> inbox) { }
        public void send(String target, List<String> lines) { throw new AssertionError("the outbox posts"); }
        public String selfName() { return "opsbot"; }
        public void close() { }

        @Override
        public int lineBytes(String target) {
            return lineBytes;
        }

        @Override
        public String post(String target, Message m, String thread, String key) {
            Post p = new Post(target, m.plain(), key, clock.instant());
            attempts.add(p);
            if (down) throw new PostFailed("down", null);
            if (delivered.stream().noneMatch(d -> d.key().equals(key))) delivered.add(p);
            if (landThenFail.getAndDecrement() > 0) throw new PostFailed("the answer was lost", null);
            return "$" + delivered.size();
        }

        List<String> bodies() {
            return delivered.stream().map(Post::body).toList();
        }
    }

    private Outbox outbox(FakeNet net, Metrics metrics) {
        Outbox o = new Outbox(store, n -> n.equals("fake") ? net : null, clock, FAST, metrics);
        outboxes.add(o);
        return o;
    }

    private static Item broadcast(Target t, int i, String group, String severity, String label) {
        return new Item(t, "b" + i, Message.plain(group + " " + severity + " on " + label + " #" + i), null, null, null,
                new Item.Budget(group, label, severity, PER_MINUTE));
    }

    /** {@code n} broadcasts from {@code from} on, in transactions of up to 1000 (as a busy intake would). */
    private void storm(Outbox o, int from, int n, java.util.function.IntFunction<Item> item) {
        for (int i = from; i < from + n; i += 1000) {
            int start = i, end = Math.min(from + n, i + 1000);
            store.transaction("storm", db -> {
                for (int k = start; k < end; k++) o.enqueue(db, item.apply(k));
                return null;
            });
        }
        o.wake(chan);
    }

    /** Waits until the sender has nothing to do at this instant (only held broadcasts, or nothing, wait). */
    private static void settled(Outbox o, Target t) throws InterruptedException {
        OutboxTest.TestWait.until("the sender to settle", () -> !(o.next(t) instanceof Outbox.Next.Send), T);
    }

    private Map<String, Long> states() {
        return store.transaction("count", db -> {
            Map<String, Long> out = new HashMap<>();
            try (PreparedStatement p = db.prepareStatement("SELECT state, COUNT(*) FROM outbox GROUP BY state");
                 ResultSet r = p.executeQuery()) {
                while (r.next()) out.put(r.getString(1), r.getLong(2));
            }
            return out;
        });
    }

    /**
     * Every broadcast in {@code keys} is either sent on its own or a member of exactly one digest that was sent,
     * and each digest counts exactly its members; no key reached the network twice.
     */
    private void everyRowOnce(FakeNet net, int broadcasts) {
        store.transaction("check", db -> {
            long alone = 0, inDigests = 0;
            try (PreparedStatement p = db.prepareStatement("SELECT COUNT(*) FROM outbox WHERE msg_key LIKE 'b%' AND state='SENT'");
                 ResultSet r = p.executeQuery()) {
                r.next();
                alone = r.getLong(1);
            }
            try (PreparedStatement p = db.prepareStatement("SELECT d.id, d.digest_of, d.state,"
                    + " (SELECT COUNT(*) FROM outbox m WHERE m.digest_id=d.id AND m.state='DIGESTED')"
                    + " FROM outbox d WHERE d.digest_of IS NOT NULL");
                 ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    assertEquals(r.getLong(2), r.getLong(4), "digest " + r.getLong(1) + " counts its members");
                    assertEquals("SENT", r.getString(3));
                    inDigests += r.getLong(4);
                }
            }
            try (PreparedStatement p = db.prepareStatement("SELECT COUNT(*) FROM outbox WHERE state='DIGESTED'"
                    + " AND (digest_id IS NULL OR digest_id NOT IN (SELECT id FROM outbox WHERE digest_of IS NOT NULL))");
                 ResultSet r = p.executeQuery()) {
                r.next();
                assertEquals(0, r.getLong(1), "every digested row names its digest");
            }
            assertEquals(broadcasts, alone + inDigests, "every broadcast sent alone or in one digest");
            return null;
        });
        assertEquals(net.delivered.size(), net.delivered.stream().map(FakeNet.Post::key).distinct().count(),
                "no key reached the network twice");
        long digestLines = net.delivered.stream().filter(p -> p.body().endsWith("; !alerts")).count();
        long broadcastLines = net.delivered.stream().filter(p -> p.key().matches(".*-b\\d+")).count();
        assertEquals(net.delivered.size(), digestLines + broadcastLines);
    }

    @Test
    void aStormOfTenThousandIsTheBudgetThenOneDigestLine() throws Exception {
        FakeNet net = new FakeNet();
        Metrics metrics = new Metrics();
        Outbox o = outbox(net, metrics);
        long t0 = System.nanoTime();
        storm(o, 0, 10_000, i -> broadcast(chan, i, "backup", "error", i % 50 == 0 ? "imap5" : "imap3"));
        long enqueued = System.nanoTime();
        settled(o, chan);
        assertEquals(PER_MINUTE, net.delivered.size(), "the budget, then nothing while it is spent");
        assertEquals("backup error on imap3 #1", net.bodies().get(1), "the first ones go out as they are, in order");
        assertEquals(10_000 - PER_MINUTE, o.pending(List.of(chan)).size());

        clock.plus(Duration.ofSeconds(59));
        o.wake(chan);
        settled(o, chan);
        assertEquals(PER_MINUTE, net.delivered.size(), "no room in the window one second early");

        clock.plus(Duration.ofSeconds(1));
        long collapse = System.nanoTime();
        o.wake(chan);
        OutboxTest.TestWait.until("the digest", () -> net.delivered.size() == PER_MINUTE + 1, T);
        long done = System.nanoTime();
        settled(o, chan);
        System.out.printf("outbox: 10,000 broadcasts enqueued in %d ms; summed up and the digest sent in %d ms%n",
                (enqueued - t0) / 1_000_000, (done - collapse) / 1_000_000);

        String digest = net.bodies().get(PER_MINUTE);
        assertEquals("backup: 9990 more errors in 60s; top: imap3 ×9791, imap5 ×199; !alerts", digest);
        assertTrue(o.pending(List.of(chan)).isEmpty());
        assertEquals(Map.of("SENT", 11L, "DIGESTED", 9990L), states());
        everyRowOnce(net, 10_000);
        String scraped = metrics.scrape();
        assertTrue(scraped.contains("opsbot_lines_sent_total{network=\"fake\"} 11.0"), scraped);
        assertTrue(scraped.contains("opsbot_events_suppressed_total{reason=\"budget\",source=\"backup\"} 9990.0"), scraped);
        assertTrue(scraped.contains("opsbot_outbox_pending{network=\"fake\"} 0.0"), scraped);
    }

    @Test
    void aLongStormIsAtMostTheBudgetInAnySixtySecondsAndLosesNothing() throws Exception {
        FakeNet net = new FakeNet();
        Outbox o = outbox(net, new Metrics());
        String[] groups = {"backup", "backup", "backup", "audit", "cron"};
        String[] sev = {"error", "warning", "critical"};
        int n = 0;
        for (int second = 0; second < 300; second++) { // five minutes, 33 a second
            int from = n;
            storm(o, from, 33, i -> broadcast(chan, i, groups[i % groups.length], sev[i % 3], "imap" + (i % 7)));
            n += 33;
            settled(o, chan);
            clock.plus(Duration.ofSeconds(1));
            o.wake(chan);
        }
        clock.plus(Duration.ofMinutes(2));
        o.wake(chan);
        settled(o, chan);
        assertTrue(o.pending(List.of(chan)).isEmpty(), "everything sent or summed up in the end");
        List<Instant> at = net.delivered.stream().map(FakeNet.Post::at).toList();
        for (Instant start : at) {
            long inWindow = at.stream().filter(x -> !x.isBefore(start) && x.isBefore(start.plusSeconds(60))).count();
            assertTrue(inWindow <= PER_MINUTE, inWindow + " lines in the 60 s from " + start);
        }
        Map<Long, Long> perMinute = new HashMap<>();
        at.forEach(x -> perMinute.merge(x.getEpochSecond() / 60, 1L, Long::sum));
        assertTrue(perMinute.values().stream().allMatch(c -> c <= PER_MINUTE + 1), perMinute.toString());
        assertTrue(net.bodies().stream().anyMatch(b -> b.matches("\\d+ more events in \\d+s: backup \\d+ events \\(.*")),
                net.bodies().toString());
        for (String b : net.bodies()) assertTrue(b.getBytes(StandardCharsets.UTF_8).length <= net.lineBytes, b);
        everyRowOnce(net, n);
    }

    @Test
    void rowsWithoutABudgetPassAHeldStormInTheirOwnOrder() throws Exception {
        FakeNet net = new FakeNet();
        Outbox o = outbox(net, new Metrics());
        // Nothing held yet: broadcasts and direct rows go in the order they were written.
        o.enqueue(broadcast(chan, 0, "backup", "error", "imap3"));
        o.enqueue(Item.of(chan, "d0", Message.plain("incident entry 0")));
        o.enqueue(broadcast(chan, 1, "backup", "error", "imap3"));
        OutboxTest.TestWait.until("three lines", () -> net.delivered.size() == 3, T);
        assertEquals(List.of("backup error on imap3 #0", "incident entry 0", "backup error on imap3 #1"), net.bodies());

        storm(o, 2, 1000, i -> broadcast(chan, i, "backup", "error", "imap3"));
        settled(o, chan);
        assertEquals(PER_MINUTE + 1, net.delivered.size(), "the budget is spent (the direct row did not count)");
        for (int i = 1; i <= 3; i++) o.enqueue(Item.of(chan, "page" + i, Message.plain("alice: page " + i)));
        OutboxTest.TestWait.until("the pages, with the storm still held", () -> net.delivered.size() == PER_MINUTE + 4, T);
        assertEquals(List.of("alice: page 1", "alice: page 2", "alice: page 3"), net.bodies().subList(PER_MINUTE + 1, PER_MINUTE + 4));
        assertEquals(1000 - (PER_MINUTE - 2), o.pending(List.of(chan)).size(), "the storm still waits");

        Target other = new Target("fake", "#other");
        o.enqueue(broadcast(other, 5000, "audit", "warning", "db1"));
        OutboxTest.TestWait.until("another target's broadcast", () -> net.delivered.stream().anyMatch(p -> p.place().equals("#other")), T);

        clock.plus(Duration.ofSeconds(60));
        o.wake(chan);
        settled(o, chan);
        assertTrue(net.bodies().get(net.bodies().size() - 1).startsWith("backup: 992 more errors in 60s"), net.bodies().toString());
    }

    @Test
    void aRestartMidStormLosesAndRepeatsNothing() throws Exception {
        FakeNet net = new FakeNet();
        Outbox first = outbox(net, new Metrics());
        storm(first, 0, 3000, i -> broadcast(chan, i, "backup", "error", "imap" + (i % 3)));
        settled(first, chan);
        first.close();
        assertEquals(PER_MINUTE, net.delivered.size());

        Outbox second = outbox(net, new Metrics()); // the next start, on the same store
        second.attached("fake");
        settled(second, chan);
        assertEquals(PER_MINUTE, net.delivered.size(), "the budget is still spent after the restart");
        clock.plus(Duration.ofSeconds(60));
        second.wake(chan);
        settled(second, chan);
        second.close();

        Outbox third = outbox(net, new Metrics());
        third.attached("fake");
        clock.plus(Duration.ofSeconds(60));
        storm(third, 3000, 500, i -> broadcast(chan, i, "backup", "error", "imap9"));
        settled(third, chan);
        clock.plus(Duration.ofSeconds(60));
        third.wake(chan);
        settled(third, chan);
        assertTrue(third.pending(List.of(chan)).isEmpty());
        assertEquals(List.of("backup: 2990 more errors in 60s; top: imap1 ×997, imap2 ×997, imap0 ×996; !alerts",
                        "backup: 490 more errors in 60s; top: imap9 ×490; !alerts"),
                net.bodies().stream().filter(b -> b.endsWith("!alerts")).toList());
        everyRowOnce(net, 3500);
    }

    @Test
    void aDigestWhoseAnswerWasLostIsShownOnceAcrossARestart() throws Exception {
        FakeNet net = new FakeNet();
        Outbox first = outbox(net, new Metrics());
        storm(first, 0, 100, i -> broadcast(chan, i, "backup", "error", "imap3"));
        settled(first, chan);
        net.landThenFail.set(1); // the digest lands, its answer does not
        clock.plus(Duration.ofSeconds(60));
        first.wake(chan);
        OutboxTest.TestWait.until("the digest's first attempt", () -> net.attempts.size() == PER_MINUTE + 1, T);
        first.close();
        assertEquals(1, first.pending(List.of(chan)).size(), "the digest waits, not sent as far as the store knows");

        Outbox second = outbox(net, new Metrics());
        second.attached("fake");
        OutboxTest.TestWait.until("the digest again", () -> second.pending(List.of(chan)).isEmpty(), T);
        List<FakeNet.Post> digestPosts = net.attempts.stream().filter(p -> p.body().endsWith("!alerts")).toList();
        assertEquals(2, digestPosts.size(), "posted twice");
        assertEquals(digestPosts.get(0).key(), digestPosts.get(1).key(), "with the same key both times");
        assertEquals(1, net.delivered.stream().filter(p -> p.body().endsWith("!alerts")).count(), "shown once");
        everyRowOnce(net, 100);
    }

    @Test
    void aBroadcastIsOneLineCutAtACharacterBoundaryAndADirectRowIsNot() throws Exception {
        FakeNet net = new FakeNet();
        net.lineBytes = 100;
        Outbox o = outbox(net, new Metrics());
        String longText = "first line\n" + "ä€".repeat(100);
        o.enqueue(new Item(chan, "b1", Message.plain(longText), null, null, null, new Item.Budget("x", null, "error", 10)));
        o.enqueue(Item.of(chan, "d1", Message.plain(longText)));
        OutboxTest.TestWait.until("both", () -> net.delivered.size() == 2, T);
        String one = net.bodies().get(0);
        assertFalse(one.contains("\n"));
        assertTrue(one.startsWith("first line ä€"), one);
        assertTrue(one.endsWith("…"), one);
        int bytes = one.getBytes(StandardCharsets.UTF_8).length;
        assertTrue(bytes <= 100 && bytes >= 96, "cut to the line, at a character: " + bytes);
        assertEquals(longText, net.bodies().get(1), "a direct row is the network's to split");
    }

    @Test
    void digestedRowsArePrunedLikeSentOnes() throws Exception {
        FakeNet net = new FakeNet();
        Outbox o = outbox(net, new Metrics());
        storm(o, 0, 50, i -> broadcast(chan, i, "backup", "error", "imap3"));
        settled(o, chan);
        clock.plus(Duration.ofSeconds(60));
        o.wake(chan);
        settled(o, chan);
        assertEquals(Map.of("SENT", 11L, "DIGESTED", 40L), states());
        o.close();
        clock.plus(Duration.ofDays(31));
        assertEquals(51, outbox(net, new Metrics()).forgetOld()); // at start, once the schedule runs (see pruneOn)
        assertEquals(Map.of(), states());
    }

    /** {@code next(target)} reads a few index entries, not every row, with 2,000 sent and 10,000 waiting (H2's plan). */
    @Test
    void theSendersQueriesUseTheirIndexes() throws Exception {
        Outbox o = outbox(new FakeNet(), new Metrics());
        store.transaction("a storm nobody sends", db -> { // no wake-up: no sender races the plan
            for (int i = 0; i < 12_000; i++) {
                if (i == 2_000) clock.plus(Duration.ofSeconds(1));
                o.enqueue(db, broadcast(chan, i, "backup", "error", "imap3"));
            }
            return null;
        });
        store.transaction("make the first ones sent", db -> {
            try (PreparedStatement p = db.prepareStatement("UPDATE outbox SET state='SENT', sent_at=created_at WHERE id <= 2000")) {
                p.executeUpdate();
            }
            return null;
        });
        String first = plan(Outbox.FIRST), window = plan(Outbox.WINDOW);
        assertTrue(first.contains("OUTBOX_LANE") && first.contains("index sorted") && first.contains("scanCount: 2 "), first);
        assertTrue(window.contains("OUTBOX_WINDOW") && window.contains("index sorted") && window.contains("scanCount: 10 "), window);
        long t0 = System.nanoTime();
        for (int i = 0; i < 100; i++) o.next(chan);
        System.out.printf("outbox: next(target) with 10,000 waiting: %.2f ms%n", (System.nanoTime() - t0) / 100 / 1e6);
    }

    private String plan(String sql) {
        return store.transaction("explain", db -> {
            try (PreparedStatement p = db.prepareStatement("EXPLAIN ANALYZE " + sql)) {
                p.setString(1, "fake");
                p.setString(2, "#ops");
                if (sql.contains("lane=?")) {
                    p.setString(3, "budget");
                    p.setInt(4, 2);
                } else {
                    p.setInt(3, 10);
                }
                try (ResultSet r = p.executeQuery()) {
                    r.next();
                    return r.getString(1);
                }
            }
        });
    }
}
