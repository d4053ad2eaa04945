package opsbot.bot.dispatch;

import opsbot.bot.chat.Inbound;
import opsbot.commands.policy.Identity;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.*;

/** Waiting confirmations: one per key, replaced, cancelled, expired by the timer, and never confirmed late. */
class ConfirmationsTest {
    private final List<Pending> expired = new CopyOnWriteArrayList<>();
    private final Clock clock = Clock.systemUTC();
    private final Confirmations c = new Confirmations(clock, expired::add);

    @AfterEach
    void close() {
        c.close();
    }

    private Pending pending(String line, Duration left) {
        return new Pending(new Inbound("irc", "#ops", "alice", new Identity.IrcAccount("alice"), line), line, null, 1, clock.instant().plus(left),
                new opsbot.commands.policy.CommandRef("fo", opsbot.config.Kind.CHANGE, opsbot.config.Role.OPERATOR), line, null, null);
    }

    @Test
    void heldUntilTakenOnce() {
        Pending p = pending("fo -K c4", Duration.ofMinutes(1));
        assertTrue(c.hold("alice", p, Duration.ofMinutes(1)).isEmpty());
        assertEquals(new Confirmations.Taken.Ready(p), c.take("alice"));
        assertEquals(new Confirmations.Taken.Nothing(), c.take("alice"), "a second !y finds nothing");
    }

    @Test
    void aNewerCommandReplacesTheWaitingOneAndNoCanCancel() {
        Pending first = pending("fo -K c4", Duration.ofMinutes(1)), second = pending("fo -m c4", Duration.ofMinutes(1));
        c.hold("alice", first, Duration.ofMinutes(1));
        assertEquals(first, c.hold("alice", second, Duration.ofMinutes(1)).orElseThrow());
        assertEquals(second, c.cancel("alice").orElseThrow());
        assertEquals(new Confirmations.Taken.Nothing(), c.take("alice"));
        assertTrue(c.cancel("bob").isEmpty());
    }

    /** A !y racing the timer: the deadline has passed but the timer has not fired yet. It must not run. */
    @Test
    void pastItsDeadlineItIsTooLateEvenBeforeTheTimerFires() {
        Pending p = pending("fo -K c4", Duration.ofSeconds(-1));
        c.hold("alice", p, Duration.ofMinutes(1));
        assertEquals(new Confirmations.Taken.TooLate(p), c.take("alice"));
    }

    @Test
    void theTimerExpiresItOnceAndOnlyIfStillWaiting() throws Exception {
        Pending kept = pending("fo -K c4", Duration.ofMillis(100)), taken = pending("fo -K c1", Duration.ofMinutes(1));
        c.hold("alice", kept, Duration.ofMillis(100));
        c.hold("bob", taken, Duration.ofMillis(100));
        assertInstanceOf(Confirmations.Taken.Ready.class, c.take("bob"));
        Thread.sleep(400);
        assertEquals(List.of(kept), expired, "bob's was confirmed before the timer: not announced as expired");
        assertEquals(new Confirmations.Taken.Nothing(), c.take("alice"));
    }

    @Test
    void aReplacedCommandsTimerDoesNotExpireItsSuccessor() throws Exception {
        Pending first = pending("fo -K c4", Duration.ofMillis(100)), second = pending("fo -m c4", Duration.ofMinutes(1));
        c.hold("alice", first, Duration.ofMillis(100));
        c.hold("alice", second, Duration.ofMinutes(1));
        Thread.sleep(400);
        assertEquals(List.of(), expired);
        assertEquals(new Confirmations.Taken.Ready(second), c.take("alice"));
    }
}
