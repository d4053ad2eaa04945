package opsbot.bot.store;

import opsbot.config.StorageConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class StoreTest {
    @TempDir
    Path dir;

    private String url() {
        return StorageConfig.embedded(dir.resolve("opsbot").toString()).url();
    }

    private static Attempt attempt(String line) {
        return new Attempt(0, Instant.parse("2026-11-23T03:14:00Z"), "irc", "#ops", "alice", "alice", "alice", line,
                "fo", "awaiting-confirmation", null, "admin1", null, 0, null);
    }

    @Test
    void attemptsSurviveReopeningAndMigrationsRunOnce() throws Exception {
        long id;
        try (Store s = new Store(url(), null, null)) {
            id = s.record(attempt("!fo -K compute4"));
            s.complete(id, "ran", null, "admin1", "admin1=0", 412, "FailOver.pl: done\n");
        }
        try (Store s = new Store(url(), null, null)) {
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
        try (Store s = new Store(url(), null, null)) {
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

    /**
     * A second process (opsbot incident export) reaches the running bot's database through H2's AUTO_SERVER.
     * It must listen on loopback only: the lock file says where it listens.
     */
    @Test
    void theSharedDatabaseServerListensOnLoopbackOnly() throws Exception {
        try (Store s = new Store(url(), null, null)) {
            java.util.Properties lock = new java.util.Properties();
            try (var in = java.nio.file.Files.newInputStream(dir.resolve("opsbot.lock.db"))) {
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
}
