package opsbot.bot.intake;

import opsbot.bot.alerts.Event;
import opsbot.bot.alerts.Folder;
import opsbot.bot.store.Store;
import opsbot.config.Severity;
import opsbot.config.StorageConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** Group commit: a bounded queue, one transaction for what waits, and a failing request that fails only itself. */
class EventLogTest {
    private static final Duration T = Duration.ofSeconds(20);

    @TempDir
    Path dir;
    Store store;
    EventLog log;
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    final List<String> folds = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() {
        store = Store.open(StorageConfig.embedded(dir.resolve("db").toString()));
    }

    @AfterEach
    void tearDown() {
        if (log != null) log.close();
        store.close();
    }

    static Event event(String summary) {
        return new Event("backup", "events", Event.Action.FIRING, Severity.ERROR, summary, null, summary, null, null);
    }

    /** Holds the writer inside its first transaction ("hold") until released; fails the fold of "poison". */
    final Folder folder = (db, id, e) -> {
        if (e.summary().equals("hold")) {
            entered.countDown();
            try {
                if (!release.await(T.toSeconds(), TimeUnit.SECONDS)) throw new SQLException("never released");
            } catch (InterruptedException x) {
                throw new SQLException(x);
            }
        }
        if (e.summary().equals("poison")) throw new SQLException("cannot fold this one");
        folds.add(e.summary());
    };

    long rows() {
        return store.transaction("count", EventLog::count);
    }

    @Test
    void aFullQueueIsRefusedNotWaitedFor() throws Exception {
        log = new EventLog(store, folder, Clock.systemUTC(), 2);
        EventLog.Pending held = log.offer(List.of(event("hold")));
        assertTrue(entered.await(T.toSeconds(), TimeUnit.SECONDS), "the writer took the first request");
        EventLog.Pending a = log.offer(List.of(event("a")));
        EventLog.Pending b = log.offer(List.of(event("b")));
        assertNotNull(a);
        assertNotNull(b);
        assertNull(log.offer(List.of(event("c"))), "the queue holds two: the third is refused (503 busy)");
        release.countDown();
        assertEquals(1, log.await(held, T).size());
        assertEquals(1, log.await(a, T).size());
        assertEquals(1, log.await(b, T).size());
        assertEquals(3, rows());
    }

    @Test
    void whatWaitsIsStoredInOneTransactionAndABadRequestFailsAlone() throws Exception {
        log = new EventLog(store, folder, Clock.systemUTC(), 16);
        EventLog.Pending held = log.offer(List.of(event("hold")));
        assertTrue(entered.await(T.toSeconds(), TimeUnit.SECONDS));
        EventLog.Pending a = log.offer(List.of(event("a1"), event("a2")));
        EventLog.Pending bad = log.offer(List.of(event("b1"), event("poison")));
        EventLog.Pending c = log.offer(List.of(event("c1")));
        release.countDown();
        log.await(held, T);
        List<Long> ids = log.await(a, T);
        assertEquals(2, ids.size());
        assertEquals(1, log.await(c, T).size());
        Rejected r = assertThrows(Rejected.class, () -> log.await(bad, T));
        assertEquals(503, r.status);
        assertEquals("store", r.reason);
        assertEquals(4, rows(), "hold, a1, a2, c1: nothing of the failed request (not even b1)");
        // a1 was folded twice: first in ONE transaction with the poison (rolled back), then alone (committed)
        assertEquals(2, folds.stream().filter("a1"::equals).count(), folds.toString());
    }

    @Test
    void aRequestTheWriterNeverTookIsWithdrawnAndNeverStored() throws Exception {
        log = new EventLog(store, folder, Clock.systemUTC(), 4);
        EventLog.Pending held = log.offer(List.of(event("hold")));
        assertTrue(entered.await(T.toSeconds(), TimeUnit.SECONDS));
        EventLog.Pending late = log.offer(List.of(event("late")));
        Rejected r = assertThrows(Rejected.class, () -> log.await(late, Duration.ofMillis(50)));
        assertEquals(503, r.status);
        release.countDown();
        log.await(held, T);
        EventLog.Pending after = log.offer(List.of(event("after")));
        log.await(after, T);
        assertEquals(2, rows(), "the withdrawn request was skipped: its sender heard 503 and will resend");
    }
}
