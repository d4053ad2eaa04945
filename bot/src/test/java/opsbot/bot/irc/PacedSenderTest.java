package opsbot.bot.irc;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.*;

class PacedSenderTest {
    /** The bucket's clock moves only when the test says so: nothing here depends on the machine's speed. */
    private final java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong();

    private static void await(String what, java.util.function.BooleanSupplier ok) throws InterruptedException {
        long end = System.nanoTime() + 10_000_000_000L;
        while (!ok.getAsBoolean()) {
            if (System.nanoTime() > end) fail(what + " did not happen within 10 s");
            Thread.sleep(5);
        }
    }

    @Test
    void burstGoesOutAtOnceTheRestIsPacedInOrder() throws Exception {
        List<String> sent = new CopyOnWriteArrayList<>();
        PacedSender s = new PacedSender(10, 1000, 500, now::get); // 10 lines/s, burst 10
        s.beginSending(sent::add);
        for (int i = 0; i < 15; i++) s.queue("line " + i);
        assertEquals(10, sent.size(), "the burst is sent inline, before queue() returns");
        now.addAndGet(250_000_000L); // a quarter second: two and a half tokens
        await("two more lines", () -> sent.size() == 12);
        s.queue("line 15"); // still no whole token: waits its turn
        assertEquals(12, sent.size(), "nothing beyond what the bucket allows");
        now.addAndGet(350_000_000L); // three and a half more tokens: the remaining four lines
        await("the rest", () -> sent.size() == 16);
        for (int i = 0; i < 16; i++) assertEquals("line " + i, sent.get(i));
        s.shutdown();
    }

    /** An outbox post learns its line reached the connection, or that it did not; a withdrawn line is not sent. */
    @Test
    void aTrackedLineCompletesOnlyOnceWritten() throws Exception {
        List<String> sent = new CopyOnWriteArrayList<>();
        PacedSender s = new PacedSender(1, 1000, 500, now::get); // burst 1
        var early = s.queueTracked("PRIVMSG #incidents :before connecting");
        assertFalse(early.isDone(), "not connected: waiting, not written");
        s.beginSending(sent::add);
        assertTrue(early.isDone() && !early.isCompletedExceptionally(), "written as sending began");
        String line = "PRIVMSG #incidents :[INC-1] entry";
        var waiting = s.queueTracked(line); // no token left
        assertFalse(waiting.isDone(), "still waiting at the rate limit");
        assertTrue(s.withdraw(line), "taken back while unsent");
        assertTrue(waiting.isCompletedExceptionally());
        now.addAndGet(2_000_000_000L);
        s.queue("PRIVMSG #ops :next");
        await("the next line", () -> sent.size() == 2);
        assertEquals(List.of("PRIVMSG #incidents :before connecting", "PRIVMSG #ops :next"), sent, "the withdrawn line never went out");
        var cut = s.queueTracked("PRIVMSG #incidents :cut off");
        s.shutdown();
        assertTrue(cut.isCompletedExceptionally(), "a shut-down queue fails what it still held");
    }

    @Test
    void pausedQueueKeepsLinesUntilSendingBegins() {
        List<String> sent = new CopyOnWriteArrayList<>();
        PacedSender s = new PacedSender(10);
        s.queue("JOIN #ops");
        assertTrue(s.contains("JOIN #ops"));
        s.beginSending(sent::add);
        assertEquals(List.of("JOIN #ops"), sent);
        s.pause();
        s.queue("PRIVMSG #ops :hi");
        assertEquals(1, sent.size());
        assertEquals(List.of("PRIVMSG #ops :hi"), List.copyOf(s.shutdown()), "shutdown hands back what was not sent");
    }

    /** A short answer queued after a long output overtakes the output's waiting tail; each keeps its order. */
    @Test
    void urgentLinesOvertakeWaitingBulkLines() throws Exception {
        List<String> sent = new CopyOnWriteArrayList<>();
        PacedSender s = new PacedSender(1000, 100, 100);
        s.queue("PRIVMSG #ops :JOIN-like line before sending begins");
        for (int i = 0; i < 5; i++) assertTrue(s.queueBulk("bulk " + i));
        s.queue("urgent 0");
        s.queue("urgent 1");
        s.beginSending(sent::add); // everything waiting goes now, in priority order
        assertEquals(List.of("PRIVMSG #ops :JOIN-like line before sending begins", "urgent 0", "urgent 1",
                "bulk 0", "bulk 1", "bulk 2", "bulk 3", "bulk 4"), sent);
        s.shutdown();
    }

