package opsbot.bot.irc;

import org.kitteh.irc.client.library.feature.sending.MessageSendingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.Optional;
import java.util.Queue;
import java.util.function.Consumer;

/**
 * Kitteh's sending-queue contract as both of opsbot's queues keep it: lines wait while the connection is
 * down and go out, in order, on the caller's thread once it is up. Subclasses say in {@link #drain} how
 * many may go now; everything runs under this object's lock, so lines never overtake each other.
 */
abstract class LineQueue implements MessageSendingQueue {
    private static final Logger log = LoggerFactory.getLogger(LineQueue.class);

    protected final Queue<String> waiting = new ArrayDeque<>();
    private Consumer<String> consumer;
    private boolean paused = true;

    /** Sends what may go now. Called with the lock held, whenever a line arrives or sending begins. */
    protected abstract void drain();

    /** Whether lines can be written at all (connected, not paused). */
    protected final boolean sending() {
        return !paused && consumer != null;
    }

    /** Writes the next waiting line. A failed write is logged: it must not break the caller's command. */
    protected final void writeNext() {
        String line = waiting.poll();
        try {
            consumer.accept(line);
        } catch (RuntimeException e) {
            log.warn("irc: write failed: {}", e.toString());
        }
    }

    @Override
    public synchronized void queue(String message) {
        waiting.add(message);
        drain();
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
        paused = true;
        Queue<String> rest = new ArrayDeque<>(waiting);
        waiting.clear();
        return rest;
    }
}
