package opsbot.bot.check;

import static opsbot.bot.store.Sql.cut;
import static opsbot.bot.store.Sql.instant;
import static opsbot.bot.store.Sql.odt;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A check's row in {@code check_state}: what the bot knows of it between runs and across restarts.
 *
 * @param failures    failed runs in a row (reset by a passing run)
 * @param streakSince the first failed run of the current streak, or null
 * @param since       when the state began: for failing, the streak's first failed run
 * @param failing     the hosts that failed in the last run
 * @param told        the failing hosts already said in the report places during this failing spell
 * @param seq         state changes said so far: the outbox key's counter
 * @param armed       the schedule its timer was made with; a different one in the config re-arms it
 */
record CheckRow(String name, State state, int failures, Instant streakSince, Instant since, Instant lastRun,
                String lastSummary, List<String> failing, List<String> told, int seq, String armed) {
    enum State { OK, FAILING }

    CheckRow {
        failing = List.copyOf(failing);
        told = List.copyOf(told);
    }

    /** A check the bot has not run yet: ok until shown otherwise. */
    static CheckRow fresh(String name, Instant now) {
        return new CheckRow(name, State.OK, 0, null, now, null, null, List.of(), List.of(), 0, null);
    }

    CheckRow armed(String how) {
        return new CheckRow(name, state, failures, streakSince, since, lastRun, lastSummary, failing, told, seq, how);
    }

    /** Back to ok and nothing known, keeping the counter (a check that leaves the config and comes back). */
    CheckRow forgotten(Instant now) {
        return new CheckRow(name, State.OK, 0, null, now, null, null, List.of(), List.of(), seq, null);
    }

    // --- the table (plain SQL that PostgreSQL reads the same) -------------------------------------------------

    static Map<String, CheckRow> all(Connection db) throws SQLException {
        Map<String, CheckRow> out = new LinkedHashMap<>();
        try (PreparedStatement p = db.prepareStatement("SELECT * FROM check_state ORDER BY name");
             ResultSet r = p.executeQuery()) {
            while (r.next()) {
                CheckRow row = read(r);
                out.put(row.name(), row);
            }
        }
        return out;
    }

    static CheckRow find(Connection db, String name) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("SELECT * FROM check_state WHERE name=?")) {
            p.setString(1, name);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? read(r) : null;
            }
        }
    }

    /** Inserts or updates this row. */
    void save(Connection db) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("UPDATE check_state SET state=?, failures=?, streak_since=?,"
                + " since=?, last_run_at=?, last_summary=?, failing_hosts=?, told_hosts=?, seq=?, armed=? WHERE name=?")) {
            bind(p);
            if (p.executeUpdate() == 1) {
                return;
            }
        }
        try (PreparedStatement p = db.prepareStatement("INSERT INTO check_state (state, failures, streak_since, since,"
                + " last_run_at, last_summary, failing_hosts, told_hosts, seq, armed, name) VALUES (?,?,?,?,?,?,?,?,?,?,?)")) {
            bind(p);
            p.executeUpdate();
        }
    }

    private void bind(PreparedStatement p) throws SQLException {
        p.setString(1, state.name().toLowerCase(java.util.Locale.ROOT));
        p.setInt(2, failures);
        p.setObject(3, odt(streakSince));
        p.setObject(4, odt(since));
        p.setObject(5, odt(lastRun));
        p.setString(6, cut(lastSummary, 1024));
        p.setString(7, hosts(failing));
        p.setString(8, hosts(told));
        p.setInt(9, seq);
        p.setString(10, cut(armed, 512));
        p.setString(11, name);
    }

    private static CheckRow read(ResultSet r) throws SQLException {
        return new CheckRow(r.getString("name"), State.valueOf(r.getString("state").toUpperCase(java.util.Locale.ROOT)),
                r.getInt("failures"), instant(r, "streak_since"), instant(r, "since"), instant(r, "last_run_at"),
                r.getString("last_summary"), hosts(r.getString("failing_hosts")), hosts(r.getString("told_hosts")),
                r.getInt("seq"), r.getString("armed"));
    }

    /** Host names, comma-separated; a list too long for the column keeps the hosts that fit. */
    private static String hosts(List<String> hosts) {
        StringBuilder b = new StringBuilder();
        for (String h : hosts) {
            if (b.length() + h.length() + 1 > 4096) break;
            if (!b.isEmpty()) b.append(',');
            b.append(h);
        }
        return b.toString();
    }

    private static List<String> hosts(String s) {
        return s == null || s.isEmpty() ? List.of() : new ArrayList<>(Arrays.asList(s.split(",")));
    }



}
