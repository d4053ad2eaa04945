package opsbot.bot.duty;

import static opsbot.bot.store.Sql.cut;
import static opsbot.bot.store.Sql.instant;
import static opsbot.bot.store.Sql.odt;

import opsbot.bot.outbox.Target;
import opsbot.bot.outbox.Window;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The {@code duty_lines} table: each page step said to a target, with its own line (SAID) or held back because the
 * target's page budget was spent (HELD), and the digest lines that sum up held steps (SAID, no page). Every change
 * is made in the transaction of the step or digest it belongs to, so the budget and the held steps survive a crash
 * exactly as the lines in the outbox do.
 */
final class PageLines {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(PageLines.class);
    /** The page budget's span: at most {@code pages-per-minute} lines to a target in any such time. */
    static final Duration SPAN = Window.SPAN;
    /** Held steps a digest names by alert id, at most (the line has room for far fewer anyway). */
    static final int IDS_READ = 60;
    /** Labels a digest counts, at most. */
    static final int LABELS_READ = 3;
    /** Said, digested and dropped rows are kept this long (the window needs a minute of them). */
    static final Duration KEEP = Duration.ofDays(1);
    /** The size of the {@code who} column. */
    static final int WHO_CHARS = 1024;
    /** Rows {@link #prune} forgets at most per run. */
    static final int PRUNE_BATCH = 5_000;

    private PageLines() {
    }

