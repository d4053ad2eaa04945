package opsbot.bot.alerts;

import static opsbot.bot.store.Sql.cut;
import static opsbot.bot.store.Sql.instant;
import static opsbot.bot.store.Sql.odt;
import opsbot.commands.model.Inventory;
import opsbot.config.Globs;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A silence: alerts it matches are stored and counted but not said, and page nobody, until it ends (expires by
 * itself, or is lifted with {@code !unsilence}). It matches by source, host or key, each a glob; a key silence may
 * be limited to one source (made from an alert's id).
 *
 * @param source   for a key silence: only this source's key; else null
 * @param network  where it was made ({@code irc}, {@code matrix}): its expiry is said there
 */
record Silence(long id, What what, String pattern, String source, String reason, Instant until, Instant createdAt,
               String madeBy, String network, String place, State state, Instant endedAt, String endedBy) {
    enum What { SOURCE, HOST, KEY }

    enum State { ACTIVE, EXPIRED, LIFTED }

    String tag() {
        return "S" + id;
    }

    /** {@code host imap3}, {@code source backup}, {@code key disk-full (backup)}. */
    String describe() {
        return what.name().toLowerCase(Locale.ROOT) + " " + pattern + (source == null ? "" : " (" + source + ")");
    }

    boolean matches(Event e, Inventory inventory) {
        return switch (what) {
            case SOURCE -> Globs.matches(pattern, e.source());
            case KEY -> (source == null || source.equals(e.source()))
                    && (Globs.matches(pattern, e.key()) || pattern.equals(AlertRow.storedKey(e.key()))); // a long key as stored
            case HOST -> e.host() != null && (Globs.matches(pattern, e.host())
                    || inventory.host(e.host()).map(h -> h.name().equalsIgnoreCase(pattern)).orElse(false));
        };
    }

    static Optional<Long> parseId(String word) {
        String w = word == null ? "" : word.strip();
        if (w.length() > 1 && (w.charAt(0) == 'S' || w.charAt(0) == 's')) w = w.substring(1);
        return w.matches("[0-9]{1,15}") ? Optional.of(Long.parseLong(w)) : Optional.empty();
    }

    static Silence add(Connection db, What what, String pattern, String source, String reason, Instant until,
                       Instant now, String madeBy, String network, String place) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("INSERT INTO silences (what, pattern, source, reason, until_at,"
                + " created_at, made_by, network, place, state) VALUES (?,?,?,?,?,?,?,?,?,'ACTIVE')", new String[]{"id"})) {
            p.setString(1, what.name());
            p.setString(2, cut(pattern, 512));
            p.setString(3, source);
            p.setString(4, cut(reason, 512));
            p.setObject(5, odt(until));
            p.setObject(6, odt(now));
            p.setString(7, cut(madeBy, 256));
            p.setString(8, network);
            p.setString(9, cut(place, 256));
            p.executeUpdate();
            try (ResultSet k = p.getGeneratedKeys()) {
                k.next();
                return find(db, k.getLong(1)).orElseThrow();
            }
        }
    }

    static Optional<Silence> find(Connection db, long id) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("SELECT * FROM silences WHERE id=?")) {
            p.setLong(1, id);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? Optional.of(of(r)) : Optional.empty();
            }
        }
    }

    /** Active silences not past their end at {@code now}, soonest end first. */
    static List<Silence> active(Connection db, Instant now) throws SQLException {
        List<Silence> out = new ArrayList<>();
        try (PreparedStatement p = db.prepareStatement(
                "SELECT * FROM silences WHERE state='ACTIVE' AND until_at>? ORDER BY until_at, id")) {
            p.setObject(1, odt(now));
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) out.add(of(r));
            }
        }
        return out;
    }

    /** Every active silence, also those past their end whose timer has not run yet: (id, end) pairs. */
    static List<long[]> activeEnds(Connection db) throws SQLException {
        List<long[]> out = new ArrayList<>();
        try (PreparedStatement p = db.prepareStatement("SELECT id, until_at FROM silences WHERE state='ACTIVE'");
             ResultSet r = p.executeQuery()) {
            while (r.next()) out.add(new long[]{r.getLong(1), instant(r, "until_at").toEpochMilli()});
        }
        return out;
    }

    /** Ends it if it is still active (and, for an expiry, due by {@code at}); false when something else ended it. */
    static boolean end(Connection db, long id, State to, Instant at, String by) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("UPDATE silences SET state=?, ended_at=?, ended_by=? WHERE id=?"
                + " AND state='ACTIVE'" + (to == State.EXPIRED ? " AND until_at<=?" : ""))) {
            p.setString(1, to.name());
            p.setObject(2, odt(at));
            p.setString(3, cut(by, 256));
            p.setLong(4, id);
            if (to == State.EXPIRED) p.setObject(5, odt(at));
            return p.executeUpdate() == 1;
        }
    }

    private static Silence of(ResultSet r) throws SQLException {
        return new Silence(r.getLong("id"), What.valueOf(r.getString("what")), r.getString("pattern"),
                r.getString("source"), r.getString("reason"), instant(r, "until_at"), instant(r, "created_at"),
                r.getString("made_by"), r.getString("network"), r.getString("place"), State.valueOf(r.getString("state")),
                instant(r, "ended_at"), r.getString("ended_by"));
    }
}
