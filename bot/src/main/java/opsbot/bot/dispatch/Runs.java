package opsbot.bot.dispatch;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Phaser;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Where commands run: one virtual thread each, so a slow or frozen host never holds up the chat or another
 * command; at most {@link #MAX} at a time (the executor's own bounds answer "busy" well before that).
 * Counts what is in flight, so the demo's end of input and the tests can wait for it.
 */
final class Runs implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Runs.class);
    private final ExecutorService work = Executors.newVirtualThreadPerTaskExecutor();
    static final int MAX = 256;
    private final Phaser inFlight = new Phaser(1);
    private final Semaphore room = new Semaphore(MAX);

    /** Starts {@code run}, or returns false (and runs nothing) when {@link #MAX} are already running. */
    boolean start(Runnable run) {
        if (!room.tryAcquire()) {
            return false;
        }
        inFlight.register();
        work.execute(() -> {
            try {
                run.run();
            } finally {
                room.release();
                inFlight.arriveAndDeregister();
            }
        });
        return true;
    }

    /** Waits until every run started so far has finished. */
    void awaitIdle(Duration max) throws InterruptedException {
        int phase = inFlight.arrive();
        try {
            inFlight.awaitAdvanceInterruptibly(phase, max.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            log.warn("still running after {}", max);
        }
    }

    /** Lets running commands finish (their results are still recorded), for up to five seconds. */
    @Override
    public void close() {
        work.shutdown();
        try {
            work.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