    @Test
    void whilePacedAConfirmationGoesBeforeTheRestOfALongOutput() throws Exception {
        List<String> sent = new CopyOnWriteArrayList<>();
        PacedSender s = new PacedSender(1); // burst 1, then one line a second: nothing else is sent meanwhile
        s.beginSending(sent::add);
        s.queue("result 0");
        for (int i = 1; i < 5; i++) assertTrue(s.queueBulk("result " + i));
        s.queue("confirm with !y within 60s");
        long end = System.nanoTime() + 10_000_000_000L;
        while (sent.size() < 2 && System.nanoTime() < end) Thread.sleep(5);
        java.util.Queue<String> unsent = s.shutdown();
        assertEquals(List.of("result 0", "confirm with !y within 60s"), sent.subList(0, 2),
                "the next line after the burst is the urgent one");
        List<String> rest = new java.util.ArrayList<>(sent.subList(2, sent.size()));
        rest.addAll(unsent);
        assertEquals(List.of("result 1", "result 2", "result 3", "result 4"), rest, "the long output, in its order");
    }

    @Test
    void theBulkQueueIsBoundedAndShutdownHandsBackUrgentFirst() {
        PacedSender s = new PacedSender(10, 100, 2);
        assertTrue(s.queueBulk("b0"));
        assertTrue(s.queueBulk("b1"));
        assertFalse(s.queueBulk("b2"), "full: refused, for the caller to say so");
        s.queue("u0");
        assertEquals(List.of("u0", "b0", "b1"), List.copyOf(s.shutdown()));
    }

    /** A connection's writer for tests: records each hand-over; completes it as {@code result} says. */
    private static class FakeWriter implements PacedSender.Writer {
        final List<List<String>> writes = new CopyOnWriteArrayList<>();
        final List<CompletableFuture<Void>> pending = new CopyOnWriteArrayList<>();
        volatile int room = Integer.MAX_VALUE;
        volatile boolean complete = true;

        @Override
        public int room() {
            return room;
        }

        @Override
        public CompletableFuture<Void> write(List<String> lines) {
            writes.add(List.copyOf(lines));
            CompletableFuture<Void> f = new CompletableFuture<>();
            pending.add(f);
            if (complete) f.complete(null);
            return f;
        }
    }

    /** With opsbot's own connection: what the bucket allows of a reply is one hand-over to the writer. */
    @Test
    void aReplyGoesOutInOneWriteAsFarAsTheBucketAllows() throws Exception {
        FakeWriter w = new FakeWriter();
        List<List<String>> writes = w.writes;
        PacedSender s = new PacedSender(3, 1000, 2, now::get, w); // 3 lines/s, burst 3, two bulk lines may wait
        s.queue("PING early");
        assertTrue(writes.isEmpty(), "nothing before Kitteh begins sending");
        s.beginSending(line -> fail("written through Kitteh's sender instead of directly: " + line));
        assertEquals(List.of(List.of("PING early")), writes);
        assertEquals(0, s.queueReply(List.of("a", "b", "c"), 2));
        assertEquals(List.of("a", "b"), writes.get(1), "two tokens left: two lines, in one write");
        assertEquals(1, s.queueReply(List.of("d", "e"), 0), "c waits in the bulk queue, which holds two lines: e is refused");
        now.addAndGet(1_000_000_000L);
        await("the rest", () -> writes.size() == 3);
        assertEquals(List.of("c", "d"), writes.get(2), "the rest of the first reply, then the second's, in order and together");
        s.shutdown();
    }

    @Test
    void aFailedDirectWriteFailsTheTrackedLinesInIt() {
        FakeWriter w = new FakeWriter();
        w.complete = false;
        PacedSender s = new PacedSender(10, 1000, 500, now::get, w);
        s.beginSending(line -> { });
        var f = s.queueTracked("PRIVMSG #incidents :entry");
        assertFalse(f.isDone(), "handed over, not written yet: the outbox waits");
        w.pending.get(0).completeExceptionally(new java.io.UncheckedIOException(new java.io.IOException("reset")));
        assertTrue(f.isCompletedExceptionally(), "the outbox must not mark it sent");
        s.shutdown();
    }

