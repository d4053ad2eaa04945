package opsbot.bot.irc;

import org.kitteh.irc.client.library.feature.sending.MessageSendingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Kitteh's sending queue, as opsbot keeps it: an outgoing rate limit, and two classes of lines.
 *
 * <p>The rate limit is a token bucket: {@code rate} lines per second with a burst of the same size. A line
 * that has a token goes out at once on the caller's thread; only lines that must wait are sent later by a
 * timer. Keeps short replies fast and long ones paced, so the bot is never flood-killed.
 *
 * <p>Urgent lines (Kitteh's own, such as JOIN and WHOIS, and short replies: answers, confirmations, results)
 * always go before bulk lines (the rest of long output), so a long listing waiting at the rate limit never
 * holds up someone else's {@code !y}. Within each class lines keep their order; a reply whose first lines are
 * urgent and the rest bulk stays in order too, since urgent lines never wait behind bulk ones.
 *
 * <p>Lines wait while the connection is down and go out once it is up. Both classes are bounded: a line
 * that does not fit is refused ({@link #queueBulk} says so, for the caller to tell the reader).
 *
 * <p>Handed straight to the connection: with a {@link Writer} (opsbot's {@link SocketNetworkHandler}) the lines
 * the bucket allows (and the connection's writer has room for) are handed over on the caller's thread, all
 * that are ready as one write, instead of to Kitteh's immediate sender (a thread of its own, which wakes for
 * every line). Handing over never waits for the socket: no lock here or of Kitteh's is held across a write.
 * Lines the connection never began to write (it ended first) are put back in front, for the next connection;
 * lines whose write failed may or may not have reached the server, and each place they were for is told so
 * once the bot is connected again. Kitteh's own immediate lines (registration, PONG) still go through Kitteh's
 * sender; no protocol step of Kitteh's depends on the order between the two once registered, and before that
 * nothing is sent from here (Kitteh starts this queue when registration is done; and the connection takes
 * nothing from it before Kitteh told it so, see {@link SocketConnection#startPing}, even if Kitteh left this
 * queue running across a reconnect).
 */
final class PacedSender implements MessageSendingQueue {
    private static final Logger log = LoggerFactory.getLogger(PacedSender.class);
    /**
     * Urgent lines beyond {@code maxUrgent} only for the bot's own notices that output was not sent: a reply
     * refused because the queue is full is told in the same queue. Beyond that, notices are counted and told
     * with the next one that fits.
     */
    static final int NOTICE_RESERVE = 16;
    /** How soon to look again when the connection's writer had no room. */
    private static final long RETRY_MICROS = 100_000;

    /** The connection's writer: takes lines as one write without waiting for the socket. */
    interface Writer {
        /**
         * Lines handed over: {@code done} as {@link #write}'s future; {@code writeHere} non-null when the
         * connection's writer was idle and the batch is the caller's to write, on its own thread, outside every
         * lock (it must be run, exactly once).
         */
        record Handed(CompletableFuture<Void> done, Runnable writeHere) {
        }

        /** As {@link #write}, or, when nothing is queued or being written, the caller writes it itself. */
        default Handed claim(List<String> lines) {
            return new Handed(write(lines), null);
        }

        /** How many lines {@link #write} takes now; 0 when not connected. */
        int room();

        /**
         * Hands lines over, to go out in one write; never blocks. The future completes once they were written;
         * fails with {@link SocketConnection.NotWritten} when none of them was, with another error when the
         * write failed (some may have reached the server).
         */
        CompletableFuture<Void> write(List<String> lines);
    }

    private final double rate;
    private final double burst;
    private final int maxUrgent;
    private final int maxBulk;
    private final Queue<String> urgent = new ArrayDeque<>();
    private final Queue<String> bulk = new ArrayDeque<>();
    /** Lines whose writer waits to hear they were handed to the connection (by identity: each is its own String). */
    private final Map<String, CompletableFuture<Void>> tracked = new IdentityHashMap<>();
    private final LongSupplier nanos;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "irc-paced-sender");
        t.setDaemon(true);
        return t;
    });
    /** The connection's writer; null: each line to Kitteh's consumer. */
    private final Writer direct;
    private Consumer<String> consumer;
    private boolean paused = true;
    /** A reply on a virtual thread is being queued (see {@link #queueReply}); guarded by {@code this}. */
    private boolean replying;
    /** The batch that {@link #queueReply}'s caller writes itself once out of the lock; guarded by {@code this}. */
    private Runnable writeHere;
    private boolean drainScheduled;
    private boolean shutDown;
    private double tokens;
    private long last;
    private long droppedUrgent;
    /** Notices that did not fit even the reserve, not told yet. */
    private long untoldNotices;

    PacedSender(double rate, int maxUrgent, int maxBulk) {
        this(rate, maxUrgent, maxBulk, System::nanoTime);
    }

    /** With the clock the bucket refills by (tests: one that moves only when told). */
    PacedSender(double rate, int maxUrgent, int maxBulk, LongSupplier nanos) {
        this(rate, maxUrgent, maxBulk, nanos, null);
    }

    /** Writing through {@code direct} once Kitteh begins sending (see above). */
    PacedSender(double rate, int maxUrgent, int maxBulk, LongSupplier nanos, Writer direct) {
        this.direct = direct;
        this.nanos = nanos;
        this.last = nanos.getAsLong();
        this.rate = rate;
        this.burst = Math.max(1, Math.ceil(rate));
        this.tokens = burst;
        this.maxUrgent = maxUrgent;
        this.maxBulk = maxBulk;
    }

    PacedSender(double rate) {
        this(rate, null);
    }

    PacedSender(double rate, Writer direct) {
        this(rate, 1000, 500, System::nanoTime, direct);
    }

    /** An urgent line (this is what Kitteh calls for every line it sends). */
    @Override
    public synchronized void queue(String message) {
        if (urgent.size() >= maxUrgent) {
            if (droppedUrgent++ % 100 == 0) {
                log.warn("irc: {} urgent lines waiting to be sent; dropped {} so far", urgent.size(), droppedUrgent);
            }
            return;
        }
        urgent.add(message);
        drain();
    }

    /**
     * An urgent line whose sender must know it reached the connection (the outbox marks a row sent only then):
     * the future completes once the line was written to the connection (or handed to Kitteh's writer), fails if that write failed or the queue
     * shut down, and fails at once when the urgent queue is full. See {@link #withdraw} for giving up on it.
     */
    synchronized CompletableFuture<Void> queueTracked(String line) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        if (urgent.size() >= maxUrgent) {
            f.completeExceptionally(new IllegalStateException(urgent.size() + " urgent lines are waiting to be sent"));
            return f;
        }
        tracked.put(line, f);
        urgent.add(line);
        drain();
        return f;
    }

    /** Takes back a tracked line that was not sent yet (its sender gave up waiting); false if it was sent. */
    synchronized boolean withdraw(String line) {
        CompletableFuture<Void> f = tracked.remove(line);
        boolean waiting = urgent.removeIf(l -> l == line);
        if (f != null) f.completeExceptionally(new IllegalStateException("withdrawn"));
        return waiting;
    }

    /**
     * One reply: its first {@code urgent} lines urgent, the rest bulk, sent together (in one write where the
     * bucket allows them all). Returns how many lines were not queued: all of them when its urgent lines do not
     * fit (a reply is never sent without its beginning), else how many of its last lines did not fit the bulk
     * queue.
     *
     * <p>On a virtual thread (the dispatcher's lanes, where replies come from), when the connection's writer is
     * idle, the lines the bucket allows are written by the caller itself once it is out of this lock: a reply
     * then goes out without waking the writer thread (on a small VM a wake-up is a few hundred microseconds of
     * a {@code !ping}). A virtual thread that waits for a socket costs nothing, and a write the server does not
     * take is ended by the connection's stuck-write watch as the writer thread's is: such a lane waits at most
     * {@code Timeouts.stuckWrite} and a second (the watch's period), and only one lane at a time (nothing is
     * claimed while a claimed batch is being written); that person's later lines wait for it. Kitteh's threads,
     * the reader, timers and other platform threads only ever hand lines over. (A virtual thread's first socket
     * write puts the socket in non-blocking mode; the platform reader's reads then poll before they read.)
     */
    int queueReply(List<String> lines, int urgentLines) {
        Runnable mine = null;
        try {
            synchronized (this) {
                replying = Thread.currentThread().isVirtual();
                try {
                    return take(lines, urgentLines);
                } finally {
                    replying = false;
                    mine = writeHere;
                    writeHere = null;
                }
            }
        } finally {
            // Out of every lock, and whatever happened after the claim: a claimed batch not written would hold
            // the connection's writer for good. Its outcome reaches tracked lines and unwritten() as the writer's.
            if (mine != null) {
                mine.run();
            }
        }
    }

    private int take(List<String> lines, int urgentLines) {
        int head = Math.min(urgentLines, lines.size());
        if (urgent.size() + head > maxUrgent) {
            droppedUrgent += head;
            log.warn("irc: {} urgent lines waiting to be sent; a reply of {} lines was not taken", urgent.size(), lines.size());
            return lines.size();
        }
        int dropped = 0;
        for (int i = 0; i < lines.size(); i++) {
            if (i < head) {
                urgent.add(lines.get(i));
            } else if (bulk.size() >= maxBulk) {
                dropped++;
            } else {
                bulk.add(lines.get(i));
            }
        }
        drain();
        return dropped;
    }

    /**
     * A notice that output was not sent, {@code "PRIVMSG target :(…)"}: urgent, and taken even when the urgent
     * queue is full (into {@link #NOTICE_RESERVE}). When even that is full it is counted, and the count is told
     * with the next notice that fits.
     */
    synchronized void queueNotice(String target, String text) {
        if (urgent.size() >= maxUrgent + NOTICE_RESERVE) {
            untoldNotices++;
            log.warn("irc: no room even for the notice to {} that output was not sent ({} such notices not sent)",
                    target, untoldNotices);
            return;
        }
        String more = untoldNotices == 0 ? "" : " (and " + untoldNotices + " more such notices could not be sent)";
        untoldNotices = 0;
        urgent.add("PRIVMSG " + target + " :" + text + more);
        drain();
    }

    /** A bulk line: goes after every urgent line. False (and not queued) when the bulk queue is full. */
    synchronized boolean queueBulk(String message) {
        if (bulk.size() >= maxBulk) {
            return false;
        }
        bulk.add(message);
        drain();
        return true;
    }

    /**
     * Sends what the bucket (and the connection's writer) allows now, urgent lines first; schedules the rest.
     * Called with the lock held: hands lines over, never writes to a socket.
     */
    private void drain() {
        if (paused || consumer == null) {
            return;
        }
        long now = nanos.getAsLong();
        tokens = Math.min(burst, tokens + (now - last) / 1e9 * rate);
        last = now;
        int room = direct != null ? direct.room() : Integer.MAX_VALUE;
        List<String> ready = new ArrayList<>();
        while (tokens >= 1 && ready.size() < room && !(urgent.isEmpty() && bulk.isEmpty())) {
            tokens -= 1;
            ready.add(urgent.isEmpty() ? bulk.poll() : urgent.poll());
        }
        if (direct != null && !ready.isEmpty()) {
            hand(ready);
        } else {
            for (String line : ready) {
                write(List.of(line), () -> consumer.accept(line));
            }
        }
        if (!(urgent.isEmpty() && bulk.isEmpty()) && !drainScheduled && !paused) {
            drainScheduled = true;
            long waitMicros = tokens >= 1 ? RETRY_MICROS : (long) Math.ceil((1 - tokens) / rate * 1e6);
            timer.schedule(this::timed, Math.max(1, waitMicros), TimeUnit.MICROSECONDS);
        }
    }

    /** Hands lines to the connection's writer; tracked lines' writers hear how it went once the writer knows. */
    private void hand(List<String> lines) {
        List<CompletableFuture<Void>> waiting = new ArrayList<>(lines.size());
        for (String line : lines) {
            waiting.add(tracked.remove(line));
        }
        Writer.Handed h = replying && writeHere == null ? direct.claim(lines) : new Writer.Handed(direct.write(lines), null);
        if (h.writeHere() != null) {
            writeHere = h.writeHere(); // at most one claim per queueReply: claimed only while writeHere is null
        }
        h.done().whenComplete((ok, e) -> {
            for (CompletableFuture<Void> f : waiting) {
                if (f != null && e == null) f.complete(null);
                else if (f != null) f.completeExceptionally(e);
            }
            if (e != null) {
                unwritten(lines, waiting, e instanceof java.util.concurrent.CompletionException c ? c.getCause() : e);
            }
        });
    }

    /**
     * Lines the writer did not write. Never begun: put back in front (tracked ones excepted: their writer was
     * told, and tries again itself), as far as the urgent queue has room; those that do not fit were not sent,
     * and each place they were for is told so. A failed write: those lines may or may not have reached the
     * server, so each place they were for is told that. Told once connected again (the sender waits until then).
     */
    private synchronized void unwritten(List<String> lines, List<CompletableFuture<Void>> waiting, Throwable e) {
        List<String> untracked = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (waiting.get(i) == null) untracked.add(lines.get(i));
        }
        if (untracked.isEmpty() || shutDown) {
            return;
        }
        boolean neverBegun = e instanceof SocketConnection.NotWritten;
        if (neverBegun && urgent.size() + untracked.size() <= maxUrgent) {
            List<String> back = new ArrayList<>(untracked);
            back.addAll(urgent);
            urgent.clear();
            urgent.addAll(back);
            return;
        }
        log.warn("irc: {} lines {} ({})", untracked.size(), neverBegun ? "not sent: no room to keep them" : "may not have been sent",
                e.toString());
        java.util.Set<String> targets = new java.util.LinkedHashSet<>();
        for (String line : untracked) {
            String[] w = line.split(" ", 3);
            if (w.length == 3 && (w[0].equals("PRIVMSG") || w[0].equals("NOTICE"))) targets.add(w[1]);
        }
        for (String target : targets) {
            queueNotice(target, neverBegun
                    ? "(some of my last output here was not sent: too much output was waiting when the connection to the server ended)"
                    : "(some of my last output here may not have been sent: the connection to the server failed while writing it)");
        }
    }

    /** Through Kitteh's consumer: writes, and tells the writers of tracked lines whether it worked. */
    private void write(List<String> lines, Runnable how) {
        RuntimeException failed = null;
        try {
            how.run();
        } catch (RuntimeException e) {
            log.warn("irc: write failed: {}", e.toString());
            failed = e;
        }
        for (String line : lines) {
            CompletableFuture<Void> f = tracked.remove(line);
            if (f != null && failed == null) f.complete(null);
            else if (f != null) f.completeExceptionally(failed);
        }
    }

    /** The timer's drain: one pending at a time, however many lines arrive meanwhile. */
    private synchronized void timed() {
        drainScheduled = false;
        drain();
    }

    @Override
    public synchronized void beginSending(Consumer<String> consumer) {
        this.consumer = consumer;
        this.paused = false;
        drain();
    }

    @Override
    public synchronized void pause() {
        paused = true;
    }

    @Override
    public synchronized boolean contains(String message) {
        return urgent.contains(message) || bulk.contains(message);
    }

    @Override
    public synchronized Optional<Consumer<String>> getConsumer() {
        return Optional.ofNullable(consumer);
    }

    /** Stops; hands back what was not sent, urgent lines first. */
    @Override
    public synchronized Queue<String> shutdown() {
        paused = true;
        shutDown = true;
        timer.shutdownNow();
        Queue<String> rest = new ArrayDeque<>(urgent);
        rest.addAll(bulk);
        urgent.clear();
        bulk.clear();
        tracked.values().forEach(f -> f.completeExceptionally(new IllegalStateException("the connection's queue shut down")));
        tracked.clear();
        return rest;
    }
}
