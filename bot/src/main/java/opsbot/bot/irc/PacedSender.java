package opsbot.bot.irc;

import org.kitteh.irc.client.library.feature.sending.MessageSendingQueue;

import java.util.ArrayDeque;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Outgoing rate limit as a token bucket: {@code rate} lines per second with a burst of the same size.
 * A line that has a token goes out at once on the caller's thread (usually Netty's, answering a command),
 * with no hand-off to a sender thread; only lines that must wait are queued and sent by a timer. Keeps
 * short replies fast and long ones paced, so the bot is never flood-killed.
 */
final class PacedSender implements MessageSendingQueue {
    private final double rate;
    private final double burst;
    private final Queue<String> waiting = new ArrayDeque<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "irc-paced-sender");
        t.setDaemon(true);
        return t;
    });
    private Consumer<String> consumer;
    private boolean paused = true;
    private boolean drainScheduled;
    private double tokens;
    private long last = System.nanoTime();

    PacedSender(double rate) {
        this.rate = rate;
        this.burst = Math.max(1, Math.ceil(rate));
        this.tokens = burst;
    }

    @Override
    public synchronized void queue(String message) {
        waiting.add(message);
        drain();
    }

    private synchronized void drain() {
        drainScheduled = false;
        if (paused || consumer == null) {
            return;
        }
        long now = System.nanoTime();
        tokens = Math.min(burst, tokens + (now - last) / 1e9 * rate);
        last = now;
        while (!waiting.isEmpty() && tokens >= 1) {
            tokens -= 1;
            consumer.accept(waiting.poll());
        }
        if (!waiting.isEmpty() && !drainScheduled) {
            drainScheduled = true;
            long waitMicros = (long) Math.ceil((1 - tokens) / rate * 1e6);
            timer.schedule(this::drain, Math.max(1, waitMicros), TimeUnit.MICROSECONDS);
        }
    }

    @Override
    public synchronized void beginSending(Consumer<String> consumer) {
        this.consumer = consumer;
        this.paused = false;
        drain();
    }

    @Override
    public synchronized void pause() {
        paused = true;
    }

    @Override
    public synchronized boolean contains(String message) {
        return waiting.contains(message);
    }

    @Override
    public synchronized Optional<Consumer<String>> getConsumer() {
        return Optional.ofNullable(consumer);
    }

    @Override
    public synchronized Queue<String> shutdown() {
        timer.shutdownNow();
        paused = true;
        Queue<String> rest = new ArrayDeque<>(waiting);
        waiting.clear();
        return rest;
    }
}
