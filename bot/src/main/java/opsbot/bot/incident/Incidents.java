package opsbot.bot.incident;

import opsbot.bot.chat.Message;
import opsbot.bot.outbox.Item;
import opsbot.bot.outbox.Outbox;
import opsbot.bot.outbox.Target;
import opsbot.bot.store.Store;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The incident thread: which incident is active, writing entries into the store's hash chain, and showing
 * each entry in every incident feed (a threaded reply on Matrix, one {@code [INC-7]} line on IRC).
 *
 * <p>Each entry is written together with one outbox row per feed, in one transaction; the outbox's sender for
 * that channel or room posts them in order and retries without giving up: a homeserver that is down, or a
 * bot restart, delays the thread, it does not lose entries, and it never delays a command.
 */
public final class Incidents implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Incidents.class);
    private static final String ACTIVE_KEY = "incident.active";
    private static final int DETAIL_LINES = 10;
    private static final String ROOT_REF = "incident-root:";

    private final Store store;
    private final IncidentStore incidents;
    private final List<Feed> feeds;
    private final Outbox outbox;
    private final Clock clock;
    private final Denials denials;
    /** Ends the strangers' denial windows on time (see {@link Denials}); one daemon thread, idle otherwise. */
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "incident-denials");
        t.setDaemon(true);
        return t;
    });

    public Incidents(Store store, List<Feed> feeds, Outbox outbox, Clock clock) {
        this.store = store;
        this.incidents = new IncidentStore(store);
        this.feeds = List.copyOf(feeds);
        this.outbox = outbox;
        this.clock = clock;
        this.denials = new Denials(clock);
        // A thread root that reached its room: later entries (and notes written in it) hang from it.
        outbox.onSent(ROOT_REF, (db, row, id) -> IncidentStore.setThreadRoot(db,
                Long.parseLong(row.ref().substring(ROOT_REF.length())), row.target().network(), row.target().place(), id));
    }

    public IncidentStore store() {
        return incidents;
    }

    /** The active incident: the one chosen with {@code use}, else the newest open one; empty when none is open. */
    public synchronized Optional<Incident> active() {
        Optional<Long> chosen = Optional.ofNullable(store.state(ACTIVE_KEY)).flatMap(Incident::number);
        if (chosen.isPresent()) {
            Optional<Incident> i = incidents.find(chosen.get());
            if (i.isPresent() && i.get().isOpen()) return i;
        }
        List<Incident> open = incidents.list(0);
        return open.isEmpty() ? Optional.empty() : Optional.of(open.get(open.size() - 1));
    }

    public synchronized Incident open(String title, Actor who) {
        IncidentStore.Change c = incidents.open(title, who, clock.instant(), this::enqueue);
        store.setState(ACTIVE_KEY, Long.toString(c.incident().id()));
        wake();
        return c.incident();
    }

    /** The active incident, opening one titled {@code title} if none is open; {@code opened} says which. */
    public synchronized Active ensureActive(String title, Actor who) {
        Optional<Incident> a = active();
        return a.map(i -> new Active(i, false)).orElseGet(() -> new Active(open(title, who), true));
    }

    public record Active(Incident incident, boolean opened) {
    }

    // --- inside the caller's store transaction ------------------------------------------------------------
    // For producers whose entry must commit with their own change (an alert folded from an event): these run on
    // the connection the caller's Store.transaction holds, never open a transaction of their own, and do not take
    // this object's lock (the caller holds the store's, and the methods above take this one first: the reverse
    // order would deadlock). The store's one connection serialises them with everything else. Wake the feeds
    // ({@link #wakeFeeds}) once the caller's transaction committed.

    /** {@link #active} as the caller's transaction sees it. */
    public Optional<Incident> activeIn(Connection db) throws SQLException {
        Optional<Long> chosen = Optional.ofNullable(store.state(ACTIVE_KEY)).flatMap(Incident::number);
        if (chosen.isPresent()) {
            Optional<Incident> i = IncidentStore.find(db, chosen.get());
            if (i.isPresent() && i.get().isOpen()) return i;
        }
        List<Incident> open = IncidentStore.openIn(db);
        return open.isEmpty() ? Optional.empty() : Optional.of(open.get(open.size() - 1));
    }

    /** {@link #open} in the caller's transaction; it becomes the active incident when that commits. */
    public Incident openIn(Connection db, String title, Actor who) throws SQLException {
        IncidentStore.Change c = incidents.openIn(db, title, who, clock.instant(), this::enqueue);
        store.setState(ACTIVE_KEY, Long.toString(c.incident().id())); // on the same connection: part of the transaction
        return c.incident();
    }

    /** {@link #log(Incident, EntryKind, Actor, String)} in the caller's transaction. */
    public Entry logIn(Connection db, Incident i, EntryKind kind, Actor who, String text) throws SQLException {
        return incidents.appendIn(db, i.id(), kind, who, text, clock.instant(), this::enqueue).entry();
    }

    /** Tells the feeds' senders that entries may wait (after the transaction that wrote them committed). */
    public void wakeFeeds() {
        wake();
    }

    /** Logs into the active incident, if there is one. */
    public synchronized Optional<Entry> log(EntryKind kind, Actor who, String text) {
        return active().map(i -> log(i, kind, who, text));
    }

    public synchronized Entry log(Incident i, EntryKind kind, Actor who, String text) {
        Entry e = incidents.append(i.id(), kind, who, text, clock.instant(), this::enqueue).entry();
        wake();
        return e;
    }

    /**
     * A change command was denied: logged into the active incident, if one is open. Denials from a stranger
     * ({@code strangerKey} not null: not in {@code people}) are collapsed per person and window (see
     * {@link Denials}); people in {@code people} are logged one by one.
     */
    public void denied(Actor who, String strangerKey, String text) {
        if (strangerKey == null) {
            log(EntryKind.DENIED, who, text);
            return;
        }
        if (active().isEmpty()) {
            return; // denials are logged during incidents only
        }
        if (denials.windowEnded()) {
            flushDenials(); // the timer may not have run yet: the old window's counts come first
        }
        Denials.Decision d = denials.denied(strangerKey, who, text);
        if (d.windowOpened()) {
            timer.schedule(this::flushDenialsSafely, Denials.WINDOW.toMillis(), TimeUnit.MILLISECONDS);
        }
        if (d.logNow()) {
            log(EntryKind.DENIED, who, text);
        }
    }

    /** Ends the strangers' denial window now: their counted denials become entries (at most one each). */
    public void flushDenials() {
        for (Denials.Summary s : denials.endWindow()) {
            log(EntryKind.DENIED, s.who(), s.text());
        }
    }

    private void flushDenialsSafely() {
        try {
            flushDenials();
        } catch (RuntimeException e) {
            log.error("incident: cannot write the collapsed denials", e);
        }
    }

    /** Closes {@code i}; the active incident is then the newest open one, if any (see {@link #active}). */
    public synchronized Incident close(Incident i, Actor who, String summary) {
        IncidentStore.Change c = incidents.close(i.id(), who, summary, clock.instant(), this::enqueue);
        wake();
        return c.incident();
    }

    /** Makes {@code i} the active incident, reopening it if it was closed. */
    public synchronized Incident use(Incident i, Actor who) {
        Incident now = i;
        if (!i.isOpen()) {
            IncidentStore.Change c = incidents.reopen(i.id(), who, clock.instant(), this::enqueue);
            wake();
            now = c.incident();
        }
        store.setState(ACTIVE_KEY, Long.toString(i.id()));
        return now;
    }

    public Optional<Incident> find(long id) {
        return incidents.find(id);
    }

    public List<Incident> list(int closedLimit) {
        return incidents.list(closedLimit);
    }

    /** The incident whose thread a message was written in, if that thread is an incident's. */
    public Optional<Incident> ofThread(String network, String place, String root) {
        return incidents.incidentOfThread(network, place, root).flatMap(incidents::find);
    }

    /**
     * In the entry's own transaction: one outbox row per feed. On Matrix an incident is a thread: the first
     * entry a room gets for an incident is preceded by the thread's root (which, for the opening entry, says
     * it all); entries after it name the root's row until its event ID is known, then the ID.
     */
    private void enqueue(Connection db, IncidentStore.Change c) throws SQLException {
        Incident i = c.incident();
        Entry e = c.entry();
        for (Feed f : feeds) {
            Target t = new Target(f.network(), f.target());
            String key = key(i, e.seq());
            if (!f.threaded()) {
                outbox.enqueue(db, Item.of(t, key, Message.plain(EntryText.line(i, e))));
                continue;
            }
            String root = IncidentStore.threadRoot(db, i.id(), f.network(), f.target()).orElse(null);
            String rootKey = key(i, 0);
            if (root == null && !outbox.has(db, t, rootKey)) {
                outbox.enqueue(db, new Item(t, rootKey, EntryText.root(i, e.kind() != EntryKind.OPENED), null, null,
                        ROOT_REF + i.id()));
                if (e.kind() == EntryKind.OPENED) {
                    continue; // the root says it
                }
            }
            outbox.enqueue(db, new Item(t, key, EntryText.threaded(e, DETAIL_LINES), root, root == null ? rootKey : null, null));
        }
    }

    private void wake() {
        feeds.forEach(f -> outbox.wake(new Target(f.network(), f.target())));
    }

    /** One name per entry (unique within a feed's target; the outbox makes it unique for the network). */
    private static String key(Incident i, int seq) {
        return "inc" + i.id() + "-" + seq;
    }

    /** Waits until everything logged so far has been shown in every feed (tests); false if {@code max} passed. */
    public boolean flush(Duration max) throws InterruptedException {
        return outbox.awaitSent(feeds.stream().map(f -> new Target(f.network(), f.target())).toList(), max);
    }

    /** Writes the strangers' counted denials, so none is lost at a stop; the outbox is closed by its owner. */
    @Override
    public void close() {
        timer.shutdownNow();
        try {
            flushDenials();
        } catch (RuntimeException e) {
            log.error("incident: cannot write the collapsed denials at stop", e);
        }
    }
}
