package opsbot.bot.duty;

import static opsbot.bot.store.Sql.cut;
import static opsbot.bot.store.Sql.instant;
import static opsbot.bot.store.Sql.odt;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.Optional;

/** The {@code duty_overrides} table: every take and give, kept as the record of who had duty when. */
final class Overrides {
    private Overrides() {
    }

    /** The newest override covering {@code at}, if any. */
    static Optional<Roster.Override> at(Connection db, Instant at) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("SELECT * FROM duty_overrides WHERE from_at <= ? AND until_at > ?"
                + " ORDER BY id DESC LIMIT 1")) {
            p.setObject(1, odt(at));
            p.setObject(2, odt(at));
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? Optional.of(row(r)) : Optional.empty();
            }
        }
    }

    /** Stores a take or give made by {@code by} in {@code network}/{@code place}; returns it with its id. */
    static Roster.Override add(Connection db, String primary, String secondary, Instant from, Instant until, String how,
                               String by, String network, String place) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("INSERT INTO duty_overrides (primary_name, secondary_name, from_at,"
                + " until_at, how, by_name, network, place) VALUES (?,?,?,?,?,?,?,?)", Statement.RETURN_GENERATED_KEYS)) {
            p.setString(1, primary);
            p.setString(2, secondary);
            p.setObject(3, odt(from));
            p.setObject(4, odt(until));
            p.setString(5, how);
            p.setString(6, cut(by, 256));
            p.setString(7, cut(network, 32));
            p.setString(8, cut(place, 256));
            p.executeUpdate();
            try (ResultSet k = p.getGeneratedKeys()) {
                k.next();
                return new Roster.Override(k.getLong(1), primary, secondary, from, until, how, by);
            }
        }
    }

    private static Roster.Override row(ResultSet r) throws SQLException {
        return new Roster.Override(r.getLong("id"), r.getString("primary_name"), r.getString("secondary_name"),
                instant(r, "from_at"), instant(r, "until_at"), r.getString("how"), r.getString("by_name"));
    }
}
