package opsbot.bot.alerts;

import static opsbot.bot.store.Sql.instant;
import static opsbot.bot.store.Sql.odt;
import opsbot.config.Durations;
import opsbot.config.ExpectedSpec;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Optional;

/**
 * A source that must report, watched: its row ({@code expected_reports}), and when its report is due. The
 * deadlines come from the spec and the row alone (never from the timer), so a timer that fires early, late or
 * twice only makes the handler look; what it finds is decided here.
 *
 * <ul>
 *   <li>{@code every}: due by the last report (or, before the first, since the watch began) + every + grace.
 *   <li>{@code by}: every day at the clock time in its zone, + grace; missed when nothing came since the day
 *       before's deadline. A clock time the zone skips that day (DST forward) is the moment the clocks jump; a
 *       time it shows twice (DST back) is the first of the two, as {@code When} reads a clock time.
 * </ul>
 */
record Expected(ExpectedSpec spec, ZoneId zone) {
    /** The row: when it last reported, since when it is watched (with which spec), the deadline said missed. */
    record Row(String source, Instant lastSeen, Instant armedAt, String armed, Instant missedFor) {
    }

    /** The spec as stored with the row: a change watches afresh. */
    String armedAs() {
        return (spec.every() != null ? "every " + Durations.format(spec.every()) : "by " + spec.by() + " " + zone.getId())
                + " grace " + Durations.format(spec.grace());
    }

    /** {@code expected by 03:15 Europe/Oslo} or {@code expected every 24h}. */
    String expectation() {
        return spec.every() != null ? "expected every " + Durations.format(spec.every())
                : "expected by " + spec.by().strip() + " " + zone.getId();
    }

    /** The latest deadline at or before {@code now} that counts (after the watch began), or empty. */
    Optional<Instant> lastDeadline(Row r, Instant now) {
        if (spec.every() != null) {
            Instant d = base(r).plus(spec.every()).plus(spec.grace());
            return d.isAfter(now) ? Optional.empty() : Optional.of(d);
        }
        LocalDate day = now.atZone(zone).toLocalDate().plusDays(1);
        for (int i = 0; i < 4; i++, day = day.minusDays(1)) {
            Instant d = deadline(day);
            if (!d.isAfter(now)) {
                return d.isAfter(r.armedAt()) ? Optional.of(d) : Optional.empty();
            }
        }
        return Optional.empty();
    }

    /** Whether nothing came in time for {@code deadline} (one from {@link #lastDeadline}). */
    boolean missed(Row r, Instant deadline) {
        if (spec.every() != null) return true; // the deadline moves with every report: reached means missed
        LocalDate day = deadlineDay(deadline);
        Instant previous = deadline(day.minusDays(1));
        return r.lastSeen() == null || !r.lastSeen().isAfter(previous);
    }

    /**
     * When to look next, after {@code now}: the next deadline; after a miss of an {@code every} source, one
     * interval on (a report moves its deadline later, never earlier, so the look is never late).
     */
    Instant nextLook(Row r, Instant now) {
        if (spec.every() != null) {
            Instant d = base(r).plus(spec.every()).plus(spec.grace());
            return d.isAfter(now) ? d : now.plus(spec.every());
        }
        LocalDate day = now.atZone(zone).toLocalDate().minusDays(1);
        for (int i = 0; i < 5; i++, day = day.plusDays(1)) {
            Instant d = deadline(day);
            if (d.isAfter(now)) return d;
        }
        return now.plus(Duration.ofDays(1));
    }

    private Instant base(Row r) {
        return r.lastSeen() == null || r.lastSeen().isBefore(r.armedAt()) ? r.armedAt() : r.lastSeen();
    }

    /** The deadline of {@code day}: its {@code by} time in the zone, plus the grace. */
    Instant deadline(LocalDate day) {
        return slot(day).plus(spec.grace());
    }

    private LocalDate deadlineDay(Instant deadline) {
        LocalDate day = deadline.minus(spec.grace()).atZone(zone).toLocalDate();
        for (LocalDate d : List.of(day, day.minusDays(1), day.plusDays(1))) {
            if (deadline(d).equals(deadline)) return d;
        }
        return day;
    }

    /** {@code by} on {@code day} in the zone (DST: see the class comment). */
    Instant slot(LocalDate day) {
        LocalDateTime local = LocalDateTime.of(day, byTime());
        List<ZoneOffset> offsets = zone.getRules().getValidOffsets(local);
        if (offsets.isEmpty()) {
            return zone.getRules().getTransition(local).getInstant();
        }
        return ZonedDateTime.ofLocal(local, zone, offsets.get(0)).toInstant();
    }

    private LocalTime byTime() {
        LocalTime t = spec.byTime();
        if (t == null) throw new IllegalStateException("expected report for " + spec.source() + " without a time");
        return t;
    }

    // --- the rows ---

    static Optional<Row> find(Connection db, String source) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("SELECT * FROM expected_reports WHERE source=?")) {
            p.setString(1, source);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? Optional.of(new Row(r.getString("source"), instant(r, "last_seen"),
                        instant(r, "armed_at"), r.getString("armed"), instant(r, "missed_for"))) : Optional.empty();
            }
        }
    }

    /** The row as watched with this spec: made now for a new source, watched afresh when the spec changed. */
    Row arm(Connection db, Instant now) throws SQLException {
        Optional<Row> row = find(db, spec.source());
        String armed = armedAs();
        if (row.isPresent() && row.get().armed().equals(armed)) return row.get();
        if (row.isEmpty()) {
            try (PreparedStatement p = db.prepareStatement(
                    "INSERT INTO expected_reports (source, armed_at, armed) VALUES (?,?,?)")) {
                p.setString(1, spec.source());
                p.setObject(2, odt(now));
                p.setString(3, armed);
                p.executeUpdate();
            }
        } else {
            try (PreparedStatement p = db.prepareStatement(
                    "UPDATE expected_reports SET armed_at=?, armed=?, missed_for=NULL WHERE source=?")) {
                p.setObject(1, odt(now));
                p.setString(2, armed);
                p.setString(3, spec.source());
                p.executeUpdate();
            }
        }
        return find(db, spec.source()).orElseThrow();
    }

    /** The source reported at {@code at}; false when it is not watched (no row). */
    static boolean seen(Connection db, String source, Instant at) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("UPDATE expected_reports SET last_seen=? WHERE source=?")) {
            p.setObject(1, odt(at));
            p.setString(2, source);
            return p.executeUpdate() == 1;
        }
    }

    /** Records that the miss of {@code deadline} was said; false when it was already (a second firing). */
    static boolean markMissed(Connection db, String source, Instant deadline) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("UPDATE expected_reports SET missed_for=? WHERE source=?"
                + " AND (missed_for IS NULL OR missed_for<?)")) {
            p.setObject(1, odt(deadline));
            p.setString(2, source);
            p.setObject(3, odt(deadline));
            return p.executeUpdate() == 1;
        }
    }
}
