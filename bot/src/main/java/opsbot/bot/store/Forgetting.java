package opsbot.bot.store;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;

/**
 * Old rows of one kind, forgotten in batches from a periodic sweep: each {@link #run} deletes at most one batch, in a
 * transaction of its own (the store's one connection also takes every intake event, so it stays short), at most
 * every {@code every}; while batches come back full, the next sweep goes on with the rest. A failed run waits for
 * the next time like a finished one (the caller logs it).
 */
public final class Forgetting {
    private static final Logger log = LoggerFactory.getLogger(Forgetting.class);

    /** One batch: deletes at most {@code batch} rows that are old at {@code now}; returns how many went. */
    @FunctionalInterface
    public interface Batch {
        int delete(Connection db, Instant now) throws SQLException;
    }

    private final String what;
    private final int batch;
    private final Duration every;
    private final Batch delete;
    /** When the last run began that did not come back full (null: none since start, or the last was full). */
    private volatile Instant doneAt;

    /** @param what what the rows are, for the log ({@code "page lines older than a day"}) */
    public Forgetting(String what, int batch, Duration every, Batch delete) {
        this.what = what;
        this.batch = batch;
        this.every = every;
        this.delete = delete;
    }

    /** One batch if one is due at {@code now}; how many rows went (0 when none was due). */
    public int run(Store store, Instant now) {
        Instant last = doneAt;
        if (last != null && now.isBefore(last.plus(every))) return 0;
        doneAt = now;
        int n = store.transaction("forget " + what, db -> delete.delete(db, now));
        if (n >= batch) doneAt = null;
        if (n > 0) log.info("store: forgot {} {}{}", n, what, n >= batch ? "; more at the next sweep" : "");
        return n;
    }
}
