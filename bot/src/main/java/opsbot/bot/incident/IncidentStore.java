package opsbot.bot.incident;

import static opsbot.bot.store.Sql.cut;
import static opsbot.bot.store.Sql.instant;
import static opsbot.bot.store.Sql.odt;
import opsbot.bot.store.ChainKey;
import opsbot.bot.store.Store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Incidents and their hash-chained entries in the bot's store. Each append reads the chain's head and
 * writes the entry and the new head in one transaction, so the chain never forks. New entries are linked
 * with the store's chain key ({@link HashChain#hmac}).
 */
public final class IncidentStore {
    private static final int MAX_TEXT = 16384;
    private final Store store;

    public IncidentStore(Store store) {
        this.store = store;
    }

    private ChainKey key() {
        return store.chainKey().orElseThrow(() -> new IllegalStateException(
                "this store was opened without the chain key: it can read incidents, not write them"));
    }

    /** An incident as it is after a change, with the entry that recorded the change. */
    public record Change(Incident incident, Entry entry) {
    }

    /**
     * Runs inside the transaction that writes an entry, with the entry: whatever it writes (the outbox rows
     * that show the entry in the feeds) is stored together with the entry, or not at all.
     */
    public interface Publisher {
        Publisher NONE = (db, c) -> {
        };

        void publish(Connection db, Change c) throws SQLException;
    }

    /** Opens an incident and writes its first entry (who opened it, and why). */
    public Change open(String title, Actor who, Instant at) {
        return open(title, who, at, Publisher.NONE);
    }

    public Change open(String title, Actor who, Instant at, Publisher publisher) {
        return store.transaction("open an incident", db -> openIn(db, title, who, at, publisher));
    }

    /**
     * {@link #open(String, Actor, Instant, Publisher)} inside the caller's transaction (on the store's connection,
     * which the caller holds): the incident and its first entry commit with whatever else the caller writes.
     */
    public Change openIn(Connection db, String title, Actor who, Instant at, Publisher publisher) throws SQLException {
        String t = cut(title.strip(), 512);
        long id;
        try (PreparedStatement p = db.prepareStatement(
                "INSERT INTO incidents (title, opened_at, opened_by, entries, head_hash) VALUES (?,?,?,0,'')",
                Statement.RETURN_GENERATED_KEYS)) {
            p.setString(1, t);
            p.setObject(2, odt(at));
            p.setString(3, cut(who.person(), 256));
            p.executeUpdate();
            try (ResultSet k = p.getGeneratedKeys()) {
                k.next();
                id = k.getLong(1);
            }
        }
        Entry e = append(db, key(), id, EntryKind.OPENED, who, t, at);
        return published(db, publisher, new Change(find(db, id).orElseThrow(), e));
    }

    /** {@link #append(long, EntryKind, Actor, String, Instant, Publisher)} inside the caller's transaction. */
    public Change appendIn(Connection db, long incidentId, EntryKind kind, Actor who, String text, Instant at,
                           Publisher publisher) throws SQLException {
        Entry e = append(db, key(), incidentId, kind, who, text, at);
        return published(db, publisher, new Change(find(db, incidentId).orElseThrow(), e));
    }

    /** The open incidents, oldest first, as the caller's transaction sees them. */
    static List<Incident> openIn(Connection db) throws SQLException {
        List<Incident> out = new ArrayList<>();
        try (Statement s = db.createStatement();
             ResultSet r = s.executeQuery("SELECT * FROM incidents WHERE closed_at IS NULL ORDER BY id")) {
            while (r.next()) out.add(incident(r));
        }
        return out;
    }

    public Entry append(long incidentId, EntryKind kind, Actor who, String text, Instant at) {
        return append(incidentId, kind, who, text, at, Publisher.NONE).entry();
    }

    public Change append(long incidentId, EntryKind kind, Actor who, String text, Instant at, Publisher publisher) {
        ChainKey key = key();
        return store.transaction("write an incident entry", db -> {
            Entry e = append(db, key, incidentId, kind, who, text, at);
            return published(db, publisher, new Change(find(db, incidentId).orElseThrow(), e));
        });
    }

    private static Change published(Connection db, Publisher publisher, Change c) throws SQLException {
        publisher.publish(db, c);
        return c;
    }