    /**
     * A write in progress holds no lock here: while the writer has not finished (a server that reads nothing),
     * other threads still queue and hand over; and only as many lines as the writer has room for are handed.
     */
    @Test
    void handingOverNeverWaitsForTheWriteAndRespectsTheWritersRoom() throws Exception {
        FakeWriter w = new FakeWriter();
        w.complete = false; // every write "stuck"
        w.room = 3;
        PacedSender s = new PacedSender(100, 1000, 500, now::get, w);
        s.beginSending(line -> { });
        s.queueReply(List.of("a", "b"), 4);
        Thread other = Thread.ofPlatform().start(() -> s.queue("c"));
        other.join(5_000);
        assertFalse(other.isAlive(), "a second sender was held up by a write in progress");
        assertEquals(List.of(List.of("a", "b"), List.of("c")), w.writes);
        w.room = 1;
        s.queueReply(List.of("d", "e"), 4);
        assertEquals(List.of("d"), w.writes.get(2), "one line of room: one line handed over");
        w.room = 10;
        await("the rest once the writer has room", () -> w.writes.size() == 4);
        assertEquals(List.of("e"), w.writes.get(3));
        s.shutdown();
    }

    /**
     * A reply queued on a virtual thread (a lane) while the writer is idle is written by that thread itself, once
     * it holds no lock of the sender's, exactly once and before queueReply returns; a reply queued on a platform
     * thread (Kitteh's, a timer's, the outbox's) is only ever handed over; and so is everything while a claimed
     * batch is still being written (its writer waits behind it).
     */
    @Test
    void onlyALanesReplyIsWrittenByItsOwnThreadAndNeverUnderTheSendersLock() throws Exception {
        List<String> events = new CopyOnWriteArrayList<>();
        java.util.concurrent.atomic.AtomicReference<PacedSender> sender = new java.util.concurrent.atomic.AtomicReference<>();
        FakeWriter w = new FakeWriter() {
            @Override
            public Handed claim(List<String> lines) {
                CompletableFuture<Void> done = new CompletableFuture<>();
                return new Handed(done, () -> {
                    events.add("claimed " + lines + (Thread.holdsLock(sender.get()) ? " UNDER THE LOCK" : "")
                            + (Thread.currentThread().isVirtual() ? " on the lane" : " elsewhere"));
                    done.complete(null);
                });
            }
        };
        PacedSender s = new PacedSender(100, 1000, 500, now::get, w);
        sender.set(s);
        s.beginSending(line -> { });
        Thread lane = Thread.ofVirtual().start(() -> {
            s.queueReply(List.of("a", "b"), 4);
            events.add("returned");
        });
        lane.join(10_000);
        assertEquals(List.of("claimed [a, b] on the lane", "returned"), events);
        assertTrue(w.writes.isEmpty(), "the lane's reply was handed to the writer as well");

        Thread platform = Thread.ofPlatform().start(() -> s.queueReply(List.of("c"), 4));
        platform.join(10_000);
        assertEquals(List.of(List.of("c")), w.writes, "a platform thread's reply must only be handed over");
        assertEquals(2, events.size());
        s.shutdown();
    }

    /** Lines the connection never began to write come back in front, in their order, for the next connection. */
    @Test
    void linesTheConnectionNeverWroteGoOutOnTheNextOneInOrder() throws Exception {
        FakeWriter w = new FakeWriter();
        w.complete = false;
        PacedSender s = new PacedSender(100, 1000, 500, now::get, w);
        s.beginSending(line -> { });
        s.queueReply(List.of("a", "b"), 4);
        s.queueReply(List.of("c"), 4);
        s.pause(); // the connection ended
        s.queue("d");
        // The connection's writer fails what it never began, the latest first (see SocketConnection).
        w.pending.get(1).completeExceptionally(new SocketConnection.NotWritten("the connection ended first"));
        w.pending.get(0).completeExceptionally(new SocketConnection.NotWritten("the connection ended first"));
        w.complete = true;
        s.beginSending(line -> { });
        assertEquals(List.of("a", "b", "c", "d"), w.writes.get(2), "in their order, before what came after");
        s.shutdown();
    }

