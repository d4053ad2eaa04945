package opsbot.bot.alerts;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;

import static opsbot.bot.store.Sql.odt;

/**
 * Keeps the intake's tables bounded: events, resolved alerts and ended silences older than {@link #KEEP} are
 * deleted, at most {@link #BATCH} rows per table and run (a run holds the store's one connection, so it must
 * stay short; while runs come back full the next sweep goes on). An event still named by an unresolved alert is kept.
 */
final class Retention {
    static final Duration KEEP = Duration.ofDays(30);
    static final int BATCH = 5_000;

    private Retention() {
    }

    /**
     * Deletes what is older than {@code now} − {@link #KEEP}, at most {@link #BATCH} rows of each table; how many went
     * (in the caller's transaction; {@link Alerts} runs it through {@link opsbot.bot.store.Forgetting}).
     */
    static int prune(Connection db, Instant now) throws SQLException {
        Instant before = now.minus(KEEP);
        return delete(db, "DELETE FROM events WHERE id IN (SELECT id FROM events e WHERE e.received_at < ? AND NOT EXISTS"
                        + " (SELECT 1 FROM alerts a WHERE a.last_event = e.id AND a.state <> 'RESOLVED') ORDER BY id LIMIT "
                        + BATCH + ")", before)
                + delete(db, "DELETE FROM alerts WHERE id IN (SELECT id FROM alerts WHERE state = 'RESOLVED'"
                        + " AND resolved_at < ? ORDER BY id LIMIT " + BATCH + ")", before)
                + delete(db, "DELETE FROM silences WHERE id IN (SELECT id FROM silences WHERE state <> 'ACTIVE'"
                        + " AND until_at < ? ORDER BY id LIMIT " + BATCH + ")", before);
    }

    private static int delete(Connection db, String sql, Instant before) throws SQLException {
        try (PreparedStatement p = db.prepareStatement(sql)) {
            p.setObject(1, odt(before));
            return p.executeUpdate();
        }
    }
}
