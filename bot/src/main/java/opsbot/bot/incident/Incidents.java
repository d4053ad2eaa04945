package opsbot.bot.incident;

import opsbot.bot.chat.ChatNetwork;
import opsbot.bot.chat.Message;
import opsbot.bot.store.Store;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The incident thread: which incident is active, writing entries into the store's hash chain, and showing
 * each entry in every incident feed (a threaded reply on Matrix, one {@code [INC-7]} line on IRC).
 *
 * <p>Entries are stored first, then published in order by one feed thread, with retries: a homeserver that is
 * restarting delays the thread, it does not lose entries, and it never delays a command.
 */
public final class Incidents implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Incidents.class);
    private static final String ACTIVE_KEY = "incident.active";
    private static final int DETAIL_LINES = 10;
    private static final Duration GIVE_UP = Duration.ofMinutes(3);

    private final Store store;
    private final IncidentStore incidents;
    private final List<Feed> feeds;
    private final Function<String, ChatNetwork> networks;
    private final Clock clock;
    /** One thread per feed: entries reach each feed in order, and a feed that is down holds up no other. */
    private final Map<Feed, ExecutorService> feedThreads = new ConcurrentHashMap<>();

    public Incidents(Store store, List<Feed> feeds, Function<String, ChatNetwork> networks, Clock clock) {
        this.store = store;
        this.incidents = new IncidentStore(store);
        this.feeds = List.copyOf(feeds);
        this.networks = networks;
        this.clock = clock;
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
        IncidentStore.Change c = incidents.open(title, who, clock.instant());
        store.setState(ACTIVE_KEY, Long.toString(c.incident().id()));
        publish(c);
        return c.incident();
    }

    /** The active incident, opening one titled {@code title} if none is open; {@code opened} says which. */
    public synchronized Active ensureActive(String title, Actor who) {
        Optional<Incident> a = active();
        return a.map(i -> new Active(i, false)).orElseGet(() -> new Active(open(title, who), true));
    }

    public record Active(Incident incident, boolean opened) {
    }

    /** Logs into the active incident, if there is one. */
    public synchronized Optional<Entry> log(EntryKind kind, Actor who, String text) {
        return active().map(i -> log(i, kind, who, text));
    }

    public synchronized Entry log(Incident i, EntryKind kind, Actor who, String text) {
        Entry e = incidents.append(i.id(), kind, who, text, clock.instant());
        publish(new IncidentStore.Change(i, e));
        return e;
    }

    /** Closes {@code i}; the active incident is then the newest open one, if any (see {@link #active}). */
    public synchronized Incident close(Incident i, Actor who, String summary) {
        IncidentStore.Change c = incidents.close(i.id(), who, summary, clock.instant());
        publish(c);
        return c.incident();
    }

    /** Makes {@code i} the active incident, reopening it if it was closed. */
    public synchronized Incident use(Incident i, Actor who) {
        Incident now = i;
        if (!i.isOpen()) {
            IncidentStore.Change c = incidents.reopen(i.id(), who, clock.instant());
            publish(c);
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

    private void publish(IncidentStore.Change c) {
        for (Feed f : feeds) {
            thread(f).execute(() -> deliver(f, c.incident(), c.entry()));
        }
    }

    private ExecutorService thread(Feed f) {
        return feedThreads.computeIfAbsent(f, k -> Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "incident-feed " + k.network() + " " + k.target());
            t.setDaemon(true);
            return t;
        }));
    }

    /** Runs on the feed's thread, so entries reach each feed in order. */
    private void deliver(Feed f, Incident i, Entry e) {
        long deadline = System.nanoTime() + GIVE_UP.toNanos();
        long backoff = 500;
        while (true) {
            ChatNetwork net = networks.apply(f.network());
            try {
                if (net == null) {
                    return; // not attached (e.g. a test with only one network)
                }
                if (!net.hasThreads()) {
                    net.post(f.target(), Message.plain(EntryText.line(i, e)), null, null);
                    return;
                }
                String root = incidents.threadRoot(i.id(), f.network(), f.target()).orElse(null);
                if (root == null) {
                    root = net.post(f.target(), EntryText.root(i, e.kind() != EntryKind.OPENED), null, key(i, 0, f));
                    incidents.setThreadRoot(i.id(), f.network(), f.target(), root);
                    if (e.kind() == EntryKind.OPENED) {
                        return; // the root says it
                    }
                }
                net.post(f.target(), EntryText.threaded(e, DETAIL_LINES), root, key(i, e.seq(), f));
                return;
            } catch (RuntimeException ex) {
                if (System.nanoTime() > deadline) {
                    log.error("incident: gave up showing {} entry {} in {} {}: {}", i.tag(), e.seq(), f.network(),
                            f.target(), ex.toString());
                    return;
                }
                log.warn("incident: cannot show {} entry {} in {} {} ({}); retrying in {} ms", i.tag(), e.seq(),
                        f.network(), f.target(), ex.toString(), backoff);
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
                backoff = Math.min(backoff * 2, 10_000);
            }
        }
    }

    /** One name per entry and room, so a retried post lands once. */
    private static String key(Incident i, int seq, Feed f) {
        return "inc" + i.id() + "-" + seq + "-" + Integer.toHexString(f.target().hashCode());
    }

    /** Waits until everything logged so far has been shown (tests). */
    public void flush(Duration max) throws InterruptedException {
        long end = System.nanoTime() + max.toNanos();
        for (Feed f : feeds) {
            var done = new java.util.concurrent.CountDownLatch(1);
            thread(f).execute(done::countDown);
            done.await(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void close() {
        feedThreads.values().forEach(ExecutorService::shutdown);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        for (ExecutorService t : feedThreads.values()) {
            try {
                if (!t.awaitTermination(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS)) t.shutdownNow();
            } catch (InterruptedException e) {
                t.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
    }
}
