package opsbot.bot.incident;

import opsbot.bot.store.ChainKey;
import opsbot.bot.store.LegacyDatabase;
import opsbot.bot.store.Store;
import opsbot.config.StorageConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The hash chain on a real H2 file: any altered or removed row is named by verify. */
class IncidentStoreTest {
    @TempDir
    Path dir;
    private StorageConfig cfg;
    private Store store;
    private IncidentStore incidents;
    private final Instant t0 = Instant.parse("2026-11-23T03:12:04.123456Z");

    @BeforeEach
    void setUp() throws Exception {
        cfg = StorageConfig.embedded(dir.resolve("db").toString());
        store = Store.open(cfg);
        incidents = new IncidentStore(store);
    }

    @AfterEach
    void tearDown() {
        store.close();
    }

    /** Opens INC-1 with four entries after the opening one. */
    private Incident sample() {
        Incident i = incidents.open("compute4 frozen", new Actor("alice", "irc", "#ops"), t0).incident();
        incidents.append(i.id(), EntryKind.CONFIRMED, new Actor("alice", "irc", "#ops"), "fo -K compute4 → admin1: utils/FailOver.pl -K compute4", t0.plusSeconds(5));
        incidents.append(i.id(), EntryKind.COMMAND, new Actor("alice", "irc", "#ops"), "fo -K compute4 → ✓ admin1 · exit 0\nfailed over 3 IPs", t0.plusSeconds(6));
        incidents.append(i.id(), EntryKind.NOTE, new Actor("bob", "matrix", "!room:localhost"), "leap second; ntpd froze it", t0.plusSeconds(60));
        incidents.append(i.id(), EntryKind.DENIED, new Actor("dave", "matrix", "!room:localhost"), "fo -m compute4 — denied", t0.plusSeconds(61));
        return incidents.find(i.id()).orElseThrow();
    }

    /**
     * Changes the database behind the bot's back, as a careless (or malicious) admin with SQL would: someone
     * with the database password, but not the chain key.
     */
    private void tamper(String sql) throws Exception {
        String pw = Files.readString(Path.of(cfg.path() + ".db-password")).strip();
        try (Connection c = DriverManager.getConnection(cfg.url(), "opsbot", pw); Statement s = c.createStatement()) {
            assertEquals(1, s.executeUpdate(sql), sql);
        }
    }

    /** The incident's entries from {@code from} on, rewritten consistently: each linked with {@code link}. */
    private void rewrite(long id, int from, String newText, java.util.function.UnaryOperator<Entry> relink,
                         boolean markUnkeyed) throws Exception {
        List<Entry> es = incidents.entries(id);
        String prev = from == 1 ? HashChain.genesis(id) : es.get(from - 2).hash();
        for (Entry e : es.subList(from - 1, es.size())) {
            String text = e.seq() == from ? newText : e.text();
            Entry moved = new Entry(id, e.seq(), e.at(), e.kind(), e.person(), e.network(), e.place(), text, prev, null);
            String h = relink.apply(moved).hash();
            tamper("UPDATE incident_entries SET text='" + text.replace("'", "''") + "', prev_hash='" + prev + "', hash='"
                    + h + "'" + (markUnkeyed ? ", link='sha256'" : "") + " WHERE incident_id=" + id + " AND seq=" + e.seq());
            prev = h;
        }
        tamper("UPDATE incidents SET head_hash='" + prev + "'" + (from == 1 ? ", title='" + newText + "'" : "")
                + " WHERE id=" + id);
    }

    private static java.util.function.UnaryOperator<Entry> with(java.util.function.Function<Entry, String> link) {
        return e -> new Entry(e.incidentId(), e.seq(), e.at(), e.kind(), e.person(), e.network(), e.place(), e.text(),
                e.prevHash(), link.apply(e));
    }

    /** The same store, opened as {@code opsbot incident verify} would be without the key file. */
    private Verification verifyWithoutTheKey(long id) throws Exception {
        store.close();
        Path key = Path.of(cfg.path() + ".chain-key"), away = dir.resolve("key-elsewhere");
        Files.move(key, away);
        try (Store reader = Store.openReader(cfg)) {
            return new IncidentStore(reader).verify(id);
        } finally {
            Files.move(away, key);
            store = Store.open(cfg);
            incidents = new IncidentStore(store);
        }
    }

