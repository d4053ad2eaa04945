package opsbot.bot.outbox;

import static opsbot.bot.store.Sql.odt;
import opsbot.bot.chat.ChatNetwork;
import opsbot.bot.chat.Message;
import opsbot.bot.metrics.Metrics;
import opsbot.bot.schedule.Schedule;
import opsbot.bot.store.Forgetting;
import opsbot.bot.store.Sql;
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
 *
 * <p>Line budgets: a broadcast ({@link Item#budget()} set) counts against its target's lines per minute
 * ({@link Window}). Once a target's budget is spent, its waiting broadcasts are not sent one by one: when the
 * window has room for one more line, all of them are summed up in ONE digest row ({@link Digest}), inserted
 * in the same transaction that marks them DIGESTED with its id, and sent like any row (its own key, so Matrix
 * shows it once). Rows without a budget (incident entries, pages, reminders) are never held or summed up:
 * while the budget holds broadcasts back they overtake them; otherwise every row goes in id order.
 */
public final class Outbox implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Outbox.class);
    private static final String EPOCH_KEY = "outbox.epoch";
    /** Sent rows are kept this long (a later row may post in a thread that one of them opened). */
    static final Duration KEEP_SENT = Duration.ofDays(30);
    /** The schedule's kind for the hourly prune. */
    static final String PRUNE_KIND = "outbox-prune";
    /** How often old rows are forgotten (while batches come back full: every {@link #PRUNE_SWEEP}). */
    static final Duration PRUNE_EVERY = Duration.ofHours(1);
    /**
     * Rows one prune transaction forgets at most: it holds the store's one connection (which also takes every intake
     * event), so it stays short; the next batch is another transaction.
     */
    static final int PRUNE_BATCH = 5_000;
    /** How often the prune's timer looks: a batch that came back full goes on then, not an hour later. */
    static final Duration PRUNE_SWEEP = Duration.ofMinutes(1);

    /** A producer's hook, run in the transaction that marks one of its rows sent. */
    public interface Delivered {
        void on(Connection db, Row row, String networkId) throws SQLException;
    }

    private final Store store;
    private final Function<String, ChatNetwork> networks;
    private final Clock clock;
    private final Backoff backoff;
    private final Metrics metrics;
    private final String epoch;
    private final Map<Target, Sender> senders = new ConcurrentHashMap<>();
    private final Map<String, Delivered> hooks = new ConcurrentHashMap<>();
    /** Rows sent (digested, withdrawn) more than {@link #KEEP_SENT} ago, in batches ({@link #pruneOn}). */
    private final Forgetting old = new Forgetting("outbox messages sent more than " + KEEP_SENT.toDays() + " days ago",
            PRUNE_BATCH, PRUNE_EVERY, Outbox::prune);
    private volatile boolean closed;

    public Outbox(Store store, Function<String, ChatNetwork> networks, Clock clock, Backoff backoff) {
        this(store, networks, clock, backoff, new Metrics());
    }

    /** With the bot's figures: lines sent, broadcasts summed up in digests, and the rows waiting per network. */
    public Outbox(Store store, Function<String, ChatNetwork> networks, Clock clock, Backoff backoff, Metrics metrics) {
        this.store = store;
        this.networks = networks;
        this.clock = clock;
        this.backoff = backoff;
        this.metrics = metrics;
        String e = store.state(EPOCH_KEY);
        if (e == null) {
            byte[] b = new byte[6];
            new SecureRandom().nextBytes(b);
            e = HexFormat.of().formatHex(b);
            store.setState(EPOCH_KEY, e);
        }
        this.epoch = e;
        metrics.gauge("opsbot_outbox_pending", "outbox rows waiting to be sent", "network", this::pendingPerNetwork);
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
        insert(db, item, null);
        return true;
    }

    private void insert(Connection db, Item item, Integer digestOf) throws SQLException {
        Instant now = clock.instant();
        Item.Budget b = item.budget();
        try (PreparedStatement p = db.prepareStatement("INSERT INTO outbox (network, place, msg_key, thread, thread_key,"
                + " plain, html, ref, state, attempts, next_try, created_at, lane, budget_group, budget_label,"
                + " budget_severity, per_minute, digest_of) VALUES (?,?,?,?,?,?,?,?,'PENDING',0,?,?,?,?,?,?,?,?)")) {
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
            p.setString(11, (b == null ? Row.Lane.DIRECT : Row.Lane.BUDGET).column());
            p.setString(12, b == null ? null : Sql.cut(b.group(), 64));
            p.setString(13, b == null ? null : Sql.cut(b.label(), 128));
            p.setString(14, b == null ? null : Sql.cut(b.severity(), 16));
            p.setObject(15, b == null ? null : b.perMinute(), java.sql.Types.INTEGER);
            p.setObject(16, digestOf, java.sql.Types.INTEGER);
            p.executeUpdate();
        }
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

    /** What a target's sender does next. */
    sealed interface Next {
        /** Sends this row (once it is due: {@link Row#nextTry()}). */
        record Send(Row row) implements Next {
        }

        /** Only broadcasts wait, held by the budget until {@code until} (or a wake-up: a direct row came). */
        record Hold(Instant until) implements Next {
        }

        /** Nothing waits. */
        record Idle() implements Next {
        }
    }

    /**
     * The row {@code t}'s sender sends next, whether due or not: the oldest of the direct rows and the
     * broadcasts; while the budget is spent, the oldest direct row (a page never waits behind a storm). When
     * the budget has room again after holding broadcasts back, all of them are summed up in a digest row first
     * (in this transaction), which is then the broadcast to send.
     */
    Next next(Target t) {
        Collapsed[] collapsed = new Collapsed[1];
        Next n = store.transaction("read the outbox", db -> {
            Row direct = first(db, t, Row.Lane.DIRECT, 1).stream().findFirst().orElse(null);
            List<Row> budget = first(db, t, Row.Lane.BUDGET, 2);
            if (budget.isEmpty()) {
                return direct == null ? new Next.Idle() : new Next.Send(direct);
            }
            Row b = budget.get(0);
            Window w = window(db, t, b.budget().perMinute());
            Instant now = clock.instant();
            if (!w.free(now)) {
                return direct != null ? new Next.Send(direct) : new Next.Hold(w.freeAt());
            }
            if (!b.isDigest() && budget.size() > 1 && w.held(b.createdAt()) && w.held(budget.get(1).createdAt())) {
                collapsed[0] = collapse(db, t, b.budget().perMinute(), now);
                b = row(db, t, collapsed[0].key());
            }
            return new Next.Send(direct != null && direct.id() < b.id() ? direct : b);
        });
        if (collapsed[0] != null) {
            Collapsed c = collapsed[0];
            c.perGroup().forEach((group, count) -> metrics.eventsSuppressed.labelValues(group, "budget").inc(count));
            log.info("outbox: {}: line budget spent; {} broadcasts summed up in one line ({})", t, c.members(), c.key());
        }
        return n;
    }

    /**
     * A target's oldest pending rows in one lane: a seek in index outbox_lane, however many rows wait. The ORDER BY
     * spells out the index's columns (fixed by the WHERE anyway) because H2 reads an index in order only then; by
     * {@code id} alone it reads every waiting row and sorts them.
     */
    static final String FIRST = "SELECT * FROM outbox WHERE network=? AND place=? AND state='PENDING' AND lane=?"
            + " ORDER BY network, place, state, lane, id LIMIT ?";
    /** The send times of a target's newest budget lines: index outbox_window read backwards (see {@link #FIRST}). */
    static final String WINDOW = "SELECT sent_at FROM outbox WHERE network=? AND place=? AND lane='budget'"
            + " AND state='SENT' ORDER BY network DESC, place DESC, lane DESC, state DESC, sent_at DESC LIMIT ?";

    /** The oldest pending rows of {@code t} in {@code lane}, at most {@code max}. */
    private static List<Row> first(Connection db, Target t, Row.Lane lane, int max) throws SQLException {
        try (PreparedStatement p = db.prepareStatement(FIRST)) {
            p.setString(1, t.network());
            p.setString(2, t.place());
            p.setString(3, lane.column());
            p.setInt(4, max);
            List<Row> out = new ArrayList<>();
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) out.add(row(r));
            }
            return out;
        }
    }

    /** The send times of the newest {@code perMinute} budget lines to {@code t}. */
    private static Window window(Connection db, Target t, int perMinute) throws SQLException {
        try (PreparedStatement p = db.prepareStatement(WINDOW)) {
            p.setString(1, t.network());
            p.setString(2, t.place());
            p.setInt(3, perMinute);
            List<Instant> recent = new ArrayList<>();
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) recent.add(Sql.instant(r, "sent_at"));
            }
            return new Window(perMinute, recent);
        }
    }

    private static Row row(Connection db, Target t, String key) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("SELECT * FROM outbox WHERE network=? AND place=? AND msg_key=?")) {
            p.setString(1, t.network());
            p.setString(2, t.place());
            p.setString(3, key);
            try (ResultSet r = p.executeQuery()) {
                if (!r.next()) throw new SQLException("outbox row " + key + " is gone");
                return row(r);
            }
        }
    }

    /** A digest made: its key, how many rows it sums up, and how many of each group. */
    private record Collapsed(String key, long members, Map<String, Long> perGroup) {
    }

    /**
     * Sums up every waiting broadcast of {@code t} in one digest row and marks them DIGESTED with its id, in the
     * caller's transaction: a crash leaves either the broadcasts waiting or the digest, never both, never neither.
     * The digest's key names its first member, which is in no other digest, so it is the same on every retry.
     */
    private Collapsed collapse(Connection db, Target t, int perMinute, Instant now) throws SQLException {
        String members = " WHERE network=? AND place=? AND state='PENDING' AND lane='budget' AND digest_of IS NULL";
        List<Digest.Count> counts = new ArrayList<>();
        long first = Long.MAX_VALUE, total = 0;
        Instant oldest = now;
        try (PreparedStatement p = db.prepareStatement("SELECT budget_group, budget_severity, budget_label, COUNT(*),"
                + " MIN(id), MIN(created_at) FROM outbox" + members + " GROUP BY budget_group, budget_severity, budget_label")) {
            p.setString(1, t.network());
            p.setString(2, t.place());
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    counts.add(new Digest.Count(r.getString(1), r.getString(2), r.getString(3), r.getLong(4)));
                    total += r.getLong(4);
                    first = Math.min(first, r.getLong(5));
                    Instant created = r.getObject(6, OffsetDateTime.class).toInstant();
                    if (created.isBefore(oldest)) oldest = created;
                }
            }
        }
        ChatNetwork net = networks.apply(t.network());
        int lineBytes = net == null ? 0 : net.lineBytes(t.place());
        String text = Digest.text(counts, Duration.between(oldest, now),
                lineBytes > 0 ? Math.min(lineBytes, Digest.MAX_BYTES) : Digest.MAX_BYTES);
        Map<String, Long> perGroup = new java.util.TreeMap<>();
        counts.forEach(c -> perGroup.merge(c.group(), c.n(), Long::sum));
        String key = "digest:" + first;
        String group = perGroup.size() == 1 ? perGroup.keySet().iterator().next() : "digest";
        insert(db, new Item(t, key, Message.plain(text), null, null, null,
                new Item.Budget(group, null, null, perMinute)), (int) Math.min(total, Integer.MAX_VALUE));
        long digestId = row(db, t, key).id();
        try (PreparedStatement p = db.prepareStatement("UPDATE outbox SET state='DIGESTED', digest_id=?, sent_at=?" + members)) {
            p.setLong(1, digestId);
            p.setObject(2, odt(now));
            p.setString(3, t.network());
            p.setString(4, t.place());
            int marked = p.executeUpdate();
            if (marked != total) throw new SQLException("the digest counted " + total + " rows but marked " + marked);
        }
        return new Collapsed(key, total, perGroup);
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
        metrics.linesSent.labelValues(row.target().network()).inc();
    }

    /** The gauge {@code opsbot_outbox_pending}: rows waiting per network (0 for a network that had some). */
    private void pendingPerNetwork(Metrics.GaugeSample sample) {
        Map<String, Long> waiting = new java.util.TreeMap<>();
        senders.keySet().forEach(t -> waiting.put(t.network(), 0L));
        try {
            store.transaction("count the outbox", db -> {
                try (PreparedStatement p = db.prepareStatement(
                        "SELECT network, COUNT(*) FROM outbox WHERE state='PENDING' GROUP BY network");
                     ResultSet r = p.executeQuery()) {
                    while (r.next()) waiting.put(r.getString(1), r.getLong(2));
                }
                return null;
            });
        } catch (RuntimeException e) {
            log.debug("outbox: cannot count waiting rows for the metrics: {}", e.toString());
            return; // no figure rather than a wrong one
        }
        waiting.forEach((network, n) -> sample.set(n, network));
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
                    Target t = new Target(r.getString("network"), r.getString("place"));
                    if (targets.isEmpty() || targets.contains(t)) out.add(row(r));
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

    /**
     * Forgets old rows at start (once the schedule runs) and from a sweep every minute, at most every
     * {@link #PRUNE_EVERY} unless a batch came back full ({@link Forgetting}): registers the timer's handler, so call
     * it before {@code schedule.start()}.
     */
    public void pruneOn(Schedule schedule) {
        schedule.on(PRUNE_KIND, f -> forgetOld());
        schedule.afterStart(() -> {
            try {
                schedule.every(PRUNE_KIND, "sent", PRUNE_SWEEP);
            } catch (RuntimeException e) {
                log.error("outbox: cannot arm the prune's sweep; it is armed again at the next start", e);
            }
            Thread.ofVirtual().name("outbox-prune").start(this::forgetOld); // the first run at start, off the starting thread
        });
    }

    /** One batch of old rows, if one is due; how many went (a failure is logged, the next sweep tries again). */
    int forgetOld() {
        try {
            return old.run(store, clock.instant());
        } catch (RuntimeException e) {
            if (closed) log.info("outbox: closing; old messages are forgotten at the next start");
            else log.error("outbox: cannot forget old messages; trying again in an hour", e);
            return 0;
        }
    }

    /**
     * Forgets sent, digested and withdrawn rows (for the latter two {@code sent_at} is when that happened) older than
     * {@link #KEEP_SENT}, except where their target still has rows waiting (a later row may post in a thread that an
     * old one opened, by its key), at most {@link #PRUNE_BATCH}, oldest first. Index outbox_sent finds the old rows
     * without reading the month's, in its own order, so a batch stops after its rows (ordered by id it read them all).
     */
    int prune() {
        return store.transaction("prune the outbox", db -> prune(db, clock.instant()));
    }

    private static int prune(Connection db, Instant now) throws SQLException {
        try (PreparedStatement p = db.prepareStatement(PRUNE)) {
            p.setObject(1, odt(now.minus(KEEP_SENT)));
            return p.executeUpdate();
        }
    }

    static final String PRUNE = "DELETE FROM outbox WHERE id IN (SELECT o.id FROM outbox o WHERE o.sent_at < ?"
            + " AND o.state IN ('SENT','DIGESTED','WITHDRAWN') AND NOT EXISTS (SELECT 1 FROM outbox w"
            + " WHERE w.network=o.network AND w.place=o.place AND w.state='PENDING') ORDER BY o.sent_at LIMIT " + PRUNE_BATCH + ")";

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
        Row.Lane lane = Row.Lane.of(r.getString("lane"));
        int perMinute = r.getInt("per_minute");
        Item.Budget budget = lane == Row.Lane.BUDGET && !r.wasNull()
                ? new Item.Budget(r.getString("budget_group"), r.getString("budget_label"), r.getString("budget_severity"), perMinute)
                : null;
        return new Row(r.getLong("id"), new Target(r.getString("network"), r.getString("place")), r.getString("msg_key"),
                r.getString("thread"), r.getString("thread_key"), new Message(r.getString("plain"), r.getString("html")),
                r.getString("ref"), Row.State.valueOf(r.getString("state")), r.getInt("attempts"), next.toInstant(),
                r.getString("sent_id"), r.getString("last_error"), lane, budget, (Integer) r.getObject("digest_of", Integer.class),
                (Long) r.getObject("digest_id", Long.class), Sql.instant(r, "created_at"));
    }

}
