package opsbot.config;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.*;

class DurationsTest {
    @Test
    void parsesAndFormats() {
        assertEquals(Duration.ofMinutes(30), Durations.parse("30m"));
        assertEquals(Duration.ofMinutes(90), Durations.parse("1h30m"));
        assertEquals(Duration.ofMillis(250), Durations.parse("250ms"));
        assertEquals("60s", Durations.format(Duration.ofSeconds(60)));
        assertEquals("1h30m", Durations.format(Duration.ofMinutes(90)));
        assertEquals("30m", Durations.format(Duration.ofMinutes(30)));
        assertEquals("1.5s", Durations.format(Duration.ofMillis(1500)));
    }

    @Test
    void rejectsJunk() {
        for (String bad : new String[]{"", "30", "m", "30x", "-5m", "5m;rm"}) {
            assertThrows(IllegalArgumentException.class, () -> Durations.parse(bad), bad);
        }
    }
}
