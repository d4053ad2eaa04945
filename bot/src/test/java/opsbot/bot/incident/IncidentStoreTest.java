package opsbot.bot.incident;

import opsbot.bot.store.Store;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
    private String url;
    private Store store;
    private IncidentStore incidents;
    private final Instant t0 = Instant.parse("2026-11-23T03:12:04.123456Z");

    @BeforeEach
    void setUp() throws Exception {
        url = "jdbc:h2:file:" + dir.resolve("db") + ";AUTO_SERVER=TRUE";
        store = new Store(url, null, null);
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

    /** Changes the database behind the bot's back, as a careless (or malicious) admin with SQL would. */
    private void tamper(String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(url, "", ""); Statement s = c.createStatement()) {
            assertEquals(1, s.executeUpdate(sql), sql);
        }
    }

    @Test
    void anUntouchedChainIsIntactAndSurvivesReopeningTheStore() throws Exception {
        Incident i = sample();
        assertEquals(5, i.entries());
        assertInstanceOf(Verification.Intact.class, incidents.verify(i.id()));
        store.close();
        store = new Store(url, null, null);
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
    void anEntryRehashedInPlaceBreaksTheLinkOfTheNext() throws Exception {
        Incident i = sample();
        Entry e = incidents.entries(i.id()).get(1);
        String forged = HashChain.hash(e.prevHash(), i.id(), 2, e.at(), e.kind(), e.person(), e.network(), e.place(), "nothing");
        tamper("UPDATE incident_entries SET text='nothing', hash='" + forged + "' WHERE incident_id=" + i.id() + " AND seq=2");
        Verification v = incidents.verify(i.id());
        assertEquals(3, ((Verification.Broken) v).seq(), v.describe());
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
}