    @Test
    void anUntouchedChainIsIntactAndSurvivesReopeningTheStore() throws Exception {
        Incident i = sample();
        assertEquals(5, i.entries());
        assertInstanceOf(Verification.Intact.class, incidents.verify(i.id()));
        store.close();
        store = Store.open(cfg);
        incidents = new IncidentStore(store);
        Verification v = incidents.verify(i.id());
        assertEquals(new Verification.Intact(i.id(), 5, i.headHash()), v);
        List<Entry> es = incidents.entries(i.id());
        assertEquals(Instant.parse("2026-11-23T03:12:04.123Z"), es.get(0).at(), "stored at millisecond precision");
        assertEquals("failed over 3 IPs", es.get(2).detail());
    }

    @Test
    void anAlteredEntryIsNamed() throws Exception {
        Incident i = sample();
        tamper("UPDATE incident_entries SET text='nothing to see' WHERE incident_id=" + i.id() + " AND seq=4");
        Verification v = incidents.verify(i.id());
        assertEquals(4, ((Verification.Broken) v).seq(), v.describe());
        assertTrue(v.describe().contains("content altered"), v.describe());
    }

    @Test
    void anAlteredPersonOrTimeIsNamedToo() throws Exception {
        Incident i = sample();
        tamper("UPDATE incident_entries SET at=DATEADD('HOUR', 1, at) WHERE incident_id=" + i.id() + " AND seq=2");
        assertEquals(2, ((Verification.Broken) incidents.verify(i.id())).seq());
    }

    @Test
    void aRemovedEntryInTheMiddleIsNamed() throws Exception {
        Incident i = sample();
        tamper("DELETE FROM incident_entries WHERE incident_id=" + i.id() + " AND seq=3");
        Verification v = incidents.verify(i.id());
        assertEquals(3, ((Verification.Broken) v).seq(), v.describe());
        assertTrue(v.describe().contains("missing"), v.describe());
    }

    @Test
    void aRemovedLastEntryIsNoticed() throws Exception {
        Incident i = sample();
        tamper("DELETE FROM incident_entries WHERE incident_id=" + i.id() + " AND seq=5");
        Verification v = incidents.verify(i.id());
        assertEquals(5, ((Verification.Broken) v).seq(), v.describe());
    }

    @Test
    void anEntryRehashedInPlaceWithSha256IsNamed() throws Exception {
        Incident i = sample();
        Entry e = incidents.entries(i.id()).get(1);
        String forged = HashChain.hash(e.prevHash(), i.id(), 2, e.at(), e.kind(), e.person(), e.network(), e.place(), "nothing");
        tamper("UPDATE incident_entries SET text='nothing', hash='" + forged + "' WHERE incident_id=" + i.id() + " AND seq=2");
        Verification v = incidents.verify(i.id());
        assertEquals(2, ((Verification.Broken) v).seq(), v.describe());
    }

    /**
     * Someone with the database but not the key rewrites entry 3 and relinks everything after it, as the old
     * unkeyed chain allowed: the linkage holds, so verify without the key cannot tell; with the key it names entry 3.
     */
    @Test
    void aConsistentRewriteWithoutTheKeyPassesLinkageButNotKeyedVerify() throws Exception {
        Incident i = sample();
        rewrite(i.id(), 3, "fo -K compute4 → ✗ admin1 · exit 1", with(HashChain::hash), false);
        Verification keyed = incidents.verify(i.id());
        assertEquals(new Verification.Broken(i.id(), 3, "content altered (ran by alice at 2026-11-23T03:12:10.123Z)"), keyed);
        Verification linkage = verifyWithoutTheKey(i.id());
        assertInstanceOf(Verification.LinkageOnly.class, linkage, linkage.describe());
        assertTrue(linkage.describe().endsWith("; linkage only: without the chain key a rewrite of the entries cannot be"
                + " told from the original"), linkage.describe());
    }

