package opsbot.bot.followup;

import static opsbot.bot.store.Sql.cut;
import static opsbot.bot.store.Sql.odt;
import opsbot.bot.followup.FollowUp.Kind;
import opsbot.bot.followup.FollowUp.State;
import opsbot.bot.store.Store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The {@code followups} table. Every state change is conditional on the state it leaves
 * ({@code UPDATE … WHERE state IN (…)}): of two firings, or a firing and a {@code !run}, only one wins.
 * Methods taking a {@link Connection} run inside the caller's transaction (with its outbox rows).
 */
final class FollowUpStore {
    static final int MAX_TEXT = 1000;
    static final int MAX_RESULT = 4000;

    private final Store store;

    FollowUpStore(Store store) {
        this.store = store;
    }

    Store store() {
        return store;
    }

    /** Stores a new pending follow-up; its id is the table's. */
    FollowUp add(Kind kind, Instant due, Instant now, String asker, String person, String nick, String network,
                 String place, String text, Long incidentId) {
        long id = store.transaction("store a follow-up", db -> {
            try (PreparedStatement p = db.prepareStatement("INSERT INTO followups (kind, due_at, created_at, asker, person,"
                    + " nick, network, place, text, incident_id, state) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    new String[]{"id"})) {
                p.setString(1, kind.db());
                p.setObject(2, odt(due));
                p.setObject(3, odt(now));
                p.setString(4, asker);
                p.setString(5, person);
                p.setString(6, cut(nick, 256));
                p.setString(7, network);
                p.setString(8, place);
                p.setString(9, cut(text, MAX_TEXT));
                if (incidentId == null) p.setNull(10, Types.BIGINT);
                else p.setLong(10, incidentId);
                p.setString(11, State.PENDING.db());
                p.executeUpdate();
                try (ResultSet k = p.getGeneratedKeys()) {
                    k.next();
                    return k.getLong(1);
                }
            }
        });
        return find(id).orElseThrow();
    }

    Optional<FollowUp> find(long id) {
        return store.transaction("read a follow-up", db -> find(db, id));
    }

    static Optional<FollowUp> find(Connection db, long id) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("SELECT * FROM followups WHERE id=?")) {
            p.setLong(1, id);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? Optional.of(row(r)) : Optional.empty();
            }
        }
    }

    /**
     * The first {@code limit} in {@code state}, soonest due first. Ordered by the index's own columns (state
     * first, though it is fixed): H2 then reads only those rows off the index instead of sorting all 10,000.
     */
    List<FollowUp> inState(State state, int limit) {
        return inState(state, limit, null);
    }

    /** As {@link #inState(State, int)}, only those asked in {@code place} (network, place) when it is given. */
    List<FollowUp> inState(State state, int limit, Where place) {
        return store.transaction("read follow-ups", db -> {
            try (PreparedStatement p = db.prepareStatement("SELECT * FROM followups WHERE state=?"
                    + (place == null ? "" : " AND network=? AND place=?") + " ORDER BY state, due_at, id LIMIT ?")) {
                int i = 1;
                p.setString(i++, state.db());
                if (place != null) {
                    p.setString(i++, place.network());
                    p.setString(i++, place.place());
                }
                p.setInt(i, limit);
                List<FollowUp> out = new ArrayList<>();
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) out.add(row(r));
                }
                return out;
            }
        });
    }

    /** Ids and due times of every follow-up in {@code state} (start-up: which need a timer). */
    List<long[]> dueTimes(State state) {
        return store.transaction("read follow-ups", db -> {
            try (PreparedStatement p = db.prepareStatement("SELECT id, due_at FROM followups WHERE state=?")) {
                p.setString(1, state.db());
                List<long[]> out = new ArrayList<>();
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        out.add(new long[]{r.getLong(1), r.getObject(2, OffsetDateTime.class).toInstant().toEpochMilli()});
                    }
                }
                return out;
            }
        });
    }

    /** How many pending follow-ups {@code asker} (an identity key) has. */
    int pendingOf(String asker) {
        return store.transaction("count follow-ups", db -> {
            try (PreparedStatement p = db.prepareStatement("SELECT COUNT(*) FROM followups WHERE state=? AND asker=?")) {
                p.setString(1, State.PENDING.db());
                p.setString(2, asker);
                try (ResultSet r = p.executeQuery()) {
                    r.next();
                    return r.getInt(1);
                }
            }
        });
    }

    /** A place follow-ups were asked in. */
    record Where(String network, String place) {
    }

    int count(State state) {
        return count(state, null);
    }

    int count(State state, Where place) {
        return store.transaction("count follow-ups", db -> {
            try (PreparedStatement p = db.prepareStatement("SELECT COUNT(*) FROM followups WHERE state=?"
                    + (place == null ? "" : " AND network=? AND place=?"))) {
                p.setString(1, state.db());
                if (place != null) {
                    p.setString(2, place.network());
                    p.setString(3, place.place());
                }
                try (ResultSet r = p.executeQuery()) {
                    r.next();
                    return r.getInt(1);
                }
            }
        });
    }

    /**
     * Moves {@code id} to {@code to} if it is in one of {@code from}; false when it was not (someone else moved it
     * first). {@code result} and {@code firedAt} are kept when null.
     */
    static boolean move(Connection db, long id, State to, String result, Instant firedAt, State... from) throws SQLException {
        return move(db, id, to, result, firedAt, null, from);
    }

    /**
     * As {@link #move(Connection, long, State, String, Instant, State...)}, and only if it is due by {@code dueBy}
     * (when given): a timer on its way when the follow-up was snoozed finds it no longer due and changes nothing.
     */
    static boolean move(Connection db, long id, State to, String result, Instant firedAt, Instant dueBy, State... from)
            throws SQLException {
        String in = Arrays.stream(from).map(s -> "?").collect(Collectors.joining(","));
        try (PreparedStatement p = db.prepareStatement("UPDATE followups SET state=?, result=COALESCE(?, result),"
                + " fired_at=COALESCE(?, fired_at) WHERE id=? AND state IN (" + in + ")"
                + (dueBy == null ? "" : " AND due_at <= ?"))) {
            p.setString(1, to.db());
            p.setString(2, result == null ? null : cut(result, MAX_RESULT));
            if (firedAt == null) p.setNull(3, Types.TIMESTAMP_WITH_TIMEZONE);
            else p.setObject(3, odt(firedAt));
            p.setLong(4, id);
            for (int i = 0; i < from.length; i++) p.setString(5 + i, from[i].db());
            if (dueBy != null) p.setObject(5 + from.length, odt(dueBy));
            return p.executeUpdate() == 1;
        }
    }

    boolean move(long id, State to, String result, Instant firedAt, State... from) {
        return store.transaction("change a follow-up", db -> move(db, id, to, result, firedAt, from));
    }

    /** A pending follow-up's new due time; false when it is no longer pending. */
    boolean snooze(long id, Instant due) {
        return store.transaction("snooze a follow-up", db -> {
            try (PreparedStatement p = db.prepareStatement("UPDATE followups SET due_at=? WHERE id=? AND state=?")) {
                p.setObject(1, odt(due));
                p.setLong(2, id);
                p.setString(3, State.PENDING.db());
                return p.executeUpdate() == 1;
            }
        });
    }

    private static FollowUp row(ResultSet r) throws SQLException {
        long inc = r.getLong("incident_id");
        Long incident = r.wasNull() ? null : inc;
        OffsetDateTime fired = r.getObject("fired_at", OffsetDateTime.class);
        return new FollowUp(r.getLong("id"), Kind.of(r.getString("kind")),
                r.getObject("due_at", OffsetDateTime.class).toInstant(),
                r.getObject("created_at", OffsetDateTime.class).toInstant(), r.getString("asker"), r.getString("person"),
                r.getString("nick"), r.getString("network"), r.getString("place"), r.getString("text"), incident,
                State.of(r.getString("state")), r.getString("result"), fired == null ? null : fired.toInstant());
    }


}
