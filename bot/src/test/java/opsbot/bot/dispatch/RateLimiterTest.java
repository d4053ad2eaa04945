package opsbot.bot.dispatch;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

import static org.junit.jupiter.api.Assertions.*;

class RateLimiterTest {
    private static final class TestClock extends Clock {
        Instant now = Instant.parse("2025-01-01T00:00:00Z");

        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        public Clock withZone(ZoneId zone) {
            return this;
        }

        public Instant instant() {
            return now;
        }
    }

    @Test
    void aBurstThenOneEveryFewSecondsPerPerson() {
        TestClock clock = new TestClock();
        RateLimiter r = new RateLimiter(20, clock); // 20 at once, then one every 3s
        for (int i = 0; i < 20; i++) {
            assertTrue(r.take("alice").isEmpty(), "command " + (i + 1));
        }
        assertEquals("slow down: at most 20 host commands a minute each; not run, try again in 3s",
                r.take("alice").orElseThrow());
        assertTrue(r.take("bob").isEmpty(), "others are not affected");
        clock.now = clock.now.plus(Duration.ofSeconds(2));
        assertEquals("slow down: at most 20 host commands a minute each; not run, try again in 1s",
                r.take("alice").orElseThrow(), "a refused command does not cost anything");
        clock.now = clock.now.plus(Duration.ofSeconds(1));
        assertTrue(r.take("alice").isEmpty());
        assertTrue(r.take("alice").isPresent());
        clock.now = clock.now.plus(Duration.ofHours(1));
        for (int i = 0; i < 20; i++) {
            assertTrue(r.take("alice").isEmpty(), "the bucket refills, up to the burst");
        }
        assertTrue(r.take("alice").isPresent());
    }

    @Test
    void idlePeopleAreForgottenWhenTooManyAreTracked() {
        TestClock clock = new TestClock();
        RateLimiter r = new RateLimiter(2, clock);
        r.take("busy");
        r.take("busy");
        for (int i = 0; i < RateLimiter.MAX_TRACKED + 5; i++) {
            r.take("n" + i);
            clock.now = clock.now.plusMillis(1);
        }
        assertTrue(r.take("busy").isPresent(), "a limited person is not forgotten by flooding the tracker");
    }
}
