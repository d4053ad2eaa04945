package opsbot.bot.intake;

import opsbot.bot.alerts.Event;
import opsbot.bot.alerts.Folder;
import opsbot.bot.store.Store;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import static opsbot.bot.store.Sql.cut;
import static opsbot.bot.store.Sql.odt;

/**
 * The append-only table {@code events}, written by one writer with group commit: requests queue their events
 * (a bounded queue; full is "busy", never an unbounded wait), the writer takes everything waiting and stores it
 * in ONE transaction, each event followed by {@link Folder#fold} for it, then completes every request. The store
 * has one serialised connection, so eight senders at once cost one commit, not eight.
 *
 * <p>A failed transaction stores none of its events; each request in it is then tried alone, so one event the
 * folder cannot take fails its own request only. A request is answered 2xx only after its commit.
 */
public final class EventLog implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EventLog.class);
    /** Events in one transaction at most (a single larger request still goes in one, alone). */
    static final int MAX_PER_COMMIT = 2000;
    private static final int WAITING = 0, TAKEN = 1, ABANDONED = 2;

    private final Store store;
    private final Folder folder;
    private final Clock clock;
    private final BlockingQueue<Pending> queue;
    private final Thread writer;
    private volatile boolean closing;

    /** One request's events on their way to the store. */
    static final class Pending {
        final List<Event> events;
        final CompletableFuture<List<Long>> done = new CompletableFuture<>();
        final AtomicInteger state = new AtomicInteger(WAITING);

        Pending(List<Event> events) {
            this.events = List.copyOf(events);
        }
    }

    EventLog(Store store, Folder folder, Clock clock, int queueSize) {
        this.store = store;
        this.folder = folder;
        this.clock = clock;
        this.queue = new ArrayBlockingQueue<>(queueSize);
        this.writer = Thread.ofPlatform().name("intake-writer").daemon().start(this::run);
    }

    /** Queues a request's events; null when the queue is full (or closing): the caller answers 503. */
    Pending offer(List<Event> events) {
        Pending p = new Pending(events);
        return !closing && queue.offer(p) ? p : null;
    }

    /**
     * The stored events' ids once committed. After {@code max} without the writer taking the request, it is
     * withdrawn (never stored) and refused; once taken, its transaction is waited for, as that ends.
     */
    List<Long> await(Pending p, Duration max) throws Rejected, InterruptedException {
        try {
            try {
                return p.done.get(max.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                if (p.state.compareAndSet(WAITING, ABANDONED)) {
                    throw new Rejected(503, "busy", "the store did not take the events within " + max.toSeconds()
                            + "s; nothing was stored, try again", null, 5);
                }
                return p.done.get(); // its transaction is running: its end is the answer
            }
        } catch (ExecutionException e) {
            throw new Rejected(503, "store", "the events could not be stored (logged); nothing was stored, try again",
                    null, 5);
        }
    }

    private void run() {
        List<Pending> batch = new ArrayList<>();
        while (!closing || !queue.isEmpty()) {
            try {
                Pending first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) continue;
                batch.clear();
                int n = take(first, batch, 0);
                for (Pending next; (next = queue.peek()) != null && n + next.events.size() <= MAX_PER_COMMIT; ) {
                    n = take(queue.poll(), batch, n);
                }
                if (!batch.isEmpty()) write(batch);
            } catch (InterruptedException e) {
                if (!closing) log.warn("intake: the event writer was interrupted; stopping");
                failAll(queue, "the intake is stopping");
                return;
            } catch (RuntimeException | Error e) {
                // write() completes its requests; go on (an Error too: a dead writer would leave every sender waiting)
                log.error("intake: the event writer failed", e);
                for (Pending p : batch) p.done.completeExceptionally(e);
            }
        }
    }

    private static int take(Pending p, List<Pending> batch, int n) {
        if (p.state.compareAndSet(WAITING, TAKEN)) {
            batch.add(p);
            return n + p.events.size();
        }
        return n; // withdrawn by a sender that gave up waiting
    }

    private void write(List<Pending> batch) {
        try {
            List<List<Long>> ids = store("store " + batch.size() + " requests' events", batch);
            for (int i = 0; i < batch.size(); i++) batch.get(i).done.complete(ids.get(i));
        } catch (RuntimeException e) {
            if (batch.size() == 1) {
                log.error("intake: cannot store {} events; answered 503", batch.get(0).events.size(), e);
                batch.get(0).done.completeExceptionally(e);
                return;
            }
            // Nothing of the batch was stored: try each request alone, so one bad request fails only itself.
            for (Pending p : batch) write(List.of(p));
        }
    }

    private List<List<Long>> store(String what, List<Pending> batch) {
        return store.transaction(what, db -> {
            List<List<Long>> out = new ArrayList<>(batch.size());
            try (PreparedStatement insert = db.prepareStatement(INSERT, Statement.RETURN_GENERATED_KEYS)) {
                for (Pending p : batch) {
                    List<Long> ids = new ArrayList<>(p.events.size());
                    for (Event e : p.events) {
                        long id = insert(insert, e);
                        folder.fold(db, id, e);
                        ids.add(id);
                    }
                    out.add(ids);
                }
            }
            return out;
        });
    }

    private static final String INSERT = "INSERT INTO events (received_at, source, format, action, severity, alert_key,"
            + " host, summary, details, happened_at) VALUES (?,?,?,?,?,?,?,?,?,?)";

    private long insert(PreparedStatement p, Event e) throws SQLException {
        p.setObject(1, odt(clock.instant()));
        p.setString(2, cut(e.source(), 64));
        p.setString(3, e.format());
        p.setString(4, e.action().name().toLowerCase(java.util.Locale.ROOT));
        p.setString(5, e.severity().word());
        // The intake bounds these before they get here; the cuts only guard the columns against other callers.
        p.setString(6, cut(e.key(), 255));
        p.setString(7, cut(e.host(), 255));
        p.setString(8, cut(e.summary(), 1024));
        p.setString(9, cut(e.details(), 8192));
        p.setObject(10, odt(e.time()));
        p.executeUpdate();
        try (ResultSet k = p.getGeneratedKeys()) {
            k.next();
            return k.getLong(1);
        }
    }

    /** How many events the table holds (tests, the benchmark). */
    public static long count(Connection db) throws SQLException {
        try (Statement s = db.createStatement(); ResultSet r = s.executeQuery("SELECT COUNT(*) FROM events")) {
            r.next();
            return r.getLong(1);
        }
    }

    private static void failAll(BlockingQueue<Pending> q, String why) {
        for (Pending p; (p = q.poll()) != null; ) {
            p.done.completeExceptionally(new IllegalStateException(why));
        }
    }

    /** Takes no more requests; what is queued is still stored (the server has stopped taking requests first). */
    @Override
    public void close() {
        closing = true;
        try {
            writer.join(Duration.ofSeconds(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (writer.isAlive()) {
            writer.interrupt();
        }
        failAll(queue, "the intake stopped");
    }
}
