package opsbot.bot.schedule;

import opsbot.bot.store.Store;
import opsbot.bot.testkit.TestEnv;
import opsbot.config.StorageConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Quartz on the real embedded store: timers fire once, outlive a restart, and can be cancelled. */
class ScheduleTest {
    @TempDir
    Path dir;

    private StorageConfig cfg() {
        return StorageConfig.embedded(dir.resolve("opsbot").toString());
    }

    private static final Duration MAX = Duration.ofSeconds(20);

    @Test
    void quartzTablesComeFromTheMigrationsAndTheDayToDayUserMayUseThem() throws Exception {
        try (Store store = Store.open(cfg())) {
            int n = store.transaction("count", db -> {
                try (ResultSet r = db.createStatement().executeQuery("SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLES"
                        + " WHERE TABLE_SCHEMA = 'PUBLIC' AND TABLE_NAME LIKE 'QRTZ\\_%'")) {
                    r.next();
                    return r.getInt(1);
                }
            });
            assertEquals(11, n, "Quartz's eleven tables");
            try (var c = store.pool().getConnection(); var s = c.createStatement()) {
                s.executeUpdate("INSERT INTO QRTZ_LOCKS VALUES ('t', 'x')");
                s.executeUpdate("DELETE FROM QRTZ_LOCKS WHERE SCHED_NAME = 't'");
                c.commit();
            }
        }
    }

    @Test
    void aTimerFiresOnceWithItsKindAndId() throws Exception {
        List<Schedule.Firing> fired = new CopyOnWriteArrayList<>();
        try (Store store = Store.open(cfg());
             Schedule s = Schedule.create(store.pool(), Clock.systemUTC()).on("test", fired::add).start()) {
            s.at("test", "F1", Instant.now().plusMillis(300));
            assertEquals(Set.of("F1"), s.ids("test"));
            TestEnv.await("the timer fires", () -> !fired.isEmpty(), MAX);
            Schedule.Firing f = fired.get(0);
            assertEquals("test", f.kind());
            assertEquals("F1", f.id());
            TestEnv.await("the fired one-shot is gone", () -> s.ids("test").isEmpty(), MAX);
            assertEquals(1, fired.size());
        }
    }

    @Test
    void aTimerDueWhileTheBotWasDownFiresAtStartAndKnowsIt() throws Exception {
        Instant due;
        try (Store store = Store.open(cfg()); Schedule s = Schedule.create(store.pool(), Clock.systemUTC())) {
            due = Instant.now().plusMillis(200); // armed, and the bot stops before it starts firing
            s.at("test", "F2", due);
        }
        TestEnv.await("the due time passes", () -> Instant.now().isAfter(due.plusMillis(100)), MAX);
        List<Schedule.Firing> fired = new CopyOnWriteArrayList<>();
        try (Store store = Store.open(cfg());
             Schedule s = Schedule.create(store.pool(), Clock.systemUTC()).on("test", fired::add).start()) {
            TestEnv.await("the missed timer fires at start", () -> !fired.isEmpty(), MAX);
            Schedule.Firing f = fired.get(0);
            assertEquals("F2", f.id());
            assertTrue(f.downAt(due), "due before the bot came up");
            assertFalse(f.lateFor(due).isZero());
        }
    }

    @Test
    void aCancelledTimerNeverFires() throws Exception {
        List<Schedule.Firing> fired = new CopyOnWriteArrayList<>();
        try (Store store = Store.open(cfg());
             Schedule s = Schedule.create(store.pool(), Clock.systemUTC()).on("test", fired::add)) {
            s.at("test", "F3", Instant.now().plusMillis(500));
            s.at("test", "F4", Instant.now().plusMillis(700));
            assertTrue(s.cancel("test", "F3"));
            assertFalse(s.cancel("test", "F3"));
            s.start(); // only now can anything fire: the cancel cannot have come too late
            TestEnv.await("the other timer fires", () -> !fired.isEmpty(), MAX);
            // F3 was due before F4: had it survived the cancel it would have fired first
            assertEquals(List.of("F4"), fired.stream().map(Schedule.Firing::id).toList());
        }
    }

    @Test
    void aTimerMayChangeFromAnIntervalToACronLineAndBack() throws Exception {
        try (Store store = Store.open(cfg()); Schedule s = Schedule.create(store.pool(), Clock.systemUTC()).start()) {
            s.every("check", "kdump", Duration.ofMinutes(10));
            s.cron("check", "kdump", "0 15 3 * * ?", java.time.ZoneId.of("Europe/Oslo"));
            Instant next = s.next("check", "kdump").orElseThrow();
            assertEquals(java.time.LocalTime.of(3, 15), next.atZone(java.time.ZoneId.of("Europe/Oslo")).toLocalTime());
            s.every("check", "kdump", Duration.ofHours(2));
            assertTrue(s.next("check", "kdump").orElseThrow().isAfter(Instant.now().plus(Duration.ofMinutes(110))));
            assertEquals(Set.of("kdump"), s.ids("check"));
        }
    }

    @Test
    void aRepeatingTimerFiresAgainAndCanBeRead() throws Exception {
        List<Schedule.Firing> fired = new CopyOnWriteArrayList<>();
        try (Store store = Store.open(cfg());
             Schedule s = Schedule.create(store.pool(), Clock.systemUTC()).on("check", fired::add).start()) {
            s.every("check", "leap", Duration.ofMillis(200));
            assertTrue(s.next("check", "leap").isPresent());
            TestEnv.await("three runs", () -> fired.size() >= 3, MAX);
            assertTrue(s.cancel("check", "leap"));
            assertTrue(s.next("check", "leap").isEmpty());
        }
    }
}
