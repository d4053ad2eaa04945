package opsbot.commands.ssh;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import static org.junit.jupiter.api.Assertions.*;

class RecentFailuresTest {
    /** A clock the test moves. */
    static final class TestClock extends Clock {
        Instant now = Instant.parse("2025-01-01T00:00:00Z");

        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        public Instant instant() {
            return now;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }
    }

    @Test
    void aFailedHostIsAnsweredFromMemoryUntilItIsTimeToTryAgain() {
        TestClock clock = new TestClock();
        RecentFailures f = new RecentFailures(Duration.ofSeconds(10), clock);
        assertTrue(f.recent("compute3").isEmpty());
        f.failed("compute3", "connect timeout 5s");
        clock.advance(Duration.ofSeconds(4));
        ExecResult.NotRun n = f.recent("compute3").orElseThrow();
        assertEquals(ExecResult.Why.NOT_RETRIED, n.why());
        assertEquals("unreachable 4s ago (connect timeout 5s), not retried yet; next try in 6s", n.brief());
        assertTrue(f.recent("compute4").isEmpty(), "other hosts are not affected");
        clock.advance(Duration.ofSeconds(6));
        assertTrue(f.recent("compute3").isEmpty(), "tried again after 10s");
    }

    @Test
    void reachingTheHostForgetsTheFailure() {
        TestClock clock = new TestClock();
        RecentFailures f = new RecentFailures(Duration.ofSeconds(10), clock);
        f.failed("compute3", "connection refused");
        f.reached("compute3");
        assertTrue(f.recent("compute3").isEmpty());
    }
}
