package opsbot.bot.duty;

import static opsbot.bot.store.Sql.cut;
import static opsbot.bot.store.Sql.instant;
import static opsbot.bot.store.Sql.odt;

import opsbot.bot.outbox.Target;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The {@code duty_pages} table. Every change of a page is conditional on the step and state it was read at. */
final class Pages {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Pages.class);
    /** How many PAGING rows a sweep looks at, at most (each is an open alert at or above page-at). */
    static final int SWEEP_LIMIT = 10_000;
    /** Finished pages are kept this long: as long as the alerts keep resolved alerts and their events. */
    static final Duration KEEP = Duration.ofDays(30);
    /** Pages {@link #prune} forgets at most per run (a run holds the store's one connection: it stays short). */
    static final int PRUNE_BATCH = 5_000;

    private Pages() {
    }

    static long add(Connection db, long alertId, String severity, String about, List<Target> targets, Instant openedAt)
            throws SQLException {
        try (PreparedStatement p = db.prepareStatement("INSERT INTO duty_pages (alert_id, severity, about, targets, step,"
                + " state, opened_at, next_due) VALUES (?,?,?,?,0,'PAGING',?,?)", Statement.RETURN_GENERATED_KEYS)) {
            p.setLong(1, alertId);
            p.setString(2, cut(severity, 16));
            p.setString(3, cut(about, 1024));
            p.setString(4, targets(targets));
            p.setObject(5, odt(openedAt));
            p.setObject(6, odt(openedAt)); // the first mention is due at once
            p.executeUpdate();
            try (ResultSet k = p.getGeneratedKeys()) {
                k.next();
                return k.getLong(1);
            }
        }
    }

    static Optional<Page> find(Connection db, long id) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("SELECT * FROM duty_pages WHERE id=?")) {
            p.setLong(1, id);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? Optional.of(row(r)) : Optional.empty();
            }
        }
    }

    /** The alert's pages still going (PAGING). */
    static List<Page> paging(Connection db, long alertId) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("SELECT * FROM duty_pages WHERE alert_id=? AND state='PAGING'"
                + " ORDER BY id")) {
            p.setLong(1, alertId);
            return rows(p);
        }
    }

    /** Every page still going, soonest first, bounded: what the sweep compares with the armed timers. */
    static List<Page> paging(Connection db) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("SELECT * FROM duty_pages WHERE state='PAGING'"
                + " ORDER BY next_due LIMIT " + SWEEP_LIMIT)) {
            return rows(p);
        }
    }

    /**
     * Moves a page from step {@code from} to {@code to} (and to {@code state}, due next at {@code nextDue}), only if
     * it is still paging at {@code from}: false when a firing, an ack or a resolve got there first.
     */
    static boolean step(Connection db, long id, int from, int to, Page.State state, Instant nextDue) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("UPDATE duty_pages SET step=?, state=?, next_due=?"
                + " WHERE id=? AND step=? AND state='PAGING'")) {
            p.setInt(1, to);
            p.setString(2, state.name());
            p.setObject(3, odt(nextDue));
            p.setLong(4, id);
            p.setInt(5, from);
            return p.executeUpdate() == 1;
        }
    }

    /** Stops every page of the alert still going ({@code why}: acknowledged by, resolved); how many it stopped. */
    static int stop(Connection db, long alertId, String why, Instant at) throws SQLException {
        // Lines of this alert's pages still waiting in the outbox (a network that is down) are not sent after the
        // ack or the resolve: a page that arrives later would wake someone for nothing. They are marked, not
        // deleted: a line the sender is writing at this moment still goes out, and its row then says SENT.
        try (PreparedStatement p = db.prepareStatement("UPDATE outbox SET state='WITHDRAWN', sent_at=? WHERE state='PENDING'"
                + " AND EXISTS (SELECT 1 FROM duty_pages d WHERE d.alert_id=? AND outbox.msg_key LIKE CONCAT('page:', d.id, ':%'))")) {
            p.setObject(1, odt(at));
            p.setLong(2, alertId);
            p.executeUpdate();
        }
        PageLines.drop(db, alertId); // steps held for a digest: the digest does not name them
        int n;
        try (PreparedStatement p = db.prepareStatement("UPDATE duty_pages SET state='STOPPED', next_due=NULL,"
                + " stopped_at=?, stopped_why=? WHERE alert_id=? AND state='PAGING'")) {
            p.setObject(1, odt(at));
            p.setString(2, cut(why, 256));
            p.setLong(3, alertId);
            n = p.executeUpdate();
        }
        withdrawDigests(db, alertId, at);
        return n;
    }

    /**
     * Digest lines ({@code pages:812}) still waiting in the outbox that sum up steps of this alert are withdrawn as
     * its own lines are, once every alert they sum up stopped paging (this one just did): a digest that still names
     * an alert paging (or done paging but unacknowledged) goes out. Driven by the alert's rows (index
     * duty_lines_page), each digest then looked at by its key: a few rows, whatever the table holds.
     */
    private static void withdrawDigests(Connection db, long alertId, Instant at) throws SQLException {
        record Key(String network, String place, String key) {
        }
        List<Key> keys = new ArrayList<>();
        try (PreparedStatement p = db.prepareStatement("SELECT DISTINCT network, place, msg_key FROM duty_lines WHERE page_id IN"
                + " (SELECT id FROM duty_pages WHERE alert_id=?) AND state='DIGESTED' AND msg_key LIKE 'pages:%'")) {
            p.setLong(1, alertId);
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) keys.add(new Key(r.getString(1), r.getString(2), r.getString(3)));
            }
        }
        if (keys.isEmpty()) return;
        try (PreparedStatement p = db.prepareStatement("UPDATE outbox SET state='WITHDRAWN', sent_at=? WHERE network=? AND place=?"
                + " AND msg_key=? AND state='PENDING' AND NOT EXISTS (SELECT 1 FROM duty_lines l JOIN duty_pages d ON d.id=l.page_id"
                + " WHERE l.msg_key=? AND l.network=? AND l.place=? AND l.state='DIGESTED' AND d.state<>'STOPPED')")) {
            for (Key k : keys) {
                p.setObject(1, odt(at));
                p.setString(2, k.network());
                p.setString(3, k.place());
                p.setString(4, k.key());
                p.setString(5, k.key());
                p.setString(6, k.network());
                p.setString(7, k.place());
                if (p.executeUpdate() > 0) {
                    log.info("duty: the digest {} to {} {} waiting in the outbox is withdrawn: none of its alerts pages any more",
                            k.key(), k.network(), k.place());
                }
            }
        }
    }

    /**
     * Forgets pages finished more than {@link #KEEP} ago, at most {@link #PRUNE_BATCH}, oldest first: STOPPED ones by
     * when they stopped, DONE ones (every step said, never acknowledged) by when they opened (their last step was
     * minutes later), once their alert is resolved or gone: the ack of an alert still open reads its DONE pages. A
     * page with a step still HELD for a digest stays until the digest said it. What else names a page: its
     * lines' {@code duty_lines.page_id} (pruned after a day, {@link PageLines#KEEP}; the digest withdrawal joins them
     * to the pages, and a line whose page is gone simply matches nothing), and the outbox keys of its steps
     * ({@code page:12:2}), kept a month by the outbox. Neither can be taken for another page's: ids come from an
     * identity column, which never hands out an id again, deleted or not.
     */
    static int prune(Connection db, Instant now) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("DELETE FROM duty_pages WHERE id IN (SELECT d.id FROM duty_pages d"
                + " WHERE d.state IN ('STOPPED','DONE') AND COALESCE(d.stopped_at, d.opened_at) < ?"
                // a DONE page of an alert still open is still read by the alert's ack (its waiting lines, digests)
                + " AND (d.state='STOPPED' OR NOT EXISTS (SELECT 1 FROM alerts a WHERE a.id=d.alert_id AND a.state<>'RESOLVED'))"
                + " AND NOT EXISTS"
                + " (SELECT 1 FROM duty_lines l WHERE l.page_id=d.id AND l.state='HELD') ORDER BY d.id LIMIT " + PRUNE_BATCH + ")")) {
            p.setObject(1, odt(now.minus(KEEP)));
            return p.executeUpdate();
        }
    }

    /**
     * {@code network TAB place} a line: places have neither (IRC channels, Matrix room aliases and IDs). Past the
     * column's size the rest are left out and logged (the alert is still said there by its route): a page never
     * makes the event's transaction fail.
     */
    private static String targets(List<Target> ts) {
        StringBuilder b = new StringBuilder();
        int left = 0;
        for (Target t : ts) {
            String line = t.network() + "\t" + t.place();
            if (b.length() + 1 + line.length() > 4096) {
                left++;
                continue;
            }
            if (!b.isEmpty()) b.append('\n');
            b.append(line);
        }
        if (left > 0) log.warn("duty: a page goes to {} of its {} targets (no room for more)", ts.size() - left, ts.size());
        return b.toString();
    }

    private static List<Target> targets(String s) {
        List<Target> out = new ArrayList<>();
        for (String line : s.split("\n")) {
            int tab = line.indexOf('\t');
            if (tab > 0) out.add(new Target(line.substring(0, tab), line.substring(tab + 1)));
        }
        return out;
    }

    private static List<Page> rows(PreparedStatement p) throws SQLException {
        List<Page> out = new ArrayList<>();
        try (ResultSet r = p.executeQuery()) {
            while (r.next()) out.add(row(r));
        }
        return out;
    }

    private static Page row(ResultSet r) throws SQLException {
        return new Page(r.getLong("id"), r.getLong("alert_id"), r.getString("severity"), r.getString("about"),
                targets(r.getString("targets")), r.getInt("step"), Page.State.valueOf(r.getString("state")),
                instant(r, "opened_at"), instant(r, "next_due"));
    }
}
