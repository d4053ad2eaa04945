package opsbot.bot.testkit;

import opsbot.bot.store.Store;
import opsbot.config.StorageConfig;

import java.time.Instant;

/**
 * What happened to a stopped bot's store meanwhile, for tests that must not wait for a short delay to pass (and
 * race it on a busy machine): a timed row fell due, in its own table and in its Quartz timer.
 */
public final class WhileDown {
    private WhileDown() {
    }

    /**
     * Row {@code id} of {@code table} (its {@code dueColumn}) and the timer named {@code timer} fell due at {@code at}.
     * A row without a timer (as after a crash between the two) is allowed: the bot re-arms it at start.
     */
    public static void fellDue(StorageConfig storage, String table, String dueColumn, long id, String timer, Instant at) {
        try (Store s = Store.open(storage)) {
            s.transaction("make it due", db -> {
                try (var p = db.prepareStatement("UPDATE " + table + " SET " + dueColumn + "=? WHERE id=?")) {
                    p.setObject(1, opsbot.bot.store.Sql.odt(at));
                    p.setLong(2, id);
                    if (p.executeUpdate() != 1) throw new AssertionError("no row " + id + " in " + table);
                }
                try (var p = db.prepareStatement("UPDATE QRTZ_TRIGGERS SET NEXT_FIRE_TIME=? WHERE TRIGGER_NAME=?")) {
                    p.setLong(1, at.toEpochMilli());
                    p.setString(2, timer);
                    p.executeUpdate();
                }
                return null;
            });
        }
    }
}
