package opsbot.bot.dispatch;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Per-person serial lanes: items with the same key are worked on one after another, in the order they were
 * submitted, on a virtual thread of their own; items with different keys never wait for each other. A
 * network adapter submits from its I/O thread and returns at once, so a slow store write or a long command
 * for one person neither stalls reading the connection nor delays anyone else.
 *
 * <p>Bounded twice: at most {@code perLane} items wait behind the one being worked on in each lane, and at
 * most {@code total} are waiting or in work over all lanes. An item beyond a bound is not worked on; it goes
 * to {@code tell}, which answers its sender and returns true, or returns false when there was nothing worth
 * answering (it was not a command). One answer per backlog: while a lane stays backed up (or all lanes are
 * full), later overflow is only counted, and the count is logged when the backlog clears.
 *
 * <p>A lane's thread ends when its lane is empty; an idle person costs nothing.
 */
public final class Lanes<T> implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Lanes.class);

    private final int perLane;
    private final int total;
    private final Function<T, String> key;
    private final Consumer<T> work;
    private final Predicate<T> tell;
    /** Guarded by {@code this}, like every field below. */
    private final Map<String, Lane> lanes = new HashMap<>();
    private int inLanes; // waiting or in work, over all lanes
    private boolean fullTold;
    private long fullDropped;
    private boolean closed;

    private final class Lane {
        final String key;
        final ArrayDeque<T> waiting = new ArrayDeque<>();
        boolean told;
        long dropped;

        Lane(String key) {
            this.key = key;
        }
    }

    /**
     * @param key  the lane an item belongs to (for chat lines: network, where it was said, and who said it)
     * @param work what is done with each item; exceptions are logged, the lane goes on
     * @param tell answers the sender of an item that was not taken; false if nothing was worth answering
     */
    public Lanes(int perLane, int total, Function<T, String> key, Consumer<T> work, Predicate<T> tell) {
        if (perLane < 1 || total < 1) {
            throw new IllegalArgumentException("lane bounds must be positive");
        }
        this.perLane = perLane;
        this.total = total;
        this.key = key;
        this.work = work;
        this.tell = tell;
    }

    /** Takes an item into its lane, or tells its sender why not. Never blocks on the work. */
    public void submit(T item) {
        String k = key.apply(item);
        Lane full;
        synchronized (this) {
            if (closed) {
                log.info("lanes: stopping; not taken: an item for {}", shown(k));
                return;
            }
            Lane lane = lanes.get(k);
            if (laneFull(lane)) {
                lane.dropped++;
                if (lane.told) return;
                lane.told = true;
                full = lane;
            } else if (inLanes >= total) {
                fullDropped++;
                if (fullTold) return;
                fullTold = true;
                full = null;
            } else {
                take(k, item);
                return;
            }
        }
        if (full != null) {
            log.warn("lanes: {} has {} items waiting; not taking more until they are done", shown(k), perLane);
        } else {
            log.warn("lanes: {} items in work or waiting over all lanes; not taking more until there is room", total);
        }
        boolean told = false;
        try {
            told = tell.test(item);
        } catch (RuntimeException e) {
            log.error("lanes: telling about an item not taken failed", e);
        }
        if (!told) {
            synchronized (this) { // nothing was said: the next item over the bound may still be answered
                if (full != null) full.told = false;
                else fullTold = false;
            }
        }
    }

    /**
     * Takes an item into its lane, waiting only while all lanes together are full: for a network whose reader
     * may wait ({@code ChatNetwork.readerMayWait}), so that nothing it has read is turned away. The per-lane
     * bound does not apply here: that reader serves everyone, and waiting for one person's lane would let one
     * busy person (a caught-up gap of notes, or someone whose replies the homeserver rate-limits) hold up every
     * other person's lines; the total bound still holds. Interrupted or closed while waiting, the item is
     * logged as not taken.
     */
    public void put(T item) {
        String k = key.apply(item);
        synchronized (this) {
            try {
                while (!closed && inLanes >= total) {
                    wait();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                log.warn("lanes: interrupted while waiting for room; not taken: an item for {}", shown(k));
                return;
            }
            if (closed) {
                log.info("lanes: stopping; not taken: an item for {}", shown(k));
                return;
            }
            take(k, item);
        }
    }

    private boolean laneFull(Lane lane) {
        return lane != null && lane.waiting.size() > perLane; // the item in work is still in waiting
    }

    /** Puts the item in its lane, starting the lane's thread if it had none. Called holding the lock. */
    private void take(String k, T item) {
        inLanes++;
        Lane lane = lanes.get(k);
        if (lane == null) {
            Lane fresh = new Lane(k);
            lanes.put(k, fresh);
            fresh.waiting.add(item);
            Thread.ofVirtual().name("lane").start(() -> run(fresh));
        } else {
            lane.waiting.add(item);
        }
    }

    private void run(Lane lane) {
        while (true) {
            T next;
            synchronized (this) {
                next = lane.waiting.peek();
                if (next == null) {
                    lanes.remove(lane.key);
                    if (lane.dropped > 0) {
                        log.warn("lanes: {} had {} items not taken while backed up", shown(lane.key), lane.dropped);
                    }
                    return;
                }
            }
            try {
                work.accept(next);
            } catch (RuntimeException | Error e) {
                log.error("lanes: work for {} failed", shown(lane.key), e);
            } finally {
                synchronized (this) {
                    lane.waiting.poll(); // only now: the item in work still counts against the lane's bound
                    inLanes--;
                    if (fullDropped > 0 && inLanes <= total / 2) {
                        log.warn("lanes: room again; {} items were not taken while all lanes were full", fullDropped);
                        fullTold = false;
                        fullDropped = 0;
                    }
                    notifyAll();
                }
            }
        }
    }

    /** Waits until every item taken so far has been worked on, for at most {@code max}. */
    public synchronized boolean awaitIdle(Duration max) throws InterruptedException {
        long end = System.nanoTime() + max.toNanos();
        while (inLanes > 0) {
            long left = end - System.nanoTime();
            if (left <= 0) return false;
            wait(Math.max(1, left / 1_000_000));
        }
        return true;
    }

    /** Takes nothing more; lets what was taken finish for up to five seconds. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            notifyAll(); // a reader waiting in put gives up
        }
        try {
            if (!awaitIdle(Duration.ofSeconds(5))) {
                log.warn("lanes: still working after 5 s; closing anyway");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A lane key in a log line: its NUL separators as spaces. */
    private static String shown(String key) {
        return key.replace('\u0000', ' ');
    }
}
