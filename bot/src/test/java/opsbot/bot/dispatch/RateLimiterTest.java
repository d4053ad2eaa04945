package opsbot.bot.dispatch;

import opsbot.commands.policy.Identity;
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
    void theTrackerIsBoundedAndForgetsWhoWasIdleLongest() {
        TestClock clock = new TestClock();
        RateLimiter r = new RateLimiter(2, clock);
        r.take("busy");
        r.take("busy");
        r.take("idle");
        r.take("idle");
        for (int i = 0; i < RateLimiter.MAX_TRACKED * 2; i++) { // a flood of distinct accounts
            r.take("n" + i);
            if (i % 1000 == 0) {
                assertTrue(r.take("busy").isPresent(), "a limited person who keeps trying stays limited");
            }
            clock.now = clock.now.plusMillis(1);
        }
        assertEquals(RateLimiter.MAX_TRACKED, r.tracked(), "never more than the cap");
        assertTrue(r.take("busy").isPresent());
        assertTrue(r.take("idle").isEmpty(), "the one idle longest was forgotten (it starts again from a burst)");
    }

    @Test
    void anonymousSendersShareABucketPerNetwork() {
        TestClock clock = new TestClock();
        RateLimiter r = new RateLimiter(3, clock);
        for (int i = 0; i < 3; i++) {
            assertTrue(r.take(RateLimiter.keyOf(null, new Identity.Anonymous("libera", "nick" + i))).isEmpty());
        }
        assertEquals("slow down: at most 3 host commands a minute for everyone not logged in here, together; not run,"
                + " try again in 20s", r.take(RateLimiter.keyOf(null, new Identity.Anonymous("libera", "fresh"))).orElseThrow());
        assertTrue(r.take(RateLimiter.keyOf(null, new Identity.Anonymous("oftc", "nick0"))).isEmpty(), "per network");
        assertTrue(r.take(RateLimiter.keyOf(null, new Identity.IrcAccount("eve"))).isEmpty(), "an account has its own");
        assertEquals("person:alice", RateLimiter.keyOf("alice", new Identity.MatrixUser("@alice:x")));
        assertNotEquals(RateLimiter.keyOf(null, new Identity.IrcAccount("@x:y")), RateLimiter.keyOf(null, new Identity.MatrixUser("@x:y")));
    }
}