    /** Closes the incident, with an entry saying so. */
    public Change close(long incidentId, Actor who, String summary, Instant at) {
        return close(incidentId, who, summary, at, Publisher.NONE);
    }

    public Change close(long incidentId, Actor who, String summary, Instant at, Publisher publisher) {
        return store.transaction("close an incident", db -> {
            String s = summary == null || summary.isBlank() ? null : cut(summary.strip(), 4096);
            Entry e = append(db, key(), incidentId, EntryKind.CLOSED, who, s == null ? "(no summary)" : s, at);
            try (PreparedStatement p = db.prepareStatement(
                    "UPDATE incidents SET closed_at=?, closed_by=?, summary=? WHERE id=?")) {
                p.setObject(1, odt(at));
                p.setString(2, cut(who.person(), 256));
                p.setString(3, s);
                p.setLong(4, incidentId);
                p.executeUpdate();
            }
            return published(db, publisher, new Change(find(db, incidentId).orElseThrow(), e));
        });
    }

    /** Opens a closed incident again (an entry says so). */
    public Change reopen(long incidentId, Actor who, Instant at, Publisher publisher) {
        return store.transaction("reopen an incident", db -> {
            Entry e = append(db, key(), incidentId, EntryKind.REOPENED, who, "reopened", at);
            try (PreparedStatement p = db.prepareStatement(
                    "UPDATE incidents SET closed_at=NULL, closed_by=NULL WHERE id=?")) {
                p.setLong(1, incidentId);
                p.executeUpdate();
            }
            return published(db, publisher, new Change(find(db, incidentId).orElseThrow(), e));
        });
    }

    private static Entry append(Connection db, ChainKey key, long id, EntryKind kind, Actor actor, String text, Instant at)
            throws SQLException {
        int seq;
        String prev;
        try (PreparedStatement p = db.prepareStatement("SELECT entries, head_hash FROM incidents WHERE id=? FOR UPDATE")) {
            p.setLong(1, id);
            try (ResultSet r = p.executeQuery()) {
                if (!r.next()) {
                    throw new SQLException("no incident " + id);
                }
                seq = r.getInt(1) + 1;
                prev = seq == 1 ? HashChain.genesis(id) : r.getString(2);
            }
        }
        Instant when = HashChain.normalise(at);
        String who = cut(actor.person(), 256), network = actor.network(), where = cut(actor.place(), 256);
        String what = cut(text, MAX_TEXT);
        String hash = HashChain.hmac(key, prev, id, seq, when, kind, who, network, where, what);
        try (PreparedStatement p = db.prepareStatement("INSERT INTO incident_entries (incident_id, seq, at, kind, person,"
                + " network, place, text, prev_hash, hash, link) VALUES (?,?,?,?,?,?,?,?,?,?,?)")) {
            p.setLong(1, id);
            p.setInt(2, seq);
            p.setObject(3, odt(when));
            p.setString(4, kind.name());
            p.setString(5, who);
            p.setString(6, network);
            p.setString(7, where);
            p.setString(8, what);
            p.setString(9, prev);
            p.setString(10, hash);
            p.setString(11, HashChain.Link.HMAC_SHA256.stored);
            p.executeUpdate();
        }
        try (PreparedStatement p = db.prepareStatement("UPDATE incidents SET entries=?, head_hash=?, head_mac=? WHERE id=?")) {
            p.setInt(1, seq);
            p.setString(2, hash);
            p.setString(3, key.head(id, seq, hash));
            p.setLong(4, id);
            p.executeUpdate();
        }
        return new Entry(id, seq, when, kind, who, network, where, what, prev, hash);
    }

    public Optional<Incident> find(long id) {
        return store.transaction("read an incident", db -> find(db, id));
    }

