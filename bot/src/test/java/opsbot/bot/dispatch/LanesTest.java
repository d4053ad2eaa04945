package opsbot.bot.dispatch;

import opsbot.bot.testkit.TestEnv;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.*;

class LanesTest {
    /** An item: whose lane it is in, and what it says. */
    record Item(String who, String text) {
    }

    private static final long WAIT_S = 10;

    @Test
    void aBlockedLaneDoesNotDelayAnotherPerson() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        BlockingQueue<String> done = new LinkedBlockingQueue<>();
        Thread submitter = Thread.currentThread();
        List<Thread> workers = new CopyOnWriteArrayList<>();
        Consumer<Item> work = i -> {
            workers.add(Thread.currentThread());
            if (i.text().equals("slow")) {
                stuck(release);
            }
            done.add(i.who() + " " + i.text());
        };
        try (Lanes<Item> lanes = new Lanes<>(4, 100, Item::who, work, i -> true)) {
            lanes.submit(new Item("alice", "slow")); // blocks alice's lane until released
            lanes.submit(new Item("alice", "after"));
            lanes.submit(new Item("bob", "ping"));
            assertEquals("bob ping", done.poll(WAIT_S, TimeUnit.SECONDS), "bob is answered while alice's lane is blocked");
            assertNull(done.poll(200, TimeUnit.MILLISECONDS), "alice's second line waits behind her first");
            release.countDown();
            assertEquals("alice slow", done.poll(WAIT_S, TimeUnit.SECONDS));
            assertEquals("alice after", done.poll(WAIT_S, TimeUnit.SECONDS));
            assertTrue(lanes.awaitIdle(Duration.ofSeconds(WAIT_S)));
        }
        assertFalse(workers.contains(submitter), "work never runs on the submitting (I/O) thread");
    }

    @Test
    void onePersonsLinesKeepTheirOrder() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        try (Lanes<Item> lanes = new Lanes<>(1000, 10_000, Item::who, i -> {
            if (i.text().endsWith("0")) Thread.yield(); // vary the pace a little
            seen.add(i.who() + " " + i.text());
        }, i -> true)) {
            for (int n = 0; n < 500; n++) {
                lanes.submit(new Item("alice", Integer.toString(n)));
                lanes.submit(new Item("bob", Integer.toString(n)));
            }
            assertTrue(lanes.awaitIdle(Duration.ofSeconds(WAIT_S)));
        }
        for (String who : List.of("alice", "bob")) {
            List<String> mine = new ArrayList<>();
            for (String s : seen) if (s.startsWith(who + " ")) mine.add(s.substring(who.length() + 1));
            List<String> expected = new ArrayList<>();
            for (int n = 0; n < 500; n++) expected.add(Integer.toString(n));
            assertEquals(expected, mine, who + "'s lines in the order they were said");
        }
    }

    @Test
    void overflowOfOneLaneIsToldOnceAndTheRestStillRuns() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        List<String> done = new CopyOnWriteArrayList<>();
        List<String> told = new CopyOnWriteArrayList<>();
        CountDownLatch started = new CountDownLatch(1);
        Consumer<Item> work = i -> {
            started.countDown();
            stuck(release);
            done.add(i.who() + " " + i.text());
        };
        try (Lanes<Item> lanes = new Lanes<>(2, 100, Item::who, work, i -> told.add(i.who() + " " + i.text()))) {
            lanes.submit(new Item("alice", "1"));
            assertTrue(started.await(WAIT_S, TimeUnit.SECONDS));
            lanes.submit(new Item("alice", "2"));
            lanes.submit(new Item("alice", "3")); // two wait behind the one in work: the bound
            lanes.submit(new Item("alice", "4"));
            lanes.submit(new Item("alice", "5"));
            lanes.submit(new Item("bob", "1"));
            assertEquals(List.of("alice 4"), told, "the first line over the bound is answered; later ones only counted");
            release.countDown();
            assertTrue(lanes.awaitIdle(Duration.ofSeconds(WAIT_S)));
        }
        assertTrue(done.containsAll(List.of("alice 1", "alice 2", "alice 3", "bob 1")), done.toString());
        assertEquals(4, done.size(), done.toString());
    }

    @Test
    void overflowOfAllLanesIsTold() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        List<String> told = new CopyOnWriteArrayList<>();
        Consumer<Item> work = i -> stuck(release);
        try (Lanes<Item> lanes = new Lanes<>(10, 3, Item::who, work, i -> told.add(i.who()))) {
            for (String who : List.of("a", "b", "c", "d", "e")) lanes.submit(new Item(who, "x"));
            assertEquals(List.of("d"), told, "the first item beyond the overall bound is answered, once");
            release.countDown();
            assertTrue(lanes.awaitIdle(Duration.ofSeconds(WAIT_S)));
            lanes.submit(new Item("f", "x"));
            assertTrue(lanes.awaitIdle(Duration.ofSeconds(WAIT_S)));
            assertEquals(List.of("d"), told, "room again: taken");
        }
    }

    @Test
    void anOverflowNotWorthAnsweringLeavesTheNextOneToBeAnswered() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        List<String> told = new CopyOnWriteArrayList<>();
        Consumer<Item> work = i -> stuck(release);
        // Only commands ("!…") are worth an answer; plain chat over the bound is only counted.
        try (Lanes<Item> lanes = new Lanes<>(1, 100, Item::who, work,
                i -> i.text().startsWith("!") && told.add(i.text()))) {
            lanes.submit(new Item("alice", "!slow"));
            lanes.submit(new Item("alice", "!waits"));
            lanes.submit(new Item("alice", "just chatting"));
            lanes.submit(new Item("alice", "!ping"));
            lanes.submit(new Item("alice", "!again"));
            assertEquals(List.of("!ping"), told);
            release.countDown();
        }
    }

    @Test
    void aFailingItemDoesNotStopItsLane() throws Exception {
        List<String> done = new CopyOnWriteArrayList<>();
        try (Lanes<Item> lanes = new Lanes<>(10, 100, Item::who, i -> {
            if (i.text().equals("boom")) throw new IllegalStateException("boom");
            done.add(i.text());
        }, i -> true)) {
            lanes.submit(new Item("alice", "boom"));
            lanes.submit(new Item("alice", "next"));
            assertTrue(lanes.awaitIdle(Duration.ofSeconds(WAIT_S)));
        }
        assertEquals(List.of("next"), done);
    }

    /**
     * A reader that may wait (Matrix, catching up on a gap) is held back only at the total bound: nothing it read
     * is turned away, one person's full lane does not hold up another person's lines, and order is kept.
     */
    @Test
    void putWaitsOnlyAtTheTotalBoundAndTurnsNothingAway() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        List<String> done = new CopyOnWriteArrayList<>();
        List<Item> told = new CopyOnWriteArrayList<>();
        try (Lanes<Item> lanes = new Lanes<>(2, 40, Item::who, i -> {
            if (i.who().equals("alice") && i.text().equals("0")) {
                stuck(release);
            }
            done.add(i.who() + " " + i.text());
        }, i -> told.add(i))) {
            CountDownLatch allPut = new CountDownLatch(1);
            Thread reader = Thread.ofVirtual().start(() -> {
                for (int n = 0; n < 30; n++) lanes.put(new Item("alice", Integer.toString(n))); // past her lane's 2
                lanes.put(new Item("bob", "ping"));
                for (int n = 30; n < 60; n++) lanes.put(new Item("alice", Integer.toString(n))); // past the total 40
                allPut.countDown();
            });
            TestEnv.await("bob's line worked on while alice's lane is stuck", () -> done.contains("bob ping"), Duration.ofSeconds(WAIT_S));
            TestEnv.await("the reader waits at the total bound", () -> reader.getState() == Thread.State.WAITING, Duration.ofSeconds(WAIT_S));
            assertEquals(1, allPut.getCount(), "the reader is held back at the total bound, not let through");
            release.countDown();
            assertTrue(allPut.await(WAIT_S, TimeUnit.SECONDS), "the reader got room as the lanes drained");
            assertTrue(lanes.awaitIdle(Duration.ofSeconds(WAIT_S)));
        }
        List<String> expected = new ArrayList<>();
        for (int n = 0; n < 60; n++) expected.add("alice " + n);
        assertEquals(expected, done.stream().filter(d -> d.startsWith("alice ")).toList(), "all 60 lines, in order");
        assertEquals(List.of(), told, "none turned away");
    }

    /** Work that is stuck until {@code release} (an interrupt ends it too). */
    private static void stuck(CountDownLatch release) {
        try {
            release.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