    /**
     * A target's page budget now: the outbox's sliding window over its newest SAID rows (index duty_lines_target read
     * backwards; H2 reads it in order only with all its columns).
     */
    static Window window(Connection db, Target t, int perMinute) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("SELECT at FROM duty_lines WHERE network=? AND place=? AND state='SAID'"
                + " ORDER BY network DESC, place DESC, state DESC, at DESC LIMIT ?")) {
            p.setString(1, t.network());
            p.setString(2, t.place());
            p.setInt(3, perMinute);
            List<Instant> recent = new ArrayList<>();
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) recent.add(instant(r, "at"));
            }
            return new Window(perMinute, recent);
        }
    }

    /**
     * A step's own line to {@code t} (its outbox key {@code key}) was written at {@code at}, mentioning {@code who}
     * (names). Earlier steps of the page still held for {@code t} that page only people this line mentions are said
     * by it (it names the alert and is newer): marked as summed up in this line. A held step that paged someone else
     * (the primary's repeat, held, then the secondary's own line) stays held: the digest still mentions them.
     */
    static void said(Connection db, Target t, Page p, int step, String key, List<String> who, Instant at) throws SQLException {
        Set<String> mentioned = Set.copyOf(who);
        List<Long> absorbed = new ArrayList<>();
        // A page's held rows to one target: at most one per step (four).
        try (PreparedStatement q = db.prepareStatement("SELECT id, who FROM duty_lines WHERE page_id=? AND network=?"
                + " AND place=? AND state='HELD'")) {
            q.setLong(1, p.id());
            q.setString(2, t.network());
            q.setString(3, t.place());
            try (ResultSet r = q.executeQuery()) {
                while (r.next()) {
                    if (mentioned.containsAll(names(r.getString(2)))) absorbed.add(r.getLong(1));
                }
            }
        }
        try (PreparedStatement u = db.prepareStatement("UPDATE duty_lines SET state='DIGESTED', msg_key=?"
                + " WHERE id=? AND state='HELD'")) {
            for (long id : absorbed) {
                u.setString(1, key);
                u.setLong(2, id);
                u.executeUpdate();
            }
        }
        insert(db, t, p.id(), p.alertId(), step, null, null, "SAID", at, key);
    }

    /** The names a row's {@code who} holds (one a line). */
    static List<String> names(String who) {
        if (who == null) return List.of();
        List<String> out = new ArrayList<>();
        for (String n : who.split("\n")) if (!n.isBlank()) out.add(n);
        return out;
    }

    /** A digest line to {@code t} was written at {@code at}. */
    static void digestSaid(Connection db, Target t, String key, Instant at) throws SQLException {
        insert(db, t, null, null, null, null, null, "SAID", at, key);
    }

    /** A step whose line to {@code t} is held for the target's digest: whom it pages (names), and what it is about. */
    static void hold(Connection db, Target t, Page p, int step, List<String> who, Instant at) throws SQLException {
        insert(db, t, p.id(), p.alertId(), step, whole(who), label(p), "HELD", at, null);
    }

    /**
     * The names one a line, as many whole names as the column holds (a name cut in half would name nobody, or
     * someone else); the digest has room for far fewer mentions anyway.
     */
    static String whole(List<String> who) {
        StringBuilder b = new StringBuilder();
        int left = 0;
        for (String n : who) {
            if (b.length() + (b.isEmpty() ? 0 : 1) + n.length() > WHO_CHARS) {
                left++;
                continue;
            }
            if (!b.isEmpty()) b.append('\n');
            b.append(n);
        }
        if (left > 0) log.info("duty: a held page names {} of the {} people it pages (no room for more)", who.size() - left, who.size());
        return b.toString();
    }

    private static void insert(Connection db, Target t, Long pageId, Long alertId, Integer step, String who, String label,
                               String state, Instant at, String key) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("INSERT INTO duty_lines (network, place, page_id, alert_id, step,"
                + " who, label, state, at, msg_key) VALUES (?,?,?,?,?,?,?,?,?,?)")) {
            p.setString(1, t.network());
            p.setString(2, t.place());
            p.setObject(3, pageId, java.sql.Types.BIGINT);
            p.setObject(4, alertId, java.sql.Types.BIGINT);
            p.setObject(5, step, java.sql.Types.INTEGER);
            p.setString(6, who); // whole names, at most WHO_CHARS (see whole)
            p.setString(7, label == null ? null : cut(label, 128));
            p.setString(8, state);
            p.setObject(9, odt(at));
            p.setString(10, key);
            p.executeUpdate();
        }
    }

    /** {@code critical backup imap3}: what a digest counts a page by (its about up to the summary). */
    static String label(Page p) {
        String about = p.about();
        int colon = about.indexOf(": ");
        return p.severity() + " " + (colon > 0 ? about.substring(0, colon) : about);
    }

    /**
     * What a target's held steps are, as a digest says them.
     *
     * @param count  held steps
     * @param firstId the oldest held row: it is in no other digest, so the digest's key is named by it
     * @param lastId the newest held row: with {@code count}, names the set (rows only leave HELD, and new ones have
     *               higher ids), so a digest can tell that the set it rendered is the one it marks
     * @param ids    the alerts, lowest first, at most {@link #IDS_READ}
     * @param alerts how many alerts
     * @param who    the people the steps page, by name, each once, in the order they were first held
     * @param labels the most frequent labels with their counts
     * @param steps  held steps per step number (index 1..4)
     */
    record Held(long count, long firstId, long lastId, Instant oldest, List<Long> ids, long alerts, List<String> who,
                List<Labelled> labels, long[] steps) {
        boolean isEmpty() {
            return count == 0;
        }
    }

    record Labelled(String label, long n) {
    }

    /** The target's HELD rows, summed up (bounded reads: counts, the first ids, the top labels). */
    static Held held(Connection db, Target t) throws SQLException {
        String where = " FROM duty_lines WHERE network=? AND place=? AND state='HELD'";
        long count, firstId, lastId, alerts;
        Instant oldest;
        try (PreparedStatement p = db.prepareStatement("SELECT COUNT(*), MIN(id), MAX(id), MIN(at) AS oldest,"
                + " COUNT(DISTINCT alert_id)" + where)) {
            bind(p, t);
            try (ResultSet r = p.executeQuery()) {
                r.next();
                count = r.getLong(1);
                firstId = r.getLong(2);
                lastId = r.getLong(3);
                oldest = count == 0 ? null : instant(r, "oldest");
                alerts = r.getLong(5);
            }
        }
        if (count == 0) return new Held(0, 0, 0, null, List.of(), 0, List.of(), List.of(), new long[5]);
        List<Long> ids = new ArrayList<>();
        try (PreparedStatement p = db.prepareStatement("SELECT DISTINCT alert_id" + where + " ORDER BY alert_id LIMIT " + IDS_READ)) {
            bind(p, t);
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) ids.add(r.getLong(1));
            }
        }
        Set<String> who = new LinkedHashSet<>();
        try (PreparedStatement p = db.prepareStatement("SELECT who, MIN(id) AS first" + where + " GROUP BY who ORDER BY first")) {
            bind(p, t);
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    who.addAll(names(r.getString(1)));
                }
            }
        }
        List<Labelled> labels = new ArrayList<>();
        try (PreparedStatement p = db.prepareStatement("SELECT label, COUNT(*) AS n" + where
                + " GROUP BY label ORDER BY n DESC, label LIMIT " + LABELS_READ)) {
            bind(p, t);
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) labels.add(new Labelled(r.getString(1), r.getLong(2)));
            }
        }
        long[] steps = new long[5];
        try (PreparedStatement p = db.prepareStatement("SELECT step, COUNT(*)" + where + " GROUP BY step")) {
            bind(p, t);
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    int s = r.getInt(1);
                    if (s >= 1 && s <= 4) steps[s] = r.getLong(2);
                }
            }
        }
        return new Held(count, firstId, lastId, oldest, List.copyOf(ids), alerts, List.copyOf(who), List.copyOf(labels), steps);
    }

    /** {@code {count, newest id}} of the target's HELD rows: which set they are (see {@link Held#lastId}). */
    static long[] tally(Connection db, Target t) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("SELECT COUNT(*), MAX(id) FROM duty_lines WHERE network=? AND place=?"
                + " AND state='HELD'")) {
            bind(p, t);
            try (ResultSet r = p.executeQuery()) {
                r.next();
                return new long[] {r.getLong(1), r.getLong(2)};
            }
        }
    }

    /** Marks the target's HELD rows up to {@code lastId} as summed up in the digest {@code key}; how many. */
    static int digested(Connection db, Target t, long lastId, String key) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("UPDATE duty_lines SET state='DIGESTED', msg_key=?"
                + " WHERE network=? AND place=? AND state='HELD' AND id<=?")) {
            p.setString(1, key);
            p.setString(2, t.network());
            p.setString(3, t.place());
            p.setLong(4, lastId);
            return p.executeUpdate();
        }
    }

    /** The alert's held steps are not said: it was acknowledged, silenced or resolved (in that transaction). */
    static int drop(Connection db, long alertId) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("UPDATE duty_lines SET state='DROPPED' WHERE state='HELD'"
                + " AND page_id IN (SELECT id FROM duty_pages WHERE alert_id=?)")) {
            p.setLong(1, alertId);
            return p.executeUpdate();
        }
    }

    static final String HELD_TARGETS = "SELECT DISTINCT network, place FROM duty_lines WHERE state='HELD'";

    /** Every target with held steps (few: the channels and rooms pages go to), by index duty_lines_held. */
    static List<Target> heldTargets(Connection db) throws SQLException {
        try (PreparedStatement p = db.prepareStatement(HELD_TARGETS);
             ResultSet r = p.executeQuery()) {
            List<Target> out = new ArrayList<>();
            while (r.next()) out.add(new Target(r.getString(1), r.getString(2)));
            return out;
        }
    }

    /**
     * Forgets rows that are no longer held and older than {@link #KEEP} (the outbox keeps the lines themselves), at
     * most {@link #PRUNE_BATCH} of them, oldest first: a run holds the store's one connection, so it stays short.
     */
    static int prune(Connection db, Instant now) throws SQLException {
        // A DIGESTED row stays while its digest still waits in the outbox (a network down for more than KEEP): an ack
        // finds the digest to withdraw through these rows.
        try (PreparedStatement p = db.prepareStatement("DELETE FROM duty_lines WHERE id IN (SELECT l.id FROM duty_lines l"
                + " WHERE l.state<>'HELD' AND l.at<? AND NOT (l.state='DIGESTED' AND EXISTS (SELECT 1 FROM outbox o"
                + " WHERE o.network=l.network AND o.place=l.place AND o.msg_key=l.msg_key AND o.state='PENDING'))"
                + " ORDER BY l.id LIMIT " + PRUNE_BATCH + ")")) {
            p.setObject(1, odt(now.minus(KEEP)));
            return p.executeUpdate();
        }
    }

    private static void bind(PreparedStatement p, Target t) throws SQLException {
        p.setString(1, t.network());
        p.setString(2, t.place());
    }
}
