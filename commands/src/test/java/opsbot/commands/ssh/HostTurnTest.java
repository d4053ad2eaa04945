package opsbot.commands.ssh;

import opsbot.config.Kind;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A step's turn on a host ({@link JschExecutor#turn}): a channel of the host, then a bot-wide slot. With the
 * host's channels as the executor makes them and gates as the fan-out makes them, but no SSH.
 */
class HostTurnTest {
    private static final Duration LONG = Duration.ofMinutes(1);
    private final List<CompletableFuture<Optional<ExecResult.NotRun>>> pending = new ArrayList<>();
    /** Bot-wide: two read slots and one for changes, as max-parallel 3, reserved-for-changes 1. */
    private final Slots botWide = new Slots(3, 1);

    private final List<Slots> hosts = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        // Give everything back, again as queued steps get their turn, so that no thread is left waiting.
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!pending.stream().allMatch(CompletableFuture::isDone) && System.nanoTime() < end) {
            while (botWide.inUse() > 0) botWide.release();
            for (Slots h : hosts) while (h.inUse() > 0) h.release();
            Thread.sleep(5);
        }
        for (var f : pending) f.get(1, TimeUnit.SECONDS);
    }

    private Slots host(int sessions) {
        Slots h = JschExecutor.hostChannels(sessions);
        hosts.add(h);
        return h;
    }

    private Gate gate(Kind kind) {
        return new Gate() {
            public Optional<ExecResult.NotRun> enter() {
                try {
                    return botWide.take(kind, LONG) ? Optional.empty()
                            : Optional.of(new ExecResult.NotRun(ExecResult.Why.BUSY, "no free slot", Duration.ZERO));
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }

            public void leave() {
                botWide.release();
            }

            public Kind kind() {
                return kind;
            }
        };
    }

    private CompletableFuture<Optional<ExecResult.NotRun>> turn(Slots channels, Kind kind) {
        var f = CompletableFuture.supplyAsync(() -> JschExecutor.turn(channels, gate(kind), LONG), r -> Thread.ofVirtual().start(r));
        pending.add(f);
        return f;
    }

    @Test
    void readsQueuedOnAHostNeverHoldUpAChangeThere() throws Exception {
        // Long reads elsewhere hold both bot-wide read slots.
        assertTrue(botWide.tryTake(Kind.READ));
        assertTrue(botWide.tryTake(Kind.READ));
        Slots host = host(4);
        List<CompletableFuture<Optional<ExecResult.NotRun>>> reads = new ArrayList<>();
        for (int i = 0; i < 6; i++) reads.add(turn(host, Kind.READ));
        // Reads hold the host's read channels while they wait for a bot-wide slot; the rest queue behind.
        SlotsTest.await(() -> host.inUse() + host.waiting() == 6 && botWide.waiting() == host.inUse());

        // The failover on the same host: the host's reserved channel and the reserved bot-wide slot, at once
        // (without the host's reserve it would wait until a read got a slot elsewhere and finished: a minute here).
        var change = turn(host, Kind.CHANGE);
        assertEquals(Optional.empty(), change.get(10, TimeUnit.SECONDS), "the change had its turn at once");
        assertEquals(4, host.inUse());
        assertTrue(reads.stream().noneMatch(CompletableFuture::isDone), "the reads are still waiting");
    }

    @Test
    void aStepTurnedAwayAtTheGateHoldsNoChannel() {
        Slots host = JschExecutor.hostChannels(2);
        Gate refusing = new Gate() {
            public Optional<ExecResult.NotRun> enter() {
                return Optional.of(new ExecResult.NotRun(ExecResult.Why.BUSY, "no free slot", Duration.ZERO));
            }

            public void leave() {
                throw new AssertionError("never entered");
            }
        };
        assertEquals("busy, no free slot", JschExecutor.turn(host, refusing, LONG).orElseThrow().brief());
        assertEquals(0, host.inUse());
    }

    @Test
    void aHostWithOneChannelHasNoReserve() {
        Slots one = JschExecutor.hostChannels(1);
        assertTrue(one.tryTake(Kind.READ), "reads may use the only channel");
        Slots two = JschExecutor.hostChannels(2);
        assertTrue(two.tryTake(Kind.READ));
        assertFalse(two.tryTake(Kind.READ), "the second is for changes");
        assertTrue(two.tryTake(Kind.CHANGE));
    }
}
