package opsbot.bot.outbox;

import static opsbot.bot.store.Sql.odt;
import opsbot.bot.chat.ChatNetwork;
import opsbot.bot.chat.Message;
import opsbot.bot.store.Store;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Everything the bot says without being asked in that moment, as rows in the store first: incident entries
 * on the other network now, broadcasts and reminders later. One {@link Sender} per target drains its rows
 * in id order, one at a time, and a row is marked sent only after the network took it. A failed post is
 * retried with a bounded backoff and never given up: an outage or a restart only delays a row (pending
 * rows are sent again once their network is attached).
 *
 * <p>Exactly once where the network can tell: each post carries a transaction key made of this store's
 * random epoch, the row id and the item's key, so a post that landed but whose answer was lost (or a crash
 * before the row was marked sent) is not shown twice on Matrix. IRC has no such key: there a crash between
 * posting and marking can repeat one line.
 *
 * <p>Producers write rows inside their own transaction ({@link #enqueue(Connection, Item)}), so an entry
 * and its outbox rows are stored together or not at all, then call {@link #wake}.
 */
public final class Outbox implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Outbox.class);
    private static final String EPOCH_KEY = "outbox.epoch";
    /** Sent rows are kept this long (a later row may post in a thread that one of them opened). */
    private static final Duration KEEP_SENT = Duration.ofDays(30);

    /** A producer's hook, run in the transaction that marks one of its rows sent. */
    public interface Delivered {
        void on(Connection db, Row row, String networkId) throws SQLException;
    }

    private final Store store;
    private final Function<String, ChatNetwork> networks;
    private final Clock clock;
    private final Backoff backoff;
    private final String epoch;
    private final Map<Target, Sender> senders = new ConcurrentHashMap<>();
    private final Map<String, Delivered> hooks = new ConcurrentHashMap<>();
    private volatile boolean closed;

    public Outbox(Store store, Function<String, ChatNetwork> networks, Clock clock, Backoff backoff) {
        this.store = store;
        this.networks = networks;
        this.clock = clock;
        this.backoff = backoff;
        String e = store.state(EPOCH_KEY);
        if (e == null) {
            byte[] b = new byte[6];
            new SecureRandom().nextBytes(b);
            e = HexFormat.of().formatHex(b);
            store.setState(EPOCH_KEY, e);
        }
        this.epoch = e;
        prune();
    }

    /** Runs {@code hook} when a row whose {@code ref} starts with {@code refPrefix} is sent. */
    public void onSent(String refPrefix, Delivered hook) {
        hooks.put(refPrefix, hook);
    }

    /** Puts {@code item} in the outbox inside the caller's transaction; false when its key is there already. */
    public boolean enqueue(Connection db, Item item) throws SQLException {
        if (has(db, item.target(), item.key())) {
            return false;
        }
        Instant now = clock.instant();
        try (PreparedStatement p = db.prepareStatement("INSERT INTO outbox (network, place, msg_key, thread, thread_key,"
                + " plain, html, ref, state, attempts, next_try, created_at) VALUES (?,?,?,?,?,?,?,?,'PENDING',0,?,?)")) {
            p.setString(1, item.target().network());
            p.setString(2, item.target().place());
            p.setString(3, item.key());
            p.setString(4, item.thread());
            p.setString(5, item.threadKey());
            p.setString(6, item.body().plain());
            p.setString(7, item.body().html());
            p.setString(8, item.ref());
            p.setObject(9, odt(now));
            p.setObject(10, odt(now));
            p.executeUpdate();
        }
        return true;
    }

    /** Puts {@code item} in the outbox in a transaction of its own, and wakes its sender. */
    public boolean enqueue(Item item) {
        boolean added = store.transaction("write to the outbox", db -> enqueue(db, item));
        wake(item.target());
        return added;
    }

    /** Whether a row with this key exists for this target, sent or not. */
    public boolean has(Connection db, Target t, String key) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("SELECT 1 FROM outbox WHERE network=? AND place=? AND msg_key=?")) {
            p.setString(1, t.network());
            p.setString(2, t.place());
            p.setString(3, key);
            try (ResultSet r = p.executeQuery()) {
                return r.next();
            }
        }
    }

    /** Tells the target's sender that a row may be waiting (after the enqueuing transaction committed). */
    public void wake(Target t) {
        if (closed) return;
        senders.computeIfAbsent(t, k -> new Sender(k, this, networks, clock)).wake();
    }

    /**
     * A network is attached (at start, or again): its pending rows are due now, and their senders run. Rows
     * left from before a restart are sent from here.
     */
    public void attached(String network) {
        List<Target> targets = store.transaction("resume the outbox", db -> {
            try (PreparedStatement p = db.prepareStatement(
                    "UPDATE outbox SET next_try=? WHERE network=? AND state='PENDING' AND next_try > ?")) {
                Instant now = clock.instant();
                p.setObject(1, odt(now));
                p.setString(2, network);
                p.setObject(3, odt(now));
                p.executeUpdate();
            }
            List<Target> out = new ArrayList<>();
            try (PreparedStatement p = db.prepareStatement(
                    "SELECT DISTINCT place FROM outbox WHERE network=? AND state='PENDING'")) {
                p.setString(1, network);
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) out.add(new Target(network, r.getString(1)));
                }
            }
            return out;
        });
        if (!targets.isEmpty()) {
            log.info("outbox: {} target(s) on {} have messages waiting; sending them", targets.size(), network);
        }
        targets.forEach(this::wake);
    }

    /** The oldest pending row for {@code t}, whether due or not; null when none. */
    Row next(Target t) {
        return store.transaction("read the outbox", db -> {
            try (PreparedStatement p = db.prepareStatement("SELECT * FROM outbox WHERE network=? AND place=?"
                    + " AND state='PENDING' ORDER BY id LIMIT 1")) {
                p.setString(1, t.network());
                p.setString(2, t.place());
                try (ResultSet r = p.executeQuery()) {
                    return r.next() ? row(r) : null;
                }
            }
        });
    }

    /** The network ID of the sent row with this key (a thread root), if it was sent. */
    Optional<String> sentId(Target t, String key) {
        return store.transaction("read the outbox", db -> {
            try (PreparedStatement p = db.prepareStatement("SELECT sent_id FROM outbox WHERE network=? AND place=?"
                    + " AND msg_key=? AND state='SENT'")) {
                p.setString(1, t.network());
                p.setString(2, t.place());
                p.setString(3, key);
                try (ResultSet r = p.executeQuery()) {
                    return r.next() ? Optional.ofNullable(r.getString(1)) : Optional.empty();
                }
            }
        });
    }

    /** The key the network is given for {@code r}: unique to this store and row, the same on every retry. */
    String networkKey(Row r) {
        return epoch + "-" + r.id() + "-" + r.key();
    }

    void sent(Row row, String networkId) {
        store.transaction("mark an outbox row sent", db -> {
            try (PreparedStatement p = db.prepareStatement(
                    "UPDATE outbox SET state='SENT', sent_at=?, sent_id=?, attempts=attempts+1 WHERE id=?")) {
                p.setObject(1, odt(clock.instant()));
                p.setString(2, networkId);
                p.setLong(3, row.id());
                p.executeUpdate();
            }
            if (row.ref() != null) {
                for (Map.Entry<String, Delivered> h : hooks.entrySet()) {
                    if (row.ref().startsWith(h.getKey())) h.getValue().on(db, row, networkId);
                }
            }
            return null;
        });
    }

    /** Records a failed attempt; returns how long until the next one. */
    Duration failed(Row row, String error) {
        Duration wait = backoff.after(row.attempts() + 1);
        store.transaction("mark an outbox row for retry", db -> {
            try (PreparedStatement p = db.prepareStatement(
                    "UPDATE outbox SET attempts=attempts+1, next_try=?, last_error=? WHERE id=?")) {
                p.setObject(1, odt(clock.instant().plus(wait)));
                p.setString(2, error.length() > 1000 ? error.substring(0, 1000) + "…" : error);
                p.setLong(3, row.id());
                p.executeUpdate();
            }
            return null;
        });
        return wait;
    }

    /** Rows not sent yet, oldest first, for the given targets (all targets when empty). */
    public List<Row> pending(Collection<Target> targets) {
        return store.transaction("read the outbox", db -> {
            List<Row> out = new ArrayList<>();
            try (PreparedStatement p = db.prepareStatement("SELECT * FROM outbox WHERE state='PENDING' ORDER BY id");
                 ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    Row row = row(r);
                    if (targets.isEmpty() || targets.contains(row.target())) out.add(row);
                }
            }
            return out;
        });
    }

    /** Waits until nothing is pending for {@code targets}; false when {@code max} passed first. */
    public boolean awaitSent(Collection<Target> targets, Duration max) throws InterruptedException {
        long end = System.nanoTime() + max.toNanos();
        while (!pending(targets).isEmpty()) {
            if (System.nanoTime() > end) return false;
            Thread.sleep(20);
        }
        return true;
    }

    /** Forgets sent rows older than {@link #KEEP_SENT}, except where their target still has rows waiting. */
    private void prune() {
        int n = store.transaction("prune the outbox", db -> {
            try (PreparedStatement p = db.prepareStatement("DELETE FROM outbox o WHERE o.state='SENT' AND o.sent_at < ?"
                    + " AND NOT EXISTS (SELECT 1 FROM outbox w WHERE w.network=o.network AND w.place=o.place"
                    + " AND w.state='PENDING')")) {
                p.setObject(1, odt(clock.instant().minus(KEEP_SENT)));
                return p.executeUpdate();
            }
        });
        if (n > 0) log.info("outbox: forgot {} messages sent more than {} days ago", n, KEEP_SENT.toDays());
    }

    boolean closed() {
        return closed;
    }

    /**
     * Stops the senders. What is due now and can be sent is sent first (within a few seconds); what is
     * waiting for a network that is down stays in the store and goes out after the next start.
     */
    @Override
    public void close() {
        closed = true;
        senders.values().forEach(Sender::closing);
        long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        for (Sender s : senders.values()) {
            s.join(Duration.ofNanos(Math.max(0, end - System.nanoTime())));
        }
    }

    private static Row row(ResultSet r) throws SQLException {
        OffsetDateTime next = r.getObject("next_try", OffsetDateTime.class);
        return new Row(r.getLong("id"), new Target(r.getString("network"), r.getString("place")), r.getString("msg_key"),
                r.getString("thread"), r.getString("thread_key"), new Message(r.getString("plain"), r.getString("html")),
                r.getString("ref"), Row.State.valueOf(r.getString("state")), r.getInt("attempts"), next.toInstant(),
                r.getString("sent_id"), r.getString("last_error"));
    }

}
