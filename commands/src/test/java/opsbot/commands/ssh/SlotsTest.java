package opsbot.commands.ssh;

import opsbot.config.Kind;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

class SlotsTest {
    private static final Duration LONG = Duration.ofSeconds(10);

    @Test
    void readsCannotTakeTheReservedSlotsChangesCan() {
        Slots s = new Slots(4, 2);
        assertTrue(s.tryTake(Kind.READ));
        assertTrue(s.tryTake(Kind.READ));
        assertFalse(s.tryTake(Kind.READ), "the last two are for changes");
        assertTrue(s.tryTake(Kind.CHANGE));
        assertTrue(s.tryTake(Kind.CHANGE));
        assertFalse(s.tryTake(Kind.CHANGE), "all four in use");
        assertEquals(4, s.inUse());
    }

    @Test
    void aReadWaitingTooLongIsToldNoAndHoldsNothing() throws Exception {
        Slots s = new Slots(2, 1);
        assertTrue(s.tryTake(Kind.READ));
        assertFalse(s.take(Kind.READ, Duration.ofMillis(50)));
        assertEquals(1, s.inUse());
        assertEquals(0, s.waiting());
        assertTrue(s.take(Kind.CHANGE, Duration.ofMillis(50)), "the reserved one is free for a change");
    }

    @Test
    void waitingChangesGoFirstThenReadsInOrder() throws Exception {
        Slots s = new Slots(1, 0);
        assertTrue(s.tryTake(Kind.READ));
        List<String> order = new CopyOnWriteArrayList<>();
        List<Thread> threads = new java.util.ArrayList<>();
        for (String who : List.of("read1", "read2", "change1", "read3", "change2")) {
            Kind kind = who.startsWith("change") ? Kind.CHANGE : Kind.READ;
            int before = s.waiting();
            Thread t = Thread.ofVirtual().start(() -> {
                try {
                    assertTrue(s.take(kind, LONG));
                    order.add(who);
                    s.release();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
            threads.add(t);
            await(() -> s.waiting() == before + 1); // queued in this order
        }
        s.release();
        for (Thread t : threads) {
            assertTrue(t.join(LONG));
        }
        assertEquals(List.of("change1", "change2", "read1", "read2", "read3"), order);
        assertEquals(0, s.inUse());
    }

    @Test
    void aReadDoesNotJumpAheadOfAWaitingChange() throws Exception {
        Slots s = new Slots(2, 0);
        assertTrue(s.tryTake(Kind.CHANGE));
        assertTrue(s.tryTake(Kind.CHANGE));
        CountDownLatch changed = new CountDownLatch(1);
        Thread.ofVirtual().start(() -> {
            try {
                if (s.take(Kind.CHANGE, LONG)) changed.countDown();
            } catch (InterruptedException ignored) {
            }
        });
        await(() -> s.waiting() == 1);
        assertFalse(s.tryTake(Kind.READ), "a change is waiting");
        s.release();
        assertTrue(changed.await(10, TimeUnit.SECONDS));
    }

    @Test
    void aLowerLimitMakesTheNextOnesWait() throws Exception {
        Slots s = new Slots(8, 0);
        assertTrue(s.tryTake(Kind.READ));
        assertTrue(s.tryTake(Kind.READ));
        s.limitTo(2);
        assertEquals(2, s.capacity());
        assertFalse(s.take(Kind.READ, Duration.ofMillis(30)));
        s.release();
        assertTrue(s.take(Kind.READ, Duration.ofMillis(30)));
        s.limitTo(0);
        assertEquals(1, s.capacity(), "never below one");
    }

    @Test
    void aLimitOfOneLeavesNothingToReserve() throws Exception {
        Slots s = new Slots(4, 1);
        s.limitTo(2);
        assertEquals(2, s.capacity());
        assertTrue(s.tryTake(Kind.READ));
        assertFalse(s.tryTake(Kind.READ), "one of two is still for changes");
        s.release();
        s.limitTo(1);
        assertEquals(1, s.capacity());
        assertTrue(s.take(Kind.READ, Duration.ofMillis(30)), "reads and changes share the only one");
        assertFalse(s.tryTake(Kind.CHANGE));
    }

    @Test
    void nonsenseIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Slots(0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Slots(2, 2));
        assertThrows(IllegalStateException.class, () -> new Slots(1, 0).release());
    }

    static void await(java.util.function.BooleanSupplier done) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > end) throw new AssertionError("did not happen within 10s");
            Thread.sleep(5);
        }
    }
}
