package opsbot.bot.alerts;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;

/** What the rest of the bot may do with alerts: the duty package pages from their changes and acknowledges them. */
public interface AlertBook {
    /** The alert named by a short id such as {@code A12} (any case), if there is one. */
    Optional<Alert> find(Connection db, String shortId) throws SQLException;

    /**
     * Marks an open alert acknowledged by {@code by} (an identity key) and tells the listeners, in the caller's
     * transaction; empty when there is no such alert or it is not open (already acknowledged, or resolved).
     */
    Optional<Alert> acknowledge(Connection db, long id, String by, Instant at) throws SQLException;

    /** Adds a listener; call before the bot starts taking events. */
    void listen(AlertListener l);
}
