package opsbot.bot.alerts;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * Folds one stored event into alert state, inside the transaction that stored it: the event, the alert's new
 * state and the outbox rows it causes are committed together, so an accepted event is said exactly once even
 * if the bot dies right after answering the sender.
 */
@FunctionalInterface
public interface Folder {
    /** @param eventId the stored event's row id */
    void fold(Connection db, long eventId, Event e) throws SQLException;

    Folder NONE = (db, id, e) -> {
    };
}