    /**
     * The whole keyed incident relabelled as unkeyed ('sha256') and its SHA-256 chain recomputed: without the key
     * (no HMAC, no seal, no head MAC to check) verify must still never say "intact", only "linkage only".
     */
    @Test
    void aKeyedIncidentRelabelledAsUnkeyedIsNeverIntactWithoutTheKey() throws Exception {
        Incident i = sample();
        rewrite(i.id(), 1, "routine maintenance", with(HashChain::hash), true);
        Verification v = verifyWithoutTheKey(i.id());
        assertEquals(Verification.LinkageOnly.class, v.getClass(), v.describe());
        assertEquals(5, ((Verification.LinkageOnly) v).entries());
        assertFalse(v.describe().contains("intact,") && !v.describe().contains("linkage"), v.describe());
        assertTrue(v.describe().startsWith("INC-1: linkage intact, 5 entries"), v.describe());
        assertEquals(1, ((Verification.Broken) incidents.verify(i.id())).seq(), "with the key it is named");
    }

    @Test
    void aConsistentRewriteWithAnotherKeyIsNamed() throws Exception {
        Incident i = sample();
        ChainKey other = new ChainKey(ChainKey.generate());
        rewrite(i.id(), 2, "nothing happened", with(e -> HashChain.hmac(other, e)), false);
        Verification v = incidents.verify(i.id());
        assertEquals(2, ((Verification.Broken) v).seq(), v.describe());
        assertInstanceOf(Verification.LinkageOnly.class, verifyWithoutTheKey(i.id()));
    }

    /** Passing keyed entries off as old unkeyed ones does not work: the upgrade sealed those that existed. */
    @Test
    void aRewriteThatMarksEntriesAsUnkeyedIsNamed() throws Exception {
        Incident i = sample();
        rewrite(i.id(), 1, "routine maintenance", with(HashChain::hash), true);
        Verification v = incidents.verify(i.id());
        assertEquals(1, ((Verification.Broken) v).seq(), v.describe());
        assertTrue(v.describe().contains("unkeyed (SHA-256), but the seal made when the store was upgraded does not"
                + " cover them"), v.describe());
    }

    /** The last entry cut off and the incident's count and head set back to the one before: consistent, unkeyed. */
    @Test
    void aCutOffTailWithTheHeadSetBackIsNoticedWithTheKey() throws Exception {
        Incident i = sample();
        Entry fourth = incidents.entries(i.id()).get(3);
        tamper("DELETE FROM incident_entries WHERE incident_id=" + i.id() + " AND seq=5");
        tamper("UPDATE incidents SET entries=4, head_hash='" + fourth.hash() + "' WHERE id=" + i.id());
        Verification v = incidents.verify(i.id());
        assertEquals(new Verification.Broken(i.id(), 5, "the incident's head was set back without the chain key:"
                + " entries after 4 were removed"), v);
        assertInstanceOf(Verification.LinkageOnly.class, verifyWithoutTheKey(i.id()), "linkage alone cannot tell");
    }

    @Test
    void anAlteredTitleIsNoticed() throws Exception {
        Incident i = sample();
        tamper("UPDATE incidents SET title='routine maintenance' WHERE id=" + i.id());
        assertEquals(0, ((Verification.Broken) incidents.verify(i.id())).seq());
    }

    @Test
    void chainsAreSeparatePerIncidentAndCloseIsAnEntry() {
        Incident a = sample();
        Incident b = incidents.open("imap2 slow", new Actor("bob", "matrix", "!r:x"), t0.plusSeconds(100)).incident();
        Incident closed = incidents.close(a.id(), new Actor("bob", "irc", "#ops"), "leap second froze compute4; failed over", t0.plusSeconds(200)).incident();
        assertFalse(closed.isOpen());
        assertEquals("leap second froze compute4; failed over", closed.summary());
        assertEquals(EntryKind.CLOSED, incidents.entries(a.id()).get(5).kind());
        assertEquals(List.of(b.id(), a.id()), incidents.list(5).stream().map(Incident::id).toList(), "open first, then closed");
        assertInstanceOf(Verification.Intact.class, incidents.verify(a.id()));
        assertInstanceOf(Verification.Intact.class, incidents.verify(b.id()));
        assertNotEquals(HashChain.genesis(a.id()), HashChain.genesis(b.id()));
    }

