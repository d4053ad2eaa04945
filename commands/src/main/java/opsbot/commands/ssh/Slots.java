package opsbot.commands.ssh;

import opsbot.config.Kind;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A counted resource (execution slots, a host's channels, admission) where the last {@code reserved} units
 * are for change commands only, and change commands waiting are served before read commands waiting;
 * within a kind, first come first served. Waiting is bounded by a deadline: a caller is told no rather
 * than left waiting behind a host that will not answer.
 */
public final class Slots {
    private int reserved;
    private final ReentrantLock lock = new ReentrantLock();
    private final Deque<Waiter> changes = new ArrayDeque<>();
    private final Deque<Waiter> reads = new ArrayDeque<>();
    private int capacity;
    private int inUse;

    private final class Waiter {
        final Condition turn = lock.newCondition();
        boolean granted;
    }

    public Slots(int capacity, int reserved) {
        if (capacity < 1 || reserved < 0 || (reserved > 0 && reserved >= capacity)) {
            throw new IllegalArgumentException("capacity " + capacity + ", reserved " + reserved);
        }
        this.capacity = capacity;
        this.reserved = reserved;
    }

    /** Takes a unit if one is free for this kind right now (no one of the kind ahead), else false. */
    public boolean tryTake(Kind kind) {
        lock.lock();
        try {
            if (queue(kind).isEmpty() && free(kind)) {
                inUse++;
                return true;
            }
            return false;
        } finally {
            lock.unlock();
        }
    }

    /** Waits in line for a unit, at most {@code maxWait}; false when the wait ran out (nothing is held then). */
    public boolean take(Kind kind, Duration maxWait) throws InterruptedException {
        lock.lock();
        try {
            if (queue(kind).isEmpty() && free(kind)) {
                inUse++;
                return true;
            }
            Waiter w = new Waiter();
            queue(kind).addLast(w);
            long left = maxWait.toNanos();
            try {
                while (!w.granted && left > 0) {
                    left = w.turn.awaitNanos(left);
                }
            } catch (InterruptedException e) {
                if (w.granted) { // granted and interrupted at once: give it back, the caller will not use it
                    w.granted = false;
                    inUse--;
                }
                throw e;
            } finally {
                if (!w.granted) {
                    queue(kind).remove(w);
                    grant(); // a change giving up may let the reads behind it go
                }
            }
            return w.granted;
        } finally {
            lock.unlock();
        }
    }

    public void release() {
        lock.lock();
        try {
            if (inUse == 0) {
                throw new IllegalStateException("released more than taken");
            }
            inUse--;
            grant();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Lowers the capacity (never below 1), as when a host refuses more channels than it allows. The reserve
     * keeps one unit for reads as long as there are two; at one, there is nothing left to reserve: reads and
     * changes share it (changes still go first).
     */
    public void limitTo(int n) {
        lock.lock();
        try {
            capacity = Math.max(1, Math.min(capacity, n));
            reserved = Math.min(reserved, capacity - 1);
            grant(); // a smaller reserve may let waiting reads go
        } finally {
            lock.unlock();
        }
    }

    public int capacity() {
        lock.lock();
        try {
            return capacity;
        } finally {
            lock.unlock();
        }
    }

    public int inUse() {
        lock.lock();
        try {
            return inUse;
        } finally {
            lock.unlock();
        }
    }

    /** Callers waiting in line. */
    public int waiting() {
        lock.lock();
        try {
            return changes.size() + reads.size();
        } finally {
            lock.unlock();
        }
    }

    private Deque<Waiter> queue(Kind kind) {
        return kind == Kind.CHANGE ? changes : reads;
    }

    /** Free for this kind, ignoring the line: reads leave the reserve and go after waiting changes. */
    private boolean free(Kind kind) {
        return kind == Kind.CHANGE ? inUse < capacity : changes.isEmpty() && inUse < capacity - reserved;
    }

    private void grant() {
        while (!changes.isEmpty() && inUse < capacity) {
            hand(changes.pollFirst());
        }
        while (changes.isEmpty() && !reads.isEmpty() && inUse < capacity - reserved) {
            hand(reads.pollFirst());
        }
    }

    private void hand(Waiter w) {
        inUse++;
        w.granted = true;
        w.turn.signal();
    }
}
