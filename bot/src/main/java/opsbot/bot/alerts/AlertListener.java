package opsbot.bot.alerts;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * Told about an alert's state changes inside the transaction that makes them, so what it writes (a page in
 * the outbox, an escalation row) is stored with the change or not at all. It must not block on anything
 * but the store, and must not start timers before the commit: use {@code Schedule.at} after, or arm from rows.
 */
public interface AlertListener {
    /** A new alert opened (or a resolved one fired again, which opens it anew). */
    default void opened(Connection db, Alert a) throws SQLException {
    }

    /**
     * Its severity went up while it was open or acknowledged (a warning that became critical): a page that its
     * opening did not warrant may be due now.
     */
    default void raised(Connection db, Alert a) throws SQLException {
    }

    /** Someone acknowledged it (in chat, or the sender with PagerDuty's acknowledge). */
    default void acknowledged(Connection db, Alert a) throws SQLException {
    }

    default void resolved(Connection db, Alert a) throws SQLException {
    }

    /** A silence made in chat covers this open alert: it is not said any more, and it pages nobody. */
    default void silenced(Connection db, Alert a) throws SQLException {
    }
}
