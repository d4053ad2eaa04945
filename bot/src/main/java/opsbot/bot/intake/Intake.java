package opsbot.bot.intake;

import com.sun.net.httpserver.HttpServer;
import opsbot.bot.alerts.Folder;
import opsbot.bot.dispatch.Dispatcher;
import opsbot.bot.metrics.Metrics;
import opsbot.bot.store.Store;
import opsbot.config.IntakeConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The HTTP intake inside the bot (the JDK's own HTTP server: no dependency, small): scripts and monitoring post
 * events, which are stored and folded into alerts in one transaction before the sender hears 2xx. Handlers run on
 * virtual threads, at most {@link Limits#handlers} at work at once (beyond: 503 with Retry-After at once, never a
 * queue without bound), with connections and the time a request may take bounded too.
 */
public final class Intake implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Intake.class);

    /**
     * @param handlers  requests at work at once
     * @param queue     requests waiting for the event writer
     * @param storeWait how long a request waits for the writer to take it before it is withdrawn (503)
     */
    record Limits(int handlers, int queue, Duration storeWait) {
        static final Limits DEFAULT = new Limits(64, 256, Duration.ofSeconds(10)); // < notify's 15 s per attempt
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final EventLog events;

    private Intake(HttpServer server, ExecutorService executor, EventLog events) {
        this.server = server;
        this.executor = executor;
        this.events = events;
    }

    /** Listens on {@code cfg.listen()} (port 0: any free port, see {@link #port()}). */
    public static Intake start(IntakeConfig cfg, Dispatcher dispatcher, Folder folder) {
        return start(cfg, dispatcher.toolbox().store(), dispatcher.metrics(), dispatcher::networksConnected, folder,
                dispatcher.toolbox().clock(), Limits.DEFAULT);
    }

    static Intake start(IntakeConfig cfg, Store store, Metrics metrics, Supplier<Map<String, Boolean>> networks,
                        Folder folder, Clock clock, Limits limits) {
        bound();
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(cfg.host(), cfg.port()), 64);
        } catch (IOException e) {
            throw new CannotListen("the intake cannot listen on " + cfg.listen() + ": " + e.getMessage());
        }
        EventLog events = new EventLog(store, folder, clock, limits.queue());
        ExecutorService executor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("intake-", 0).factory());
        server.setExecutor(executor);
        server.createContext("/", new Front(new Auth(cfg.sources(), clock), cfg.maxBody(), events,
                new Health(store, networks), metrics, limits.handlers(), limits.storeWait()));
        server.start();
        log.info("intake: listening on {}:{} ({} sources)", cfg.host(), server.getAddress().getPort(), cfg.sources().size());
        return new Intake(server, executor, events);
    }

    /**
     * The JDK server's own bounds, read once when its classes load: open connections, and the time to read a
     * request and to write an answer (so a client that trickles its body cannot hold a connection forever).
     * Set only where the operator has not (java -D…).
     */
    private static void bound() {
        defaultProperty("jdk.httpserver.maxConnections", "256");
        defaultProperty("sun.net.httpserver.maxReqTime", "30");
        defaultProperty("sun.net.httpserver.maxRspTime", "30");
        defaultProperty("sun.net.httpserver.maxReqHeaders", "100");
    }

    private static void defaultProperty(String name, String value) {
        if (System.getProperty(name) == null) System.setProperty(name, value);
    }

    /** The port it listens on (the chosen one when the config said 0). */
    public int port() {
        return server.getAddress().getPort();
    }

    /** Stops taking requests, lets the ones in flight finish (their events are stored), then stops the writer. */
    @Override
    public void close() {
        server.stop(5);
        executor.close(); // waits for handlers still answering
        events.close();
    }

    /** The intake cannot bind its address; the reason fits on one line. */
    public static final class CannotListen extends RuntimeException {
        public CannotListen(String m) {
            super(m);
        }
    }
}