    @Test
    void theReportHasTheWholeTimelineInBothZones() {
        Incident i = incidents.close(sample().id(), new Actor("bob", "irc", "#ops"), "failed over; compute4 reinstalled", t0.plusSeconds(3600)).incident();
        String md = Report.markdown(i, incidents.entries(i.id()), incidents.verify(i.id()), java.time.ZoneId.of("Europe/Berlin"));
        assertTrue(md.startsWith("# INC-" + i.id() + ": compute4 frozen\n"), md);
        assertTrue(md.contains("2026-11-23 03:12:04 UTC (2026-11-23 04:12:04 CET)"), md);
        assertTrue(md.contains("People involved:** alice, bob, dave"), md);
        assertTrue(md.contains("chain intact, 6 entries"), md);
        assertTrue(md.contains("**03:13:04** (04:13:04) bob via matrix in !room:localhost note: leap second; ntpd froze it"), md);
        assertTrue(md.contains("```\nfailed over 3 IPs\n```"), md);
        assertTrue(md.contains("## Summary\n\nfailed over; compute4 reinstalled"), md);
        assertTrue(md.contains("(after 1h0m)"), md);
    }

    /** A store from before keyed chains: its SHA-256 chains still verify, sealed; new entries are keyed. */
    @Test
    void oldUnkeyedChainsStillVerifyAndNewEntriesAreKeyed() throws Exception {
        store.close();
        Path old = dir.resolve("old/opsbot");
        LegacyDatabase.create(old, 3);
        cfg = StorageConfig.embedded(old.toString());
        store = Store.open(cfg);
        incidents = new IncidentStore(store);
        assertEquals(new Verification.Intact(1, 3, incidents.find(1).orElseThrow().headHash()), incidents.verify(1));
        incidents.append(1, EntryKind.NOTE, new Actor("bob", "irc", "#ops"), "after the upgrade", LegacyDatabase.T0.plusSeconds(60));
        assertInstanceOf(Verification.Intact.class, incidents.verify(1));
        assertInstanceOf(Verification.Intact.class, incidents.verify(2));
        assertEquals(List.of("sha256", "sha256", "sha256", "hmac-sha256"), links(1));

        // An old entry rewritten consistently with SHA-256: in incident 1 the keyed entry 4 no longer links;
        // incident 2 has no keyed entry, and the seal names the rewrite.
        rewrite(1, 2, "nothing", with(HashChain::hash), false);
        assertEquals(4, ((Verification.Broken) incidents.verify(1)).seq(), incidents.verify(1).describe());
        rewrite(2, 2, "nothing", with(HashChain::hash), false);
        Verification v = incidents.verify(2);
        assertEquals(new Verification.Broken(2, 1, "entries 1–3 are unkeyed (SHA-256), but the seal made when the store"
                + " was upgraded does not cover them: rewritten without the chain key"), v);
    }

    /** A new unkeyed entry appended to an old chain after the upgrade is named. */
    @Test
    void anUnkeyedEntryAddedAfterTheUpgradeIsNamed() throws Exception {
        store.close();
        Path old = dir.resolve("old/opsbot");
        LegacyDatabase.create(old, 2);
        cfg = StorageConfig.embedded(old.toString());
        store = Store.open(cfg);
        incidents = new IncidentStore(store);
        Incident i = incidents.find(2).orElseThrow();
        Instant at = LegacyDatabase.T0.plusSeconds(99);
        String h = HashChain.hash(i.headHash(), 2, 3, at, EntryKind.NOTE, "mallory", "irc", "#ops", "all fine");
        tamper("INSERT INTO incident_entries (incident_id, seq, at, kind, person, network, place, text, prev_hash, hash, link)"
                + " VALUES (2, 3, TIMESTAMP WITH TIME ZONE '2026-11-23 03:13:43.123+00:00', 'NOTE', 'mallory', 'irc', '#ops',"
                + " 'all fine', '" + i.headHash() + "', '" + h + "', 'sha256')");
        tamper("UPDATE incidents SET entries=3, head_hash='" + h + "' WHERE id=2");
        Verification v = incidents.verify(2);
        assertEquals(3, ((Verification.Broken) v).seq(), v.describe());
    }

    private List<String> links(long id) throws Exception {
        String pw = Files.readString(Path.of(cfg.path() + ".db-password")).strip();
        List<String> out = new java.util.ArrayList<>();
        try (Connection c = DriverManager.getConnection(cfg.url(), "opsbot", pw); Statement s = c.createStatement();
             java.sql.ResultSet r = s.executeQuery("SELECT link FROM incident_entries WHERE incident_id=" + id + " ORDER BY seq")) {
            while (r.next()) out.add(r.getString(1));
        }
        return out;
    }
}
