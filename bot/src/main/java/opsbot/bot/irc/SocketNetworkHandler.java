package opsbot.bot.irc;

import org.kitteh.irc.client.library.Client;
import org.kitteh.irc.client.library.defaults.feature.network.JavaResolver;
import org.kitteh.irc.client.library.feature.network.ClientConnection;
import org.kitteh.irc.client.library.feature.network.NetworkHandler;
import org.kitteh.irc.client.library.feature.network.Resolver;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Kitteh's network handler (its public extension point {@code Client.Builder.management().networkHandler}), as
 * opsbot connects: one {@link SocketConnection} at a time for one client, a blocking socket read by a thread of
 * its own, written by a thread of its own from a bounded queue. Kitteh's own handler runs Netty, whose event loop is one
 * more thread every line in and every line out passes through; on a small VM each such hand-off costs most
 * of a millisecond of a chat round trip.
 *
 * <p>Timed jobs: one timer thread for the reconnect Kitteh asks for after a connection ended and each
 * connection's idle and stuck-write watch, none of which can block; the keepalive PING (Kitteh's code, which
 * takes Kitteh's sending lock) on a thread of its own, so that however it fares the watch still runs.
 */
final class SocketNetworkHandler implements NetworkHandler, PacedSender.Writer {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(SocketNetworkHandler.class);
    /** Kitteh's: the longest line read, without CRLF (8703 is the limit with IRCv3's message tags). */
    static final int MAX_LINE = 9001;

    private final SocketConnection.Timeouts timeouts;
    private final Supplier<Consumer<String>> lineHooks;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "irc-connection-timer");
        t.setDaemon(true);
        return t;
    });
    private final ScheduledExecutorService pinger = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "irc-keepalive");
        t.setDaemon(true);
        return t;
    });
    /** SO_SNDBUF of the next connections, 0 for the system's (tests: a small one, to fill it quickly). */
    volatile int sendBuffer;
    private volatile Resolver resolver = new JavaResolver();
    private volatile SocketConnection current;
    /** Shut down for good: no connection is made any more (guarded by this handler's monitor, as connect is). */
    private boolean stopped;

    /**
     * @param lineHooks one hook per connection, made when it is: sees every line read, on that connection's
     *                  reader thread, before Kitteh does (see {@link IrcNetwork}); it must return at once
     */
    SocketNetworkHandler(SocketConnection.Timeouts timeouts, Supplier<Consumer<String>> lineHooks) {
        this.timeouts = timeouts;
        this.lineHooks = lineHooks;
    }

    /** Refused once stopped: a reconnect job already running when the client shut down makes nothing. */
    @Override
    public synchronized ClientConnection connect(Client.WithManagement client) {
        if (stopped) {
            throw new IllegalStateException("the IRC connection is shut down");
        }
        SocketConnection c = new SocketConnection(client, this, timeouts, lineHooks.get());
        current = c;
        c.start();
        return c;
    }

    /**
     * Hands lines to the current connection's writer, to go out in one write; never blocks: what
     * {@link PacedSender} sends through (see {@link SocketConnection#write}).
     */
    @Override
    public CompletableFuture<Void> write(List<String> lines) {
        SocketConnection c = current;
        return c != null ? c.write(lines) : CompletableFuture.failedFuture(new SocketConnection.NotWritten("not connected"));
    }

    /** As {@link #write}; when the current connection's writer is idle the caller writes (see {@link SocketConnection#claim}). */
    @Override
    public Handed claim(List<String> lines) {
        SocketConnection c = current;
        return c != null ? c.claim(lines) : new Handed(write(lines), null);
    }

    /**
     * Hands lines to the current connection's writer as Kitteh's own lines go: also before Kitteh starts sending
     * on it. For the JOINs at registration, which must reach the server before anything the sending queue holds.
     */
    void writeFirst(List<String> lines) {
        SocketConnection c = current;
        if (c != null && !lines.isEmpty()) {
            c.writeOwn(lines);
        }
    }

    /** The current connection (tests). */
    SocketConnection current() {
        return current;
    }

    /** How many lines the current connection's writer takes now; 0 when not connected. */
    @Override
    public int room() {
        SocketConnection c = current;
        return c != null ? c.room() : 0;
    }

    /** The hook must not end the read loop: whatever it throws is logged, and the line still goes to Kitteh. */
    void lineRead(Consumer<String> hook, String line) {
        try {
            hook.accept(line);
        } catch (RuntimeException e) {
            log.error("irc: handling a line on the reader thread failed", e);
        }
    }

    void reconnectLater(Client.WithManagement client, int delayMillis) {
        schedule(() -> {
            try {
                client.connect();
            } catch (RuntimeException e) { // e.g. shut down meanwhile
                client.getExceptionListener().queue(e);
            }
        }, Duration.ofMillis(Math.max(0, delayMillis)));
    }

    ScheduledFuture<?> schedule(Runnable job, Duration delay) {
        try {
            return timer.schedule(job, delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException stopped) {
            return null;
        }
    }

    ScheduledFuture<?> every(Runnable job, Duration period) {
        try {
            return timer.scheduleWithFixedDelay(job, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException stopped) {
            return null;
        }
    }

    ScheduledFuture<?> pingEvery(Runnable job, Duration period) {
        try {
            return pinger.scheduleWithFixedDelay(job, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException stopped) {
            return null;
        }
    }

    /** The client shut down for good: no more connections, reconnects or timed jobs; the current one is closed. */
    void stop() {
        SocketConnection c;
        synchronized (this) {
            stopped = true;
            c = current;
        }
        if (c != null) {
            c.close();
        }
        timer.shutdownNow();
        pinger.shutdownNow();
    }

    @Override
    public Resolver getResolver() {
        return resolver;
    }

    @Override
    public void setResolver(Resolver resolver) {
        this.resolver = Objects.requireNonNull(resolver, "resolver");
    }
}
