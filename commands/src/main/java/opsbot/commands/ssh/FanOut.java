package opsbot.commands.ssh;

import opsbot.commands.model.Plan;
import opsbot.config.Durations;
import opsbot.config.Kind;
import opsbot.config.SshConfig;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs a plan's steps in parallel, holding at most {@code maxParallel} bot-wide slots at a time, so a fan-out
 * to @compute never starves a single command elsewhere of more than its share. Slots are taken only once a
 * step's host is ready (see {@link Gate}); the last {@code reservedForChanges} of them are for change commands,
 * which also go first. Commands in flight are bounded too: past that, a command is answered "busy" at once
 * instead of joining an endless queue.
 */
public final class FanOut implements AutoCloseable {
    /** Commands admitted (waiting or running) per execution slot. */
    private static final int ADMITTED_PER_SLOT = 8;

    private final Executor executor;
    private final Slots slots;
    private final Slots admitted;
    private final Duration maxWait;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

    /** No reserve, waiting up to a minute for a slot: for tests and the dry run. */
    public FanOut(Executor executor, int maxParallel) {
        this(executor, maxParallel, 0, Duration.ofMinutes(1));
    }

    /** As the config says; a step waits for a slot at most as long as a command may hold one. */
    public FanOut(Executor executor, SshConfig ssh) {
        this(executor, ssh.maxParallel(), ssh.reservedForChanges(), ssh.commandTimeout().plus(ssh.connectTimeout()));
    }

    public FanOut(Executor executor, int maxParallel, int reservedForChanges, Duration maxWait) {
        this.executor = executor;
        this.slots = new Slots(maxParallel, reservedForChanges);
        this.admitted = new Slots(maxParallel * ADMITTED_PER_SLOT, reservedForChanges * ADMITTED_PER_SLOT);
        this.maxWait = maxWait;
    }

    public record StepResult(Plan.Step step, ExecResult result) {
    }

    public List<StepResult> run(Plan plan) {
        Kind kind = plan.invocation().spec().kind();
        if (!admitted.tryTake(kind)) {
            ExecResult busy = new ExecResult.NotRun(ExecResult.Why.BUSY, admitted.inUse()
                    + " commands already running or waiting; not queued, try again shortly", Duration.ZERO);
            return plan.steps().stream().map(s -> new StepResult(s, busy)).toList();
        }
        try {
            if (plan.steps().size() == 1) {
                return List.of(runOne(plan.steps().get(0), kind));
            }
            List<Future<StepResult>> futures = new ArrayList<>();
            for (Plan.Step s : plan.steps()) {
                futures.add(threads.submit(() -> runOne(s, kind)));
            }
            List<StepResult> out = new ArrayList<>();
            for (Future<StepResult> f : futures) {
                try {
                    out.add(f.get());
                } catch (Exception e) {
                    throw new IllegalStateException("fan-out step failed unexpectedly", e);
                }
            }
            return out;
        } finally {
            admitted.release();
        }
    }

    private StepResult runOne(Plan.Step s, Kind kind) {
        return new StepResult(s, executor.run(s.host(), s.commandLine(), gate(kind)));
    }

    /** One step's way to a bot-wide slot. */
    private Gate gate(Kind kind) {
        return new Gate() {
            public Optional<ExecResult.NotRun> enter() {
                long t0 = System.nanoTime();
                try {
                    if (slots.take(kind, maxWait)) {
                        return Optional.empty();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return Optional.of(new ExecResult.NotRun(ExecResult.Why.BUSY, "no free slot for "
                        + Durations.format(maxWait) + " (all " + slots.capacity() + " in use)",
                        Duration.ofNanos(System.nanoTime() - t0)));
            }

            public void leave() {
                slots.release();
            }

            public Kind kind() {
                return kind;
            }
        };
    }

    @Override
    public void close() {
        threads.shutdownNow();
        executor.close();
    }
}
