package opsbot.bot.irc;

import java.util.Queue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Outgoing rate limit as a token bucket: {@code rate} lines per second with a burst of the same size.
 * A line that has a token goes out at once on the caller's thread (usually Netty's, answering a command),
 * with no hand-off to a sender thread; only lines that must wait are queued and sent by a timer. Keeps
 * short replies fast and long ones paced, so the bot is never flood-killed.
 */
final class PacedSender extends LineQueue {
    private final double rate;
    private final double burst;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "irc-paced-sender");
        t.setDaemon(true);
        return t;
    });
    private boolean drainScheduled;
    private double tokens;
    private long last = System.nanoTime();

    PacedSender(double rate) {
        this.rate = rate;
        this.burst = Math.max(1, Math.ceil(rate));
        this.tokens = burst;
    }

    @Override
    protected void drain() {
        if (!sending()) {
            return;
        }
        long now = System.nanoTime();
        tokens = Math.min(burst, tokens + (now - last) / 1e9 * rate);
        last = now;
        while (!waiting.isEmpty() && tokens >= 1) {
            tokens -= 1;
            writeNext();
        }
        if (!waiting.isEmpty() && !drainScheduled) {
            drainScheduled = true;
            long waitMicros = (long) Math.ceil((1 - tokens) / rate * 1e6);
            timer.schedule(this::timed, Math.max(1, waitMicros), TimeUnit.MICROSECONDS);
        }
    }

    /** The timer's drain: one pending at a time, however many lines arrive meanwhile. */
    private synchronized void timed() {
        drainScheduled = false;
        drain();
    }

    @Override
    public synchronized Queue<String> shutdown() {
        timer.shutdownNow();
        return super.shutdown();
    }
}
