package opsbot.bot.alerts;

import static opsbot.bot.store.Sql.cut;
import static opsbot.bot.store.Sql.instant;
import static opsbot.bot.store.Sql.odt;
import opsbot.bot.alerts.Alert.State;
import opsbot.config.Severity;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * One row of the {@code alerts} table: an episode of a source's key, from its first firing to its resolution.
 * All methods run inside the caller's transaction.
 *
 * @param fired      events folded into it (firings; acks and resolves are not counted)
 * @param saidAt     when a line about it was last said (the dedup window runs from here), or null
 * @param told       its opening was said and its listeners told
 * @param silencedBy the silence that held it quiet when it last fired, or null
 * @param seq        lines said about it so far (each line's outbox key has its number)
 */
record AlertRow(long id, String source, String key, State state, Severity severity, String host, String summary,
                String details, int fired, Instant firstAt, Instant lastAt, Instant saidAt, boolean told, Long silencedBy,
                String ackedBy, Instant ackedAt, Instant resolvedAt, int seq, Long lastEvent) {
    static final int MAX_KEY = 512;
    static final int MAX_SUMMARY = 1024;
    static final int MAX_DETAILS = 4096;

    String shortId() {
        return "A" + id;
    }

    boolean live() {
        return state != State.RESOLVED;
    }

    /**
     * The key as stored: as given up to {@link #MAX_KEY} characters, else a digest of it (two long keys that
     * share their first 512 characters must stay two alerts).
     */
    static String storedKey(String key) {
        if (key.length() <= MAX_KEY) return key;
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return "sha256:" + HexFormat.of().formatHex(h);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String liveKey(String source, String key) {
        return source + " " + key; // a source name has no space (config check), so this is unambiguous; no NUL: PostgreSQL refuses it
    }

    /** The unresolved alert of {@code source}'s {@code key}, if there is one. */
    static Optional<AlertRow> live(Connection db, String source, String key) throws SQLException {
        try (PreparedStatement p = db.prepareStatement(SELECT + " FROM alerts WHERE live_key=?")) {
            p.setString(1, liveKey(source, storedKey(key)));
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? Optional.of(of(r)) : Optional.empty();
            }
        }
    }

    static Optional<AlertRow> find(Connection db, long id) throws SQLException {
        try (PreparedStatement p = db.prepareStatement(SELECT + " FROM alerts WHERE id=?")) {
            p.setLong(1, id);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? Optional.of(of(r)) : Optional.empty();
            }
        }
    }

    /** {@code A12}, {@code a12}, {@code 12}: the id, or empty when the word is none. */
    static Optional<Long> parseId(String word) {
        String w = word == null ? "" : word.strip();
        if (w.length() > 1 && (w.charAt(0) == 'A' || w.charAt(0) == 'a')) w = w.substring(1);
        return w.matches("[0-9]{1,15}") ? Optional.of(Long.parseLong(w)) : Optional.empty();
    }

    /** A new open alert from its first event; its id is the table's. */
    static AlertRow insert(Connection db, Event e, long eventId, Instant now, boolean told, Long silencedBy)
            throws SQLException {
        String key = storedKey(e.key());
        try (PreparedStatement p = db.prepareStatement("INSERT INTO alerts (source, alert_key, live_key, state, severity,"
                + " host, summary, details, fired, first_at, last_at, said_at, told, silenced_by, seq, last_event)"
                + " VALUES (?,?,?,?,?,?,?,?,1,?,?,NULL,?,?,0,?)", new String[]{"id"})) {
            p.setString(1, e.source());
            p.setString(2, key);
            p.setString(3, liveKey(e.source(), key));
            p.setString(4, State.OPEN.name());
            p.setString(5, e.severity().name());
            p.setString(6, cut(e.host(), 256));
            p.setString(7, cut(e.summary(), MAX_SUMMARY));
            p.setString(8, cut(e.details(), MAX_DETAILS));
            p.setObject(9, odt(now));
            p.setObject(10, odt(now));
            p.setBoolean(11, told);
            setLong(p, 12, silencedBy);
            setLong(p, 13, eventId > 0 ? eventId : null);
            p.executeUpdate();
            try (ResultSet k = p.getGeneratedKeys()) {
                k.next();
                return find(db, k.getLong(1)).orElseThrow();
            }
        }
    }

    /** Writes the row's changeable columns back (by id). */
    void save(Connection db) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("UPDATE alerts SET live_key=?, state=?, severity=?, host=?,"
                + " summary=?, details=?, fired=?, last_at=?, said_at=?, told=?, silenced_by=?, acked_by=?, acked_at=?,"
                + " resolved_at=?, seq=?, last_event=? WHERE id=?")) {
            p.setString(1, live() ? liveKey(source, key) : null);
            p.setString(2, state.name());
            p.setString(3, severity.name());
            p.setString(4, cut(host, 256));
            p.setString(5, cut(summary, MAX_SUMMARY));
            p.setString(6, cut(details, MAX_DETAILS));
            p.setInt(7, fired);
            p.setObject(8, odt(lastAt));
            p.setObject(9, odt(saidAt));
            p.setBoolean(10, told);
            setLong(p, 11, silencedBy);
            p.setString(12, cut(ackedBy, 512));
            p.setObject(13, odt(ackedAt));
            p.setObject(14, odt(resolvedAt));
            p.setInt(15, seq);
            setLong(p, 16, lastEvent);
            p.setLong(17, id);
            p.executeUpdate();
        }
    }

    /** Unresolved alerts (newest first), then those resolved since {@code since} (newest first), at most {@code limit}. */
    static List<AlertRow> recent(Connection db, Instant since, int limit) throws SQLException {
        List<AlertRow> out = new ArrayList<>();
        try (PreparedStatement p = db.prepareStatement(
                SELECT + " FROM alerts WHERE state IN ('OPEN','ACKNOWLEDGED') ORDER BY last_at DESC, id DESC LIMIT ?")) {
            p.setInt(1, limit);
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) out.add(of(r));
            }
        }
        if (out.size() < limit) {
            try (PreparedStatement p = db.prepareStatement(SELECT + " FROM alerts WHERE state='RESOLVED' AND resolved_at>=?"
                    + " ORDER BY resolved_at DESC, id DESC LIMIT ?")) {
                p.setObject(1, odt(since));
                p.setInt(2, limit - out.size());
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) out.add(of(r));
                }
            }
        }
        return out;
    }

    /** How many alerts are unresolved, and how many resolved since {@code since}. */
    static int[] counts(Connection db, Instant since) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("SELECT SUM(CASE WHEN state<>'RESOLVED' THEN 1 ELSE 0 END),"
                + " SUM(CASE WHEN state='RESOLVED' AND resolved_at>=? THEN 1 ELSE 0 END) FROM alerts"
                + " WHERE state<>'RESOLVED' OR resolved_at>=?")) {
            p.setObject(1, odt(since));
            p.setObject(2, odt(since));
            try (ResultSet r = p.executeQuery()) {
                r.next();
                return new int[]{r.getInt(1), r.getInt(2)};
            }
        }
    }

    private static void setLong(PreparedStatement p, int i, Long v) throws SQLException {
        if (v == null) p.setNull(i, Types.BIGINT);
        else p.setLong(i, v);
    }

    private static Long getLong(ResultSet r, int column) throws SQLException {
        long v = r.getLong(column);
        return r.wasNull() ? null : v;
    }

    /**
     * The columns {@link #of} reads, by position: every event of a storm reads its alert, and a column looked up by
     * name makes the driver build a map of the result's column names for each query.
     */
    private static final String SELECT = "SELECT id, source, alert_key, state, severity, host, summary, details, fired,"
            + " first_at, last_at, said_at, told, silenced_by, acked_by, acked_at, resolved_at, seq, last_event";

    private static AlertRow of(ResultSet r) throws SQLException {
        return new AlertRow(r.getLong(1), r.getString(2), r.getString(3), State.valueOf(r.getString(4)),
                Severity.valueOf(r.getString(5)), r.getString(6), r.getString(7), r.getString(8), r.getInt(9),
                instant(r, 10), instant(r, 11), instant(r, 12), r.getBoolean(13), getLong(r, 14), r.getString(15),
                instant(r, 16), instant(r, 17), r.getInt(18), getLong(r, 19));
    }

    // --- changes: a new row value, saved by the caller ---

    AlertRow fired(Event e, long eventId, Instant now, Severity sev, Long silence) {
        return new AlertRow(id, source, key, state, sev, e.host() != null ? e.host() : host, e.summary(),
                e.details() != null ? e.details() : details, fired + 1, firstAt, now, saidAt, told, silence, ackedBy,
                ackedAt, resolvedAt, seq, eventId > 0 ? Long.valueOf(eventId) : lastEvent);
    }

    /** One more line said about it, now. */
    AlertRow said(Instant now) {
        return new AlertRow(id, source, key, state, severity, host, summary, details, fired, firstAt, lastAt, now, told,
                silencedBy, ackedBy, ackedAt, resolvedAt, seq + 1, lastEvent);
    }

    AlertRow announced() {
        return new AlertRow(id, source, key, state, severity, host, summary, details, fired, firstAt, lastAt, saidAt,
                true, silencedBy, ackedBy, ackedAt, resolvedAt, seq, lastEvent);
    }

    AlertRow acked(String by, Instant at) {
        return new AlertRow(id, source, key, State.ACKNOWLEDGED, severity, host, summary, details, fired, firstAt, lastAt,
                saidAt, told, silencedBy, by, at, resolvedAt, seq, lastEvent);
    }

    AlertRow resolved(Instant at, long eventId) {
        return new AlertRow(id, source, key, State.RESOLVED, severity, host, summary, details, fired, firstAt, lastAt,
                saidAt, told, silencedBy, ackedBy, ackedAt, at, seq, eventId > 0 ? Long.valueOf(eventId) : lastEvent);
    }
}
