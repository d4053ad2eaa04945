package opsbot.commands.ssh;

import opsbot.commands.model.Invocation;
import opsbot.commands.model.Plan;
import opsbot.config.CommandSpec;
import opsbot.config.HostConfig;
import opsbot.config.Kind;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The fan-out's bounds with a fake executor that behaves like the SSH one: hosts named "dead*" hang in
 * their connect phase (before the gate, as JschExecutor connects before taking a slot); hosts named
 * "hung*" hang while running (holding their slot); others finish at once.
 */
class FanOutTest {
    private final CountDownLatch unblock = new CountDownLatch(1);
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicInteger connecting = new AtomicInteger();
    private final List<CompletableFuture<List<FanOut.StepResult>>> pending = new ArrayList<>();
    private FanOut fanOut;

    private final Executor fake = new Executor() {
        public ExecResult run(HostConfig host, String line) {
            running.incrementAndGet();
            try {
                if (host.name().startsWith("hung")) unblock.await();
                return new ExecResult.Exited(0, "", "", 0, Duration.ZERO);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            } finally {
                running.decrementAndGet();
            }
        }

        public ExecResult run(HostConfig host, String line, Gate gate) {
            if (host.name().startsWith("dead")) { // connecting: no slot held
                connecting.incrementAndGet();
                try {
                    unblock.await();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
                return new ExecResult.NotRun(ExecResult.Why.UNREACHABLE, "connect timeout 5s", Duration.ZERO);
            }
            return Executor.super.run(host, line, gate);
        }
    };

    @AfterEach
    void tearDown() throws Exception {
        unblock.countDown();
        for (var f : pending) f.get(10, TimeUnit.SECONDS);
        fanOut.close();
    }

    private static Plan plan(Kind kind, String... hosts) {
        CommandSpec spec = new CommandSpec(kind == Kind.CHANGE ? "fo" : "st", null, null, null, kind, false, null, null, null, "x");
        List<Plan.Step> steps = new ArrayList<>();
        for (String h : hosts) steps.add(new Plan.Step(new HostConfig(h, "10.0.0.1", 22, null, null, null), "x"));
        return new Plan(new Invocation(spec, List.of(), Map.of()), steps);
    }

    private CompletableFuture<List<FanOut.StepResult>> start(Plan p) {
        CompletableFuture<List<FanOut.StepResult>> f = CompletableFuture.supplyAsync(() -> fanOut.run(p),
                r -> Thread.ofVirtual().start(r));
        pending.add(f);
        return f;
    }

    private static ExecResult only(CompletableFuture<List<FanOut.StepResult>> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS).get(0).result();
    }

    @Test
    void deadHostsConnectingHoldNoSlot() throws Exception {
        fanOut = new FanOut(fake, 4, 1, Duration.ofSeconds(10)); // 3 slots for reads
        for (int i = 0; i < 8; i++) start(plan(Kind.READ, "dead3"));
        SlotsTest.await(() -> connecting.get() == 8);
        assertTrue(only(start(plan(Kind.READ, "compute1"))).ok(), "a read elsewhere runs at once");
        assertTrue(only(start(plan(Kind.CHANGE, "admin1"))).ok(), "and so does a change");
    }

    @Test
    void readsLeaveTheReservedSlotsToChanges() throws Exception {
        fanOut = new FanOut(fake, 4, 2, Duration.ofSeconds(10));
        start(plan(Kind.READ, "hung1"));
        start(plan(Kind.READ, "hung2"));
        SlotsTest.await(() -> running.get() == 2);
        CompletableFuture<List<FanOut.StepResult>> third = start(plan(Kind.READ, "compute1"));
        assertTrue(only(start(plan(Kind.CHANGE, "admin1"))).ok(), "a change gets a reserved slot at once");
        assertFalse(third.isDone(), "a third read waits for a read slot");
        unblock.countDown();
        assertTrue(only(third).ok(), "and runs once one is free");
    }

    @Test
    void aReadWaitingTooLongIsToldBusy() throws Exception {
        fanOut = new FanOut(fake, 2, 1, Duration.ofMillis(100));
        start(plan(Kind.READ, "hung1"));
        SlotsTest.await(() -> running.get() == 1);
        ExecResult r = only(start(plan(Kind.READ, "compute1")));
        assertEquals(ExecResult.Why.BUSY, ((ExecResult.NotRun) r).why(), r.toString());
        assertTrue(r.brief().startsWith("busy, no free slot for 100ms"), r.brief());
    }

    @Test
    void pastTheAdmissionBoundReadsAreAnsweredAtOnceNotQueued() throws Exception {
        fanOut = new FanOut(fake, 1, 0, Duration.ofSeconds(10)); // admits 8 commands
        for (int i = 0; i < 8; i++) start(plan(Kind.READ, "dead" + i));
        SlotsTest.await(() -> connecting.get() == 8);
        ExecResult r = only(start(plan(Kind.READ, "compute1")));
        assertInstanceOf(ExecResult.NotRun.class, r);
        assertEquals("busy, 8 commands already running or waiting; not queued, try again shortly", r.brief());
    }

    @Test
    void changesHaveReservedAdmissionToo() throws Exception {
        fanOut = new FanOut(fake, 2, 1, Duration.ofSeconds(10)); // admits 16, the last 8 for changes
        for (int i = 0; i < 8; i++) start(plan(Kind.READ, "dead" + i));
        SlotsTest.await(() -> connecting.get() == 8);
        ExecResult ninth = only(start(plan(Kind.READ, "dead9")));
        assertEquals(ExecResult.Why.BUSY, ((ExecResult.NotRun) ninth).why());
        assertTrue(only(start(plan(Kind.CHANGE, "admin1"))).ok());
    }

    @Test
    void aFanOutAnswersEveryHost() throws Exception {
        fanOut = new FanOut(fake, 2, 0, Duration.ofSeconds(10));
        List<FanOut.StepResult> rs = start(plan(Kind.READ, "c1", "c2", "c3", "c4", "c5")).get(10, TimeUnit.SECONDS);
        assertEquals(List.of("c1", "c2", "c3", "c4", "c5"), rs.stream().map(r -> r.step().host().name()).toList());
        assertTrue(rs.stream().allMatch(r -> r.result().ok()));
    }
}