    /** A write that failed part way: the place it was for hears that some output may be missing. */
    @Test
    void aFailedWriteIsToldToThePlaceItWasFor() throws Exception {
        FakeWriter w = new FakeWriter();
        w.complete = false;
        PacedSender s = new PacedSender(100, 1000, 500, now::get, w);
        s.beginSending(line -> { });
        s.queueReply(List.of("PRIVMSG #ops :a", "PRIVMSG #ops :b"), 4);
        s.pause();
        w.pending.get(0).completeExceptionally(new java.io.UncheckedIOException(new java.io.IOException("reset")));
        w.complete = true;
        s.beginSending(line -> { });
        assertTrue(w.writes.get(1).get(0).startsWith("PRIVMSG #ops :(some of my last output here may not have been sent"), w.writes.toString());
        s.shutdown();
    }

    /** A reply whose first lines do not fit is not sent at all (never its tail without its beginning). */
    @Test
    void aReplyWhoseUrgentLinesDoNotFitIsRefusedWhole() {
        PacedSender s = new PacedSender(10, 3, 100);
        s.queue("u0");
        s.queue("u1");
        assertEquals(4, s.queueReply(List.of("a", "b", "c", "d"), 2), "all four refused");
        assertEquals(List.of("u0", "u1"), List.copyOf(s.shutdown()), "no tail without its beginning");
    }

    /**
     * A reply refused because the urgent queue is full is still told: the notice has room of its own. When even
     * that is full, the notices not sent are counted and told with the next one.
     */
    @Test
    void theNoticeOfARefusedReplyHasRoomEvenWhenTheQueueIsFull() {
        PacedSender s = new PacedSender(10, 3, 100);
        for (int i = 0; i < 3; i++) s.queue("u" + i);
        assertEquals(2, s.queueReply(List.of("a", "b"), 2));
        s.queueNotice("#ops", "(this output of 2 lines was not sent)");
        assertEquals(List.of("u0", "u1", "u2", "PRIVMSG #ops :(this output of 2 lines was not sent)"), List.copyOf(s.shutdown()));

        PacedSender full = new PacedSender(10, 3, 100, now::get); // a burst of 10, then the clock stands still
        for (int i = 0; i < 3; i++) full.queue("u" + i);
        for (int i = 0; i < PacedSender.NOTICE_RESERVE + 2; i++) full.queueNotice("#ops", "(n" + i + ")");
        assertTrue(full.contains("PRIVMSG #ops :(n" + (PacedSender.NOTICE_RESERVE - 1) + ")"));
        assertFalse(full.contains("PRIVMSG #ops :(n" + PacedSender.NOTICE_RESERVE + ")"), "the reserve, no more");
        List<String> sent = new CopyOnWriteArrayList<>();
        full.beginSending(sent::add); // ten go out: room again
        assertEquals(10, sent.size());
        full.queueNotice("#ops", "(last)");
        List<String> rest = List.copyOf(full.shutdown());
        assertEquals("PRIVMSG #ops :(last) (and 2 more such notices could not be sent)", rest.get(rest.size() - 1));
    }

    /** Never begun and no room to put them back: those lines certainly were not sent, and the place hears so. */
    @Test
    void linesNeverWrittenThatCannotBePutBackAreToldAsNotSent() throws Exception {
        FakeWriter w = new FakeWriter();
        w.complete = false;
        PacedSender s = new PacedSender(100, 2, 500, now::get, w);
        s.beginSending(line -> { });
        s.queueReply(List.of("PRIVMSG #ops :a", "PRIVMSG #ops :b"), 2);
        s.pause();
        s.queue("c");
        s.queue("d"); // the urgent queue is full again: a and b do not fit back
        w.pending.get(0).completeExceptionally(new SocketConnection.NotWritten("the connection ended first"));
        w.complete = true;
        s.beginSending(line -> { });
        List<String> out = w.writes.stream().flatMap(List::stream).toList();
        assertTrue(out.contains("PRIVMSG #ops :(some of my last output here was not sent: too much output was waiting when the"
                + " connection to the server ended)"), out.toString());
        assertFalse(out.stream().anyMatch(l -> l.contains("may not have been sent")), out.toString());
        s.shutdown();
    }
}