    static Optional<Incident> find(Connection db, long id) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("SELECT * FROM incidents WHERE id=?")) {
            p.setLong(1, id);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? Optional.of(incident(r)) : Optional.empty();
            }
        }
    }

    /** Open incidents, oldest first, then the newest closed ones, up to {@code closedLimit}. */
    public List<Incident> list(int closedLimit) {
        return store.transaction("list incidents", db -> {
            List<Incident> out = new ArrayList<>();
            try (Statement s = db.createStatement();
                 ResultSet r = s.executeQuery("SELECT * FROM incidents WHERE closed_at IS NULL ORDER BY id")) {
                while (r.next()) out.add(incident(r));
            }
            try (PreparedStatement p = db.prepareStatement(
                    "SELECT * FROM incidents WHERE closed_at IS NOT NULL ORDER BY id DESC LIMIT ?")) {
                p.setInt(1, closedLimit);
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) out.add(incident(r));
                }
            }
            return out;
        });
    }

    public List<Entry> entries(long incidentId) {
        return stored(incidentId).stream().map(Stored::entry).toList();
    }

    /** An entry with how it is linked to the one before. */
    private record Stored(Entry entry, String link) {
    }

    private List<Stored> stored(long incidentId) {
        return store.transaction("read incident entries", db -> {
            List<Stored> out = new ArrayList<>();
            try (PreparedStatement p = db.prepareStatement(
                    "SELECT * FROM incident_entries WHERE incident_id=? ORDER BY seq")) {
                p.setLong(1, incidentId);
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        out.add(new Stored(new Entry(r.getLong("incident_id"), r.getInt("seq"), instant(r, "at"),
                                EntryKind.valueOf(r.getString("kind")), r.getString("person"), r.getString("network"),
                                r.getString("place"), r.getString("text"), r.getString("prev_hash"), r.getString("hash")),
                                r.getString("link")));
                    }
                }
            }
            return out;
        });
    }

    private String headMac(long incidentId) {
        return store.transaction("read an incident's head", db -> {
            try (PreparedStatement p = db.prepareStatement("SELECT head_mac FROM incidents WHERE id=?")) {
                p.setLong(1, incidentId);
                try (ResultSet r = p.executeQuery()) {
                    return r.next() && r.getString(1) != null ? r.getString(1).strip() : "";
                }
            }
        });
    }

    /** The seal made over an incident's unkeyed entries when the store was upgraded to keyed chains. */
    private record Seal(int entries, String headHash, String seal) {
    }

    private Optional<Seal> seal(long incidentId) {
        return store.transaction("read a chain seal", db -> {
            try (PreparedStatement p = db.prepareStatement(
                    "SELECT entries, head_hash, seal FROM chain_seals WHERE incident_id=?")) {
                p.setLong(1, incidentId);
                try (ResultSet r = p.executeQuery()) {
                    return r.next() ? Optional.of(new Seal(r.getInt(1), r.getString(2).strip(), r.getString(3).strip()))
                            : Optional.empty();
                }
            }
        });
    }

    /** Every id, for verifying them all. */
    public List<Long> ids() {
        return store.transaction("list incident ids", db -> {
            List<Long> out = new ArrayList<>();
            try (Statement s = db.createStatement(); ResultSet r = s.executeQuery("SELECT id FROM incidents ORDER BY id")) {
                while (r.next()) out.add(r.getLong(1));
            }
            return out;
        });
    }

    /**
     * Recomputes the chain from the start and names the first entry that no longer fits: altered content,
     * a gap in the numbering (a removed entry), a link to the wrong predecessor, or a head that does not
     * match the last entry (the last entry removed). With the chain key, a keyed entry's link must be its
     * HMAC, so a consistent rewrite by someone without the key is named too; the unkeyed entries from before
     * the upgrade must be exactly those the upgrade sealed. Without the key (a reader), only the linkage is
     * checked, and the answer is never more than {@link Verification.LinkageOnly}.
     */
    public Verification verify(long id) {
        Optional<Incident> inc = find(id);
        if (inc.isEmpty()) {
            return new Verification.NoSuchIncident(id);
        }
        ChainKey key = store.chainKey().orElse(null);
        List<Stored> entries = stored(id);
        String prev = HashChain.genesis(id);
        int expected = 1, unkeyed = 0;
        String unkeyedHead = null;
        for (Stored s : entries) {
            Entry e = s.entry();
            if (e.seq() != expected) {
                return new Verification.Broken(id, expected, "entry " + expected + " is missing (next stored is " + e.seq() + ")");
            }
            if (!e.prevHash().equals(prev)) {
                return new Verification.Broken(id, e.seq(), "does not link to entry " + (e.seq() - 1));
            }
            HashChain.Link link;
            try {
                link = HashChain.Link.of(s.link());
            } catch (IllegalArgumentException x) {
                return new Verification.Broken(id, e.seq(), x.getMessage());
            }
            String h;
            if (link == HashChain.Link.SHA256) {
                if (unkeyed != e.seq() - 1) {
                    return new Verification.Broken(id, e.seq(), "an unkeyed (SHA-256) entry after keyed ones: rewritten without the chain key");
                }
                unkeyed++;
                h = HashChain.hash(e);
                unkeyedHead = h;
            } else if (key != null) {
                h = HashChain.hmac(key, e);
            } else {
                h = e.hash();
            }
            if (!h.equals(e.hash())) {
                return new Verification.Broken(id, e.seq(), "content altered (" + e.kind().verb + " by " + e.person() + " at "
                        + e.at() + ")");
            }
            prev = h;
            expected++;
        }
        Incident i = inc.get();
        if (i.entries() != entries.size() || !i.headHash().equals(prev)) {
            return new Verification.Broken(id, entries.size() + 1, "the incident counts " + i.entries()
                    + " entries but " + entries.size() + " are stored: entries after " + entries.size() + " were removed");
        }
        if (!entries.isEmpty() && !entries.get(0).entry().text().equals(i.title())) {
            return new Verification.Broken(id, 0, "the title was altered (entry 1 says \"" + entries.get(0).entry().text() + "\")");
        }
        if (key != null && unkeyed < entries.size() && !key.head(id, i.entries(), i.headHash()).equals(headMac(id))) {
            return new Verification.Broken(id, entries.size() + 1, "the incident's head was set back without the chain key:"
                    + " entries after " + entries.size() + " were removed");
        }
        if (unkeyed > 0 && key != null) {
            int n = unkeyed;
            Optional<Seal> seal = seal(id);
            boolean sealed = seal.isPresent() && seal.get().entries() == unkeyed && seal.get().headHash().equals(unkeyedHead)
                    && seal.get().seal().equals(key.seal(id, unkeyed, unkeyedHead));
            if (!sealed) {
                int first = seal.filter(x -> x.entries() < n && x.entries() > 0).map(x -> x.entries() + 1).orElse(1);
                return new Verification.Broken(id, first, "entries " + first + "–" + unkeyed + " are unkeyed (SHA-256),"
                        + " but the seal made when the store was upgraded does not cover them: rewritten without the chain key");
            }
        }
        if (key == null) {
            // Even an all-SHA-256 chain: relabelled and recomputed, it would look the same without the key.
            return new Verification.LinkageOnly(id, entries.size(), prev);
        }
        return new Verification.Intact(id, entries.size(), prev);
    }

    /** The network message an incident's thread hangs from in one room, if it was posted. */
    static Optional<String> threadRoot(Connection db, long incidentId, String network, String place) throws SQLException {
        try (PreparedStatement p = db.prepareStatement(
                "SELECT root FROM incident_threads WHERE incident_id=? AND network=? AND place=?")) {
            p.setLong(1, incidentId);
            p.setString(2, network);
            p.setString(3, place);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? Optional.of(r.getString(1)) : Optional.empty();
            }
        }
    }

    /** Records the root of an incident's thread in a room (once: a repeated root is ignored). */
    static void setThreadRoot(Connection db, long incidentId, String network, String place, String root) throws SQLException {
        if (threadRoot(db, incidentId, network, place).isPresent()) return;
        try (PreparedStatement p = db.prepareStatement(
                "INSERT INTO incident_threads (incident_id, network, place, root) VALUES (?,?,?,?)")) {
            p.setLong(1, incidentId);
            p.setString(2, network);
            p.setString(3, place);
            p.setString(4, root);
            p.executeUpdate();
        }
    }

    /** The incident whose thread hangs from {@code root} in that room, if any. */
    public Optional<Long> incidentOfThread(String network, String place, String root) {
        return store.transaction("look up a thread", db -> {
            try (PreparedStatement p = db.prepareStatement(
                    "SELECT incident_id FROM incident_threads WHERE network=? AND place=? AND root=?")) {
                p.setString(1, network);
                p.setString(2, place);
                p.setString(3, root);
                try (ResultSet r = p.executeQuery()) {
                    return r.next() ? Optional.of(r.getLong(1)) : Optional.empty();
                }
            }
        });
    }

    private static Incident incident(ResultSet r) throws SQLException {
        return new Incident(r.getLong("id"), r.getString("title"), instant(r, "opened_at"), r.getString("opened_by"),
                instant(r, "closed_at"), r.getString("closed_by"), r.getString("summary"), r.getInt("entries"),
                r.getString("head_hash").strip());
    }



}
