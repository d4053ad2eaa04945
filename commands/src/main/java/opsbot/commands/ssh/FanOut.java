package opsbot.commands.ssh;

import opsbot.commands.model.Plan;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;

/**
 * Runs a plan's steps in parallel, at most {@code maxParallel} at a time across the whole bot, so a
 * fan-out to @compute never starves a single command elsewhere of more than its share.
 */
public final class FanOut implements AutoCloseable {
    private final Executor executor;
    private final Semaphore slots;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

    public FanOut(Executor executor, int maxParallel) {
        this.executor = executor;
        this.slots = new Semaphore(maxParallel, true);
    }

    public record StepResult(Plan.Step step, ExecResult result) {
    }

    public List<StepResult> run(Plan plan) {
        if (plan.steps().size() == 1) {
            return List.of(runOne(plan.steps().get(0)));
        }
        List<Future<StepResult>> futures = new ArrayList<>();
        for (Plan.Step s : plan.steps()) {
            futures.add(threads.submit(() -> runOne(s)));
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
    }

    private StepResult runOne(Plan.Step s) {
        slots.acquireUninterruptibly();
        try {
            return new StepResult(s, executor.run(s.host(), s.commandLine()));
        } finally {
            slots.release();
        }
    }

    @Override
    public void close() {
        threads.shutdownNow();
        executor.close();
    }
}
