package opsbot.bot.store;

import opsbot.config.StorageConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

class StoreTest {
    @TempDir
    Path dir;

    private StorageConfig cfg() {
        return StorageConfig.embedded(dir.resolve("opsbot").toString());
    }

    private String password() throws Exception {
        return Files.readString(dir.resolve("opsbot.db-password")).strip();
    }

    private String adminPassword() throws Exception {
        return Files.readString(dir.resolve("opsbot.db-admin-password")).strip();
    }

    private static Attempt attempt(String line) {
        return new Attempt(0, Instant.parse("2026-11-23T03:14:00Z"), "irc", "#ops", "alice", "alice", "alice", line,
                "fo", "awaiting-confirmation", null, "admin1", null, 0, null);
    }

    private static String perms(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    /** Every file in {@code d}, with its permissions. */
    private static List<String> files(Path d) throws Exception {
        List<String> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(d)) {
            for (Path p : s.sorted().toList()) out.add(p.getFileName() + " " + perms(p));
        }
        return out;
    }

    private static int loginError(String url, String user, String password) {
        try (Connection c = DriverManager.getConnection(url, user, password)) {
            return 0;
        } catch (SQLException e) {
            return e.getErrorCode();
        }
    }

    /**
     * What the store said yes to is on disk when the call returns: a process killed (SIGKILL) right after a commit
     * still has the row at the next start. H2's default write delay (500 ms) would lose it.
     */
    @Test
    void aCommitSurvivesTheProcessBeingKilledRightAfterIt() throws Exception {
        String path = dir.resolve("killed").resolve("opsbot").toString();
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dh2.bindAddress=127.0.0.1", "-cp", System.getProperty("java.class.path"),
                CommitAndHang.class.getName(), path, "kept").redirectErrorStream(true).start();
        try (var out = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream()))) {
            String line;
            while ((line = out.readLine()) != null && !line.equals("committed")) {
                // the store's own log lines
            }
            assertEquals("committed", line, "the child stored nothing");
            p.destroyForcibly(); // SIGKILL, at once
            p.waitFor();
        }
        try (Store s = Store.open(StorageConfig.embedded(path))) {
            assertEquals("kept", s.state("promise"));
        }
    }

    /** A thread interrupted while it writes (a shutdown, a cancelled task) must not close the database for all. */
    @Test
    void anInterruptedWriterDoesNotCloseTheDatabase() throws Exception {
        try (Store s = Store.open(cfg())) {
            Thread t = Thread.ofPlatform().start(() -> {
                Thread.currentThread().interrupt();
                try {
                    s.setState("interrupted", "x");
                } catch (RuntimeException e) {
                    // the interrupted write itself may fail; the store must live on
                }
            });
            t.join();
            s.setState("after", "y");
            assertEquals("y", s.state("after"));
        }
    }

    @Test
    void attemptsSurviveReopeningAndMigrationsRunOnce() throws Exception {
        long id;
        try (Store s = Store.open(cfg())) {
            id = s.record(attempt("!fo -K compute4"));
            s.complete(id, "ran", null, "admin1", "admin1=0", 412, "FailOver.pl: done\n");
        }
        try (Store s = Store.open(cfg())) {
            List<Attempt> all = s.recent(10);
            assertEquals(1, all.size());
            Attempt a = all.get(0);
            assertEquals(id, a.id());
            assertEquals("ran", a.decision());
            assertEquals("admin1=0", a.exitCodes());
            assertEquals(412, a.durationMs());
            assertEquals(Instant.parse("2026-11-23T03:14:00Z"), a.at());
        }
    }

    @Test
    void hostileTextIsStoredVerbatimOrCutNeverRefused() throws Exception {
        String nasty = "'); DROP TABLE attempts; --\u0000\n\u202E" + "x".repeat(10_000);
        try (Store s = Store.open(cfg())) {
            s.record(attempt(nasty));
            s.record(attempt("!ping"));
            List<Attempt> all = s.recent(10);
            assertEquals(2, all.size(), "both rows there: nothing was dropped");
            String stored = all.get(1).line();
            assertTrue(stored.startsWith("'); DROP TABLE attempts; --\u0000\n\u202E"), "kept verbatim");
            assertEquals(4096, stored.length(), "cut to the column, marked");
            assertTrue(stored.endsWith("…"));
        }
    }

    @Test
    void theDataDirectoryIsCreated0700AndEveryFileIn0600() throws Exception {
        Path data = dir.resolve("var/opsbot");
        StorageConfig c = StorageConfig.embedded(data.resolve("opsbot").toString());
        try (Store s = Store.open(c)) {
            s.record(attempt("!ping"));
            assertEquals("rwx------", perms(data));
            List<String> open = files(data);
            assertTrue(open.containsAll(List.of("opsbot.chain-key rw-------", "opsbot.db-admin-password rw-------",
                    "opsbot.db-password rw-------", "opsbot.lock.db rw-------", "opsbot.mv.db rw-------")), open.toString());
            assertTrue(open.stream().allMatch(f -> f.endsWith(" rw-------")), open.toString());
        }
        List<String> closed = files(data);
        assertTrue(closed.stream().allMatch(f -> f.endsWith(" rw-------")), closed.toString());
        assertTrue(closed.contains("opsbot.mv.db rw-------"), closed.toString());
        assertEquals(64, Files.readString(data.resolve("opsbot.db-password")).strip().length());
        assertEquals(64, Files.readString(data.resolve("opsbot.db-admin-password")).strip().length());
        assertNotEquals(Files.readString(data.resolve("opsbot.db-password")), Files.readString(data.resolve("opsbot.db-admin-password")));
        assertEquals(64, Files.readString(data.resolve("opsbot.chain-key")).strip().length());
    }

    @Test
    void aDataDirectoryWithAnyPermissionForOthersIsRefusedWithTheReason() throws Exception {
        for (String mode : List.of("rwxr-xr-x", "rwx-w----", "rwx---r--", "rwx--x--x", "rwx-----x", "rwx--x---")) {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(mode));
            Store.Refused r = assertThrows(Store.Refused.class, () -> Store.open(cfg()), mode);
            String what = mode.substring(3).matches("[-x]*") ? "others may enter it and open the database's files by name"
                    : "others may read or change the database, its passwords and the chain key";
            assertEquals("the data directory " + dir + " is " + mode + ": " + what + "; run: chmod 700 " + dir, r.getMessage());
            assertFalse(Files.exists(dir.resolve("opsbot.mv.db")), "nothing created in it");
            assertFalse(Files.exists(dir.resolve("opsbot.db-password")), "no password written where others can reach it");
        }
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        Store.open(cfg()).close();
    }

    /**
     * {@code who} is refused as a wrong user or password. Then a right login, which resets H2's delay after
     * wrong passwords (it doubles with each one, up to 4 s: kept for the bot, too slow for a test).
     */
    private void refused(String url, String user, String password, String where) throws Exception {
        assertEquals(28000, loginError(url, user, password), where + ": " + user + "/" + password);
        assertEquals(0, loginError(url, "opsbot", password()), where + ": the right password");
        assertEquals(0, loginError(url, "opsbot_admin", adminPassword()), where + ": the admin's right password");
    }

    @Test
    void theDatabaseNeedsThePasswordOverTcpAndOnDisk() throws Exception {
        String url = cfg().url();
        try (Store s = Store.open(cfg())) {
            s.setState("matrix.access-token", "syt_secret");
            // While the bot runs, another local user who got the port and key from the lock file (as the old,
            // world-readable data directory allowed) connects over TCP, as AUTO_SERVER's clients do.
            java.util.Properties lock = new java.util.Properties();
            try (var in = Files.newInputStream(dir.resolve("opsbot.lock.db"))) {
                lock.load(in);
            }
            String tcp = "jdbc:h2:tcp://" + lock.getProperty("server") + "/" + lock.getProperty("id");
            refused(tcp, "", "", "over TCP");
            refused(tcp, "opsbot", "", "over TCP");
            refused(tcp, "opsbot_admin", "", "over TCP");
            refused(tcp, "opsbot_admin", password(), "over TCP");
            refused(url, "", "", "in-process");
            try (Connection c = DriverManager.getConnection(tcp, "opsbot", password()); Statement st = c.createStatement();
                 ResultSet r = st.executeQuery("SELECT val FROM state")) {
                assertTrue(r.next());
                assertEquals("syt_secret", r.getString(1));
            }
        }
        refused(url, "sa", "", "closed");
    }

    /**
     * Someone with the day-to-day password (the bot's and the command line's) reaches the running bot's database
     * over TCP, with the port and key from the lock file. They can change rows (the chain key is what notices
     * that in the incident log), but cannot read files, run Java in the bot, or change the schema or the users.
     */
    @Test
    void theDayToDayUserCannotReadFilesRunCodeOrChangeTheSchema() throws Exception {
        try (Store s = Store.open(cfg())) {
            s.setState("matrix.access-token", "syt_secret");
            java.util.Properties lock = new java.util.Properties();
            try (var in = Files.newInputStream(dir.resolve("opsbot.lock.db"))) {
                lock.load(in);
            }
            String tcp = "jdbc:h2:tcp://" + lock.getProperty("server") + "/" + lock.getProperty("id");
            Path marker = dir.resolve("alias-ran");
            try (Connection c = DriverManager.getConnection(tcp, "opsbot", password()); Statement st = c.createStatement()) {
                for (String sql : List.of(
                        "CALL FILE_READ('" + dir.resolve("opsbot.chain-key") + "')",
                        "SELECT FILE_READ('/proc/self/environ')",
                        "CALL FILE_WRITE('x', '" + dir.resolve("written") + "')",
                        "CREATE ALIAS TOUCH FOR 'java.nio.file.Files.createFile(java.nio.file.Path, java.nio.file.attribute.FileAttribute[])'",
                        "CREATE ALIAS EXEC AS 'String exec(String c) throws Exception { java.nio.file.Files.writeString("
                                + "java.nio.file.Path.of(\"" + marker + "\"), c); return c; }'",
                        "CREATE TABLE mine (x INT)",
                        "DROP TABLE state",
                        "ALTER TABLE state ADD COLUMN y INT",
                        "CREATE USER mallory PASSWORD 'x' ADMIN",
                        "ALTER USER opsbot ADMIN TRUE",
                        "ALTER USER opsbot_admin SET PASSWORD 'mine'",
                        "SCRIPT TO '" + dir.resolve("dump.sql") + "'",
                        "RUNSCRIPT FROM '" + dir.resolve("opsbot.chain-key") + "'",
                        "CREATE LINKED TABLE l('org.h2.Driver', 'jdbc:h2:mem:', '', '', 'X')",
                        "SELECT * FROM CSVREAD('" + dir.resolve("opsbot.db-admin-password") + "')",
                        "BACKUP TO '" + dir.resolve("copy.zip") + "'")) {
                    SQLException e = assertThrows(SQLException.class, () -> st.execute(sql), sql);
                    assertTrue(e.getErrorCode() == org.h2.api.ErrorCode.ADMIN_RIGHTS_REQUIRED
                                    || e.getErrorCode() == org.h2.api.ErrorCode.NOT_ENOUGH_RIGHTS_FOR_1,
                            sql + ": " + e.getErrorCode() + " " + e.getMessage());
                }
                // Rows: yes (that is what the bot itself needs, and what the incident chain's key is for).
                assertEquals(1, st.executeUpdate("UPDATE state SET val='changed' WHERE name='matrix.access-token'"));
            }
            assertFalse(Files.exists(marker), "no Java ran");
            assertFalse(Files.exists(dir.resolve("written")));
            assertFalse(Files.exists(dir.resolve("dump.sql")));
            assertFalse(Files.exists(dir.resolve("copy.zip")));
            assertEquals("changed", s.state("matrix.access-token"));
            assertEquals(List.of("OPSBOT:false", "OPSBOT_ADMIN:true"), users(cfg().url(), "opsbot_admin", adminPassword()));
        }
    }

    /** The bot itself works with row access only: attempts, state, incident entries, outbox rows. */
    @Test
    void theBotWorksAsTheDayToDayUser() throws Exception {
        try (Store s = Store.open(cfg())) {
            long id = s.record(attempt("!fo -K compute4"));
            s.complete(id, "ran", null, "admin1", "admin1=0", 5, "ok");
            s.setState("k", "v1");
            s.setState("k", "v2");
            assertEquals("v2", s.state("k"));
            var incidents = new opsbot.bot.incident.IncidentStore(s);
            var actor = new opsbot.bot.incident.Actor("alice", "irc", "#ops");
            var i = incidents.open("compute4 frozen", actor, Instant.now()).incident();
            incidents.append(i.id(), opsbot.bot.incident.EntryKind.NOTE, actor, "ntpd", Instant.now());
            assertInstanceOf(opsbot.bot.incident.Verification.Intact.class, incidents.verify(i.id()));
            s.transaction("queue", db -> {
                try (Statement st = db.createStatement()) {
                    st.executeUpdate("INSERT INTO outbox (network, place, msg_key, plain, state, attempts, next_try, created_at)"
                            + " VALUES ('matrix', '!r', 'k1', 'hello', 'pending', 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)");
                    st.executeUpdate("UPDATE outbox SET state='sent' WHERE msg_key='k1'");
                    return st.executeUpdate("DELETE FROM outbox WHERE msg_key='k1'");
                }
            });
            try (Connection c = DriverManager.getConnection(cfg().url(), "opsbot", password()); Statement st = c.createStatement();
                 ResultSet r = st.executeQuery("SELECT IS_ADMIN FROM INFORMATION_SCHEMA.USERS WHERE USER_NAME = CURRENT_USER")) {
                assertTrue(r.next());
                assertFalse(r.getBoolean(1), "the bot's day-to-day user is no admin");
            }
        }
    }

    @Test
    void aPasswordAndKeyFromTheConfigAreUsedAndOnlyTheAdminPasswordWritten() throws Exception {
        String pw = "from-the-config-0123456789";
        StorageConfig c = new StorageConfig(dir.resolve("opsbot").toString(), null, "ops", pw, "k".repeat(40));
        try (Store s = Store.open(c)) {
            s.record(attempt("!ping"));
            assertTrue(s.chainKey().isPresent());
        }
        assertFalse(Files.exists(dir.resolve("opsbot.db-password")));
        assertFalse(Files.exists(dir.resolve("opsbot.chain-key")));
        assertEquals("rw-------", perms(dir.resolve("opsbot.db-admin-password")));
        assertEquals(0, loginError(c.url(), "ops", pw));
        assertEquals(28000, loginError(c.url(), "opsbot", pw));
        assertEquals(List.of("OPS:false", "OPSBOT_ADMIN:true"), users(c.url(), "opsbot_admin", adminPassword()));
        StorageConfig asAdmin = new StorageConfig(dir.resolve("opsbot").toString(), null, "opsbot_admin", pw, "k".repeat(40));
        assertEquals("storage.user may not be OPSBOT_ADMIN: that is the schema owner, used only at start",
                assertThrows(Store.Refused.class, () -> Store.open(asAdmin)).getMessage());
    }

    @Test
    void anOldDatabaseLosesItsEmptyAdminAndGetsTwoUsers() throws Exception {
        LegacyDatabase.create(dir.resolve("opsbot"), 3);
        String url = cfg().url();
        assertEquals(0, loginError(url, "", ""), "the old database: anyone is admin");
        try (Store s = Store.open(cfg())) {
            assertEquals(1, s.recent(10).size(), "the old attempts are still there");
        }
        assertEquals(28000, loginError(url, "", ""), "the empty admin is gone");
        assertEquals(List.of("OPSBOT:false", "OPSBOT_ADMIN:true"), users(url, "opsbot_admin", adminPassword()));
        assertEquals("rw-------", perms(dir.resolve("opsbot.db-password")));
        assertEquals("rw-------", perms(dir.resolve("opsbot.db-admin-password")));
        Store.open(cfg()).close(); // and it opens again with the passwords
    }

    /** This branch's first form: the day-to-day user {@code opsbot} was itself the admin, no admin user. */
    @Test
    void aDatabaseWhoseOwnUserIsAdminIsMovedOver() throws Exception {
        LegacyDatabase.create(dir.resolve("opsbot"), 2);
        String url = cfg().url();
        String pw = "p".repeat(64);
        Files.writeString(dir.resolve("opsbot.db-password"), pw + "\n");
        try (Connection c = DriverManager.getConnection(url, "", ""); Statement s = c.createStatement()) {
            s.execute("CREATE USER OPSBOT PASSWORD '" + pw + "' ADMIN");
        }
        try (Connection c = DriverManager.getConnection(url, "opsbot", pw); Statement s = c.createStatement()) {
            s.execute("DROP USER \"\"");
        }
        try (Store s = Store.open(cfg())) {
            assertEquals(1, s.recent(10).size());
        }
        assertEquals(List.of("OPSBOT:false", "OPSBOT_ADMIN:true"), users(url, "opsbot_admin", adminPassword()));
        assertEquals(pw, password(), "the day-to-day password is kept");
        try (Connection c = DriverManager.getConnection(url, "opsbot", pw); Statement s = c.createStatement()) {
            assertThrows(SQLException.class, () -> s.execute("CALL FILE_READ('" + dir.resolve("opsbot.chain-key") + "')"));
        }
    }

    @Test
    void anInterruptedMoveFinishesOnTheNextStart() throws Exception {
        LegacyDatabase.create(dir.resolve("opsbot"), 1);
        String url = cfg().url();
        String pw = "p".repeat(32), admin = "a".repeat(32);
        // Both password files were written, and the admin created, but the empty user not yet dropped.
        Files.writeString(dir.resolve("opsbot.db-password"), pw + "\n");
        Files.writeString(dir.resolve("opsbot.db-admin-password"), admin + "\n");
        try (Connection c = DriverManager.getConnection(url, "", ""); Statement s = c.createStatement()) {
            s.execute("CREATE USER OPSBOT_ADMIN PASSWORD '" + admin + "' ADMIN");
        }
        Store.open(cfg()).close();
        assertEquals(List.of("OPSBOT:false", "OPSBOT_ADMIN:true"), users(url, "opsbot_admin", admin));
        assertEquals(28000, loginError(url, "", ""));
        // Only the admin password file was written: the admin is made on the next start.
        Path other = dir.resolve("other/opsbot");
        LegacyDatabase.create(other, 1);
        Files.writeString(other.resolveSibling("opsbot.db-admin-password"), admin + "\n");
        StorageConfig c2 = StorageConfig.embedded(other.toString());
        Store.open(c2).close();
        assertEquals(List.of("OPSBOT:false", "OPSBOT_ADMIN:true"), users(c2.url(), "opsbot_admin", admin));
    }

    @Test
    void aWrongAdminPasswordIsRefusedInOneLine() throws Exception {
        Store.open(cfg()).close();
        Files.writeString(dir.resolve("opsbot.db-admin-password"), "not-the-password-at-all\n");
        Store.Refused r = assertThrows(Store.Refused.class, () -> Store.open(cfg()));
        assertEquals("the database refused its admin user OPSBOT_ADMIN with the password from "
                + dir.resolve("opsbot.db-admin-password"), r.getMessage());
    }

    @Test
    void aLostAdminPasswordFileIsNotReplacedButALostDayToDayOneIs() throws Exception {
        Store.open(cfg()).close();
        String admin = adminPassword();
        Files.delete(dir.resolve("opsbot.db-admin-password"));
        Store.Refused r = assertThrows(Store.Refused.class, () -> Store.open(cfg()));
        assertEquals("the database's admin password file " + dir.resolve("opsbot.db-admin-password") + " is missing;"
                + " restore it from a backup", r.getMessage());
        assertFalse(Files.exists(dir.resolve("opsbot.db-admin-password")), "no admin password made up");
        Files.writeString(dir.resolve("opsbot.db-admin-password"), admin + "\n");

        // The day-to-day password is the admin's to set: a lost file gets a new one, and the user follows.
        String old = password();
        Files.delete(dir.resolve("opsbot.db-password"));
        assertThrows(Store.Refused.class, () -> Store.openReader(cfg()), "the command line makes up nothing");
        Store.open(cfg()).close();
        assertNotEquals(old, password());
        assertEquals(0, loginError(cfg().url(), "opsbot", password()));
        assertEquals(28000, loginError(cfg().url(), "opsbot", old));
    }

    private static List<String> users(String url, String user, String password) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(url, user, password); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT USER_NAME, IS_ADMIN FROM INFORMATION_SCHEMA.USERS ORDER BY USER_NAME")) {
            while (r.next()) out.add(r.getString(1) + ":" + r.getBoolean(2));
        }
        return out;
    }

    @Test
    void aStoreWithKeyedChainsDoesNotStartWithoutItsKeyButCanBeRead() throws Exception {
        Store.open(cfg()).close();
        Files.move(dir.resolve("opsbot.chain-key"), dir.resolve("elsewhere"));
        Store.Refused r = assertThrows(Store.Refused.class, () -> Store.open(cfg()));
        assertTrue(r.getMessage().startsWith("the incident chain key is missing (" + dir.resolve("opsbot.chain-key")
                + "), and the store already holds chains made with it; restore the key"), r.getMessage());
        assertFalse(Files.exists(dir.resolve("opsbot.chain-key")), "no new key made up");
        try (Store reader = Store.openReader(cfg())) {
            assertTrue(reader.chainKey().isEmpty());
        }
    }

    @Test
    void theLockFileMustNameLoopback() {
        Path lock = dir.resolve("opsbot.lock.db");
        DataDir.checkServer(lock, "localhost:40123"); // H2 writes 127.0.0.1 as localhost
        DataDir.checkServer(lock, "127.0.0.1:40123");
        for (String server : new String[]{"10.0.0.5:40123", "127.0.1.1:40123", "vm:40123", "[::]:40123"}) {
            Store.Refused r = assertThrows(Store.Refused.class, () -> DataDir.checkServer(lock, server));
            assertTrue(r.getMessage().startsWith("the database server listens on " + server + " (from " + lock
                    + "), not on 127.0.0.1"), r.getMessage());
        }
        assertThrows(Store.Refused.class, () -> DataDir.checkServer(lock, null));
    }

    /**
     * A second process (opsbot incident export) reaches the running bot's database through H2's AUTO_SERVER.
     * It must listen on loopback only: the lock file says where it listens.
     */
    @Test
    void theSharedDatabaseServerListensOnLoopbackOnly() throws Exception {
        try (Store s = Store.open(cfg())) {
            assertEquals("127.0.0.1", org.h2.engine.SysProperties.BIND_ADDRESS, "what H2 binds to");
            DataDir.of(cfg().path()).checkLockFile();
            java.util.Properties lock = new java.util.Properties();
            try (var in = Files.newInputStream(dir.resolve("opsbot.lock.db"))) {
                lock.load(in);
            }
            String server = lock.getProperty("server");
            assertNotNull(server, "no AUTO_SERVER address in the lock file: " + lock);
            assertTrue(server.startsWith("127.0.0.1:") || server.startsWith("localhost:"), server);
            int port = Integer.parseInt(server.substring(server.indexOf(':') + 1));
            // Bound to 127.0.0.1, it refuses connections to this machine's other addresses.
            for (var nif : java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())) {
                for (var addr : java.util.Collections.list(nif.getInetAddresses())) {
                    if (addr.isLoopbackAddress() || !(addr instanceof java.net.Inet4Address)) continue;
                    try (java.net.Socket sock = new java.net.Socket()) {
                        assertThrows(java.io.IOException.class,
                                () -> sock.connect(new java.net.InetSocketAddress(addr, port), 500), "listening on " + addr);
                    }
                }
            }
        }
    }

    @Test
    void anErrorInATransactionRollsItBack() {
        try (Store s = Store.open(StorageConfig.embedded(dir.resolve("err").toString()))) {
            assertThrows(OutOfMemoryError.class, () -> s.transaction("half a batch", db -> {
                db.createStatement().executeUpdate("INSERT INTO state (name, val) VALUES ('half', 'written')");
                throw new OutOfMemoryError("as if the heap ran out here");
            }));
            assertNull(s.state("half"), "nothing of it committed (setAutoCommit(true) would have)");
        }
    }
}
