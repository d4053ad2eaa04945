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
}
