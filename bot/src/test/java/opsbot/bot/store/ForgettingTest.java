package opsbot.bot.store;

import opsbot.config.StorageConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ForgettingTest {
    @TempDir
    Path dir;

    @Test
    void aBatchAtMostEveryIntervalButAFullOneGoesOnAtTheNextCallAndAFailureWaitsLikeAFinishedRun() {
        Deque<Integer> answers = new ArrayDeque<>(List.of(10, 10, 3, 0, 7));
        List<Instant> asked = new ArrayList<>();
        Forgetting f = new Forgetting("things", 10, Duration.ofHours(1), (db, now) -> {
            asked.add(now);
            if (answers.isEmpty()) throw new java.sql.SQLException("the store is gone");
            return answers.poll();
        });
        Instant t = Instant.parse("2031-03-10T10:00:00Z");
        try (Store store = Store.open(StorageConfig.embedded(dir.resolve("db").toString()))) {
            assertEquals(10, f.run(store, t), "the first call runs");
            assertEquals(10, f.run(store, t.plusSeconds(60)), "full: the next call goes on");
            assertEquals(3, f.run(store, t.plusSeconds(120)), "full again: on; now the end");
            assertEquals(0, f.run(store, t.plusSeconds(180)), "not due: the batch is not even tried");
            assertEquals(3, asked.size());
            assertEquals(0, f.run(store, t.plusSeconds(120).plus(Duration.ofHours(1))), "an hour after the last run");
            assertEquals(7, f.run(store, t.plusSeconds(120).plus(Duration.ofHours(2))));
            Instant failing = t.plus(Duration.ofHours(4));
            assertThrows(Store.StoreException.class, () -> f.run(store, failing));
            assertEquals(0, f.run(store, failing.plusSeconds(60)), "a failed run waits its hour too");
            assertEquals(6, asked.size());
        }
    }
}
