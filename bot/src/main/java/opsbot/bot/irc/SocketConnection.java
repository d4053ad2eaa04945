package opsbot.bot.irc;

import org.kitteh.irc.client.library.Client;
import org.kitteh.irc.client.library.event.connection.ClientConnectionClosedEvent;
import org.kitteh.irc.client.library.event.connection.ClientConnectionEndedEvent;
import org.kitteh.irc.client.library.event.connection.ClientConnectionEstablishedEvent;
import org.kitteh.irc.client.library.event.connection.ClientConnectionFailedEvent;
import org.kitteh.irc.client.library.exception.KittehConnectionException;
import org.kitteh.irc.client.library.feature.defaultmessage.DefaultMessageType;
import org.kitteh.irc.client.library.feature.network.ClientConnection;
import org.kitteh.irc.client.library.util.HostWithPort;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One connection to the IRC server, in place of Kitteh's Netty connection and doing what it does: TCP (no
 * Nagle) and TLS from the client's settings (its trust manager; the server's name checked as HTTPS does, and
 * sent as SNI), CRLF lines of at most {@link SocketNetworkHandler#MAX_LINE} bytes, each given to Kitteh's input
 * listener and {@code processLine}; writes with Kitteh's output listener; Kitteh's keepalive PING once it
 * asks; closed when nothing was read for {@link Timeouts#idle}; Kitteh's connection events, and the reconnect
 * it asks for in them; QUIT on shutdown.
 *
 * <p>Threads: two platform threads of its own, one connects and then only reads, one only writes. Whoever
 * sends (Kitteh's immediate sender: registration lines, PONGs; {@link PacedSender}: everything else, replies on
 * the dispatcher's lanes) hands its lines to the writer's bounded queue and returns at once, so no lock of
 * Kitteh's or of the sender is ever held across a socket write and the reader never waits for a write. One
 * exception: a reply on a lane (a virtual thread) while the writer is idle is written by the lane itself, out
 * of every lock ({@link #claim}), one thread wake-up fewer; the writer waits behind it. A reply's lines are one hand-over and so one write (one TCP
 * segment, one TLS record, where they fit). A write that the server does not take for
 * {@link Timeouts#stuckWrite} (its side stopped reading) closes the TCP socket under any TLS, which ends the
 * write with an error: what waits for a dead server is bounded by the writer's queue and the kernel's buffer.
 */
final class SocketConnection implements ClientConnection {
    private static final Logger log = LoggerFactory.getLogger(SocketConnection.class);
    /** Lines the writer's queue holds; {@link #RESERVED} of them only for Kitteh's own (PONG, registration). */
    static final int QUEUED_LINES = 512;
    static final int RESERVED = 64;
    /** How long a QUIT may take before the socket is closed anyway. */
    private static final Duration QUIT_WAIT = Duration.ofSeconds(1);

    /**
     * @param connect    TCP connect
     * @param handshake  TLS handshake
     * @param idle       nothing read for this long (Kitteh's keepalive PING gets an answer well within it): closed
     * @param stuckWrite one write not taken by the server for this long: closed
     * @param ping       Kitteh's keepalive PING every so often, once registered
     */
    record Timeouts(Duration connect, Duration handshake, Duration idle, Duration stuckWrite, Duration ping) {
        /** Kitteh's Netty connection's: 250 s idle, a PING a minute. */
        static final Timeouts DEFAULT = new Timeouts(Duration.ofSeconds(30), Duration.ofSeconds(30),
                Duration.ofSeconds(250), Duration.ofSeconds(30), Duration.ofSeconds(60));
    }

    /** Lines handed to the writer that it never began to write (the connection ended first): safe to send again. */
    static final class NotWritten extends IllegalStateException {
        NotWritten(String why) {
            super(why);
        }
    }

    /** Lines to write in one write, and who waits to hear it was done. */
    private record Batch(List<String> lines, CompletableFuture<Void> done) {
    }

    private final Client.WithManagement client;
    private final SocketNetworkHandler handler;
    private final Timeouts timeouts;
    /** Sees each line read before Kitteh does (see {@link SocketNetworkHandler#lineRead}). */
    private final java.util.function.Consumer<String> hook;
    /**
     * Kitteh said this connection may send (it calls {@link #startPing} when registration is done, as it starts
     * its sending queue): only then does {@link #write} take lines. Kitteh's own (registration, PONG) go anyway.
     */
    private volatile boolean sending;
    /** The writer's queue; guarded by {@code queueLock}, never held across a write. */
    private final ReentrantLock queueLock = new ReentrantLock();
    private final Condition queued = queueLock.newCondition();
    private final ArrayDeque<Batch> batches = new ArrayDeque<>();
    private int queuedLines; // guarded by queueLock
    private boolean writerDone; // guarded by queueLock
    /** The writer thread is writing a batch (guarded by queueLock). */
    private boolean writerBusy;
    /** A caller is writing a batch it claimed ({@link #claim}); the writer waits for it (guarded by queueLock). */
    private boolean callerBusy;
    /** The connection's output, once connected: for the batches callers write themselves. */
    private volatile OutputStream output;
    /** The TCP socket: closing it frees a write stuck inside TLS (closing the SSLSocket would wait for it). */
    private volatile Socket raw;
    private volatile boolean reconnect = true;
    private volatile boolean alive = true;
    private volatile boolean closing;
    /** nanoTime when the write in progress began, 0 when none is. */
    private volatile long writingSince;
    /** nanoTime when a QUIT was handed to the writer, 0 when none was: closed without it after {@link #QUIT_WAIT}. */
    private volatile long quitSince;
    private volatile long lastRead = System.nanoTime();
    private volatile String lastMessage;
    private volatile ScheduledFuture<?> ping;
    private volatile ScheduledFuture<?> watch;

    SocketConnection(Client.WithManagement client, SocketNetworkHandler handler, Timeouts timeouts,
                     java.util.function.Consumer<String> hook) {
        this.client = client;
        this.handler = handler;
        this.timeouts = timeouts;
        this.hook = hook;
    }

    void start() {
        Thread.ofPlatform().daemon().name("irc-reader").start(this::run);
    }

    private void run() {
        Socket s;
        try {
            s = open();
        } catch (IOException | RuntimeException e) {
            alive = false;
            close();
            failQueued(); // no writer will ever take what was handed over meanwhile (Kitteh's CAP, USER, NICK)
            ClientConnectionFailedEvent failed = new ClientConnectionFailedEvent(client, reconnect, e);
            client.getEventManager().callEvent(failed);
            client.getExceptionListener().queue(new KittehConnectionException(e, false));
            if (failed.willAttemptReconnect()) {
                handler.reconnectLater(client, failed.getReconnectionDelay());
            }
            return;
        }
        lastRead = System.nanoTime();
        Throwable cause = null;
        try {
            OutputStream out;
            try {
                out = s.getOutputStream();
            } catch (IOException e) {
                out = null;
            }
            OutputStream o = out;
            output = out;
            Thread.ofPlatform().daemon().name("irc-writer").start(() -> writeLoop(o));
            watch = handler.every(this::watch, Duration.ofSeconds(1));
            client.getEventManager().callEvent(new ClientConnectionEstablishedEvent(client));
            client.beginMessageSendingImmediate(this::writeFromKitteh);
            LineReader lines = new LineReader(s.getInputStream(), SocketNetworkHandler.MAX_LINE);
            long skipped = 0;
            for (String line; (line = lines.next()) != null; ) {
                lastRead = System.nanoTime();
                if (lines.skipped() != skipped) {
                    skipped = lines.skipped();
                    log.warn("irc: the server sent a line over {} bytes; skipped it ({} so far)", SocketNetworkHandler.MAX_LINE, skipped);
                }
                if (line.isEmpty()) {
                    continue;
                }
                lastMessage = line;
                client.getInputListener().queue(line);
                handler.lineRead(hook, line);
                client.processLine(line);
            }
        } catch (IOException | RuntimeException e) {
            cause = closing ? null : e; // a read ended by our own close is no error
            if (!closing) {
                client.getExceptionListener().queue(e);
            }
        } finally {
            ended(cause);
        }
    }

    /**
     * Connects, and for TLS shakes hands and checks the server's name. Gives up when shut down meanwhile. A
     * connect or handshake that fails leaves nothing open (the caller closes what {@link #raw} holds).
     */
    private Socket open() throws IOException {
        HostWithPort server = client.getServerAddress();
        Socket r = new Socket();
        raw = r; // so that a shutdown meanwhile can close it
        if (closing) {
            throw new IOException("shut down while connecting");
        }
        r.setTcpNoDelay(true);
        r.setKeepAlive(true);
        if (handler.sendBuffer > 0) {
            r.setSendBufferSize(handler.sendBuffer);
        }
        if (client.getBindAddress() != null) {
            r.bind(client.getBindAddress());
        }
        r.connect(new InetSocketAddress(handler.getResolver().getAddress(server.getHost()), server.getPort()),
                (int) timeouts.connect().toMillis());
        Socket s = r;
        if (client.isSecureConnection()) {
            SSLSocket ssl = (SSLSocket) tls().getSocketFactory().createSocket(r, server.getHost(), server.getPort(), true);
            SSLParameters p = ssl.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name the host we asked for
            if (!isIpLiteral(server.getHost())) {
                p.setServerNames(List.of(new SNIHostName(server.getHost())));
            }
            ssl.setSSLParameters(p);
            ssl.setSoTimeout((int) timeouts.handshake().toMillis());
            ssl.startHandshake();
            ssl.setSoTimeout(0);
            s = ssl;
        }
        if (closing) {
            throw new IOException("shut down while connecting");
        }
        return s;
    }

    private SSLContext tls() throws IOException {
        if (client.getSecureKeyCertChain() != null || client.getSecureKey() != null) {
            throw new IOException("a client certificate for the IRC server is not supported");
        }
        try {
            TrustManagerFactory trust = client.getSecureTrustManagerFactory();
            if (trust == null) {
                trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                trust.init((KeyStore) null);
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, trust.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot set up TLS: " + e.getMessage(), e);
        }
    }

    private static boolean isIpLiteral(String host) {
        return host.contains(":") || host.matches("[0-9.]+");
    }

    /**
     * How many more lines {@link #write} takes now (other than Kitteh's own): 0 until Kitteh starts sending on
     * this connection (registered), and once it is ending (QUIT said, closed).
     */
    int room() {
        queueLock.lock();
        try {
            return !takesWrites() ? 0 : Math.max(0, QUEUED_LINES - RESERVED - queuedLines);
        } finally {
            queueLock.unlock();
        }
    }

    /**
     * Hands lines to the writer, to go out CRLF each in one write; never blocks. The future completes once
     * they were written, and fails with {@link NotWritten} when they were not handed over (not connected, the
     * queue full: see {@link #room}) or the connection ended before the writer began them, or with the write's
     * error (then it is closed, and some of the lines may have reached the server).
     */
    CompletableFuture<Void> write(List<String> lines) {
        return hand(lines, QUEUED_LINES - RESERVED, false);
    }

    /** Called with the queue's lock held. */
    private boolean takesWrites() {
        return sending && quitSince == 0 && !writerDone && !closing;
    }

    /**
     * As {@link #write}, except when nothing is queued and nothing is being written: then the batch is the
     * caller's to write, on its own thread ({@code writeHere}, to be run exactly once, outside every lock), and
     * the writer thread, which is not woken, waits until that write is done before it takes the next batch. So
     * the order of batches is the order they were handed over either way.
     */
    PacedSender.Writer.Handed claim(List<String> lines) {
        queueLock.lock();
        try {
            if (takesWrites() && batches.isEmpty() && !writerBusy && !callerBusy && output != null) {
                callerBusy = true;
                Batch b = new Batch(List.copyOf(lines), new CompletableFuture<>());
                return new PacedSender.Writer.Handed(b.done(), () -> writeClaimed(b));
            }
        } finally {
            queueLock.unlock();
        }
        return new PacedSender.Writer.Handed(write(lines), null);
    }

    /**
     * A claimed batch, on the caller's thread: written as the writer would, then the writer may go on. A
     * connection that ended since the claim takes nothing: the batch was never begun, so it goes back to the
     * sender as {@link NotWritten}, for the next connection.
     */
    private void writeClaimed(Batch b) {
        boolean ok = false;
        try {
            if (ended()) {
                b.done().completeExceptionally(new NotWritten("the connection ended first"));
            } else {
                ok = put(output, b);
            }
        } finally {
            queueLock.lock();
            try {
                callerBusy = false;
                queued.signal();
            } finally {
                queueLock.unlock();
            }
        }
        if (ok) {
            written(b);
        }
    }

    private boolean ended() {
        queueLock.lock();
        try {
            return writerDone || closing;
        } finally {
            queueLock.unlock();
        }
    }

    /**
     * Writes a batch in one write, no lock held. False when it failed: then the connection is closed and the
     * batch's future failed with the error (some of its lines may have reached the server).
     */
    private boolean put(OutputStream out, Batch b) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 * b.lines().size());
        for (String line : b.lines()) {
            bytes.writeBytes(line.getBytes(StandardCharsets.UTF_8));
            bytes.write('\r');
            bytes.write('\n');
        }
        writingSince = System.nanoTime();
        try {
            if (out == null) {
                throw new IOException("no output stream");
            }
            out.write(bytes.toByteArray());
            out.flush();
            return true;
        } catch (IOException | RuntimeException e) {
            close();
            b.done().completeExceptionally(e instanceof IOException io ? new UncheckedIOException(io) : e);
            return false;
        } finally {
            writingSince = 0;
        }
    }

    private void written(Batch b) {
        for (String line : b.lines()) {
            client.getOutputListener().queue(line);
        }
        b.done().complete(null);
    }

    /** Lines of Kitteh's own go whenever the writer runs; others ({@code write}) only while {@link #takesWrites}. */
    private CompletableFuture<Void> hand(List<String> lines, int limit, boolean own) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        queueLock.lock();
        try {
            if (writerDone || closing) {
                done.completeExceptionally(new NotWritten("not connected"));
            } else if (!own && !takesWrites()) {
                done.completeExceptionally(new NotWritten(sending ? "the connection is ending" : "not registered yet"));
            } else if (queuedLines + lines.size() > limit) {
                done.completeExceptionally(new NotWritten(queuedLines + " lines are waiting to be written"));
            } else {
                batches.add(new Batch(List.copyOf(lines), done));
                queuedLines += lines.size();
                queued.signal();
            }
        } finally {
            queueLock.unlock();
        }
        return done;
    }

    /**
     * The writer thread: one batch at a time, each in one write, no lock held while writing; never while a
     * caller writes a batch it claimed.
     */
    private void writeLoop(OutputStream out) {
        try {
            while (true) {
                Batch b;
                queueLock.lock();
                try {
                    writerBusy = false;
                    while ((batches.isEmpty() || callerBusy) && !closing) {
                        queued.await();
                    }
                    if (closing) {
                        return;
                    }
                    b = batches.poll();
                    queuedLines -= b.lines().size();
                    writerBusy = true;
                } finally {
                    queueLock.unlock();
                }
                if (!put(out, b)) {
                    return;
                }
                written(b);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            failQueued();
        }
    }

    /** The writer is done (or never ran): what waits in its queue fails as never written. */
    private void failQueued() {
        List<Batch> rest;
        queueLock.lock();
        try {
            writerDone = true;
            rest = List.copyOf(batches);
            batches.clear();
            queuedLines = 0;
        } finally {
            queueLock.unlock();
        }
        // The latest first: a sender that puts each back in front of its queue keeps them in their order.
        for (int i = rest.size() - 1; i >= 0; i--) {
            rest.get(i).done().completeExceptionally(new NotWritten("the connection ended first"));
        }
    }

    /** Lines of the bot's own protocol (see {@link SocketNetworkHandler#writeFirst}): as Kitteh's, in one write. */
    void writeOwn(List<String> lines) {
        hand(lines, QUEUED_LINES, true).whenComplete((ok, e) -> {
            if (e instanceof Exception x && !closing) {
                client.getExceptionListener().queue(x);
            }
        });
    }

    /** Kitteh's immediate sender's consumer: it must not throw (that would end Kitteh's sending thread), nor wait. */
    private void writeFromKitteh(String line) {
        hand(List.of(line), QUEUED_LINES, true).whenComplete((ok, e) -> {
            if (e instanceof Exception x && !closing) {
                client.getExceptionListener().queue(x);
            }
        });
    }

    /**
     * Every second, on the handler's watch thread, which does nothing that can block: a write the server does
     * not take, or a QUIT not written in time, closes the TCP socket; nothing read for too long says QUIT
     * without waiting for it. Never throws: that would end the fixed-delay task silently.
     */
    private void watch() {
        try {
            check();
        } catch (RuntimeException e) {
            log.error("irc: the connection's watch failed", e);
        }
    }

    private void check() {
        long now = System.nanoTime();
        long since = writingSince;
        long quit = quitSince;
        if (since != 0 && now - since > timeouts.stuckWrite().toNanos()) {
            if (!closing) {
                log.warn("irc: the server took no output for {} s; closing the connection", timeouts.stuckWrite().toSeconds());
            }
            abort(); // again each second while the write is still stuck: a close cannot be lost
        } else if (quit != 0 && now - quit > QUIT_WAIT.toNanos()) {
            abort();
        } else if (!closing && quit == 0 && now - lastRead > timeouts.idle().toNanos()) {
            log.warn("irc: nothing heard from the server for {} s; closing the connection", timeouts.idle().toSeconds());
            quit(client.getDefaultMessageMap().getDefault(DefaultMessageType.QUIT_PING_TIMEOUT).orElse(null));
        }
    }

    /** After the read loop: Kitteh learns the connection ended, and reconnects if its listeners want that. */
    private void ended(Throwable cause) {
        alive = false; // first: a startPing racing with this sees it and cancels its own ping
        client.pauseMessageSending();
        cancel(ping);
        cancel(watch);
        close();
        ClientConnectionEndedEvent event = new ClientConnectionClosedEvent(client, reconnect, cause, lastMessage);
        client.getEventManager().callEvent(event);
        if (event.willAttemptReconnect()) {
            handler.reconnectLater(client, event.getReconnectionDelay());
        }
    }

    private static void cancel(ScheduledFuture<?> f) {
        if (f != null) {
            f.cancel(false);
        }
    }

    /**
     * Closes the connection without a QUIT: ends the read loop, the connect in progress, and the writer. Closes
     * the TCP socket, under any TLS: closing the TLS socket would wait for a write in progress, which may never
     * end; with the TCP socket closed, reads and writes through TLS fail at once.
     */
    void close() {
        queueLock.lock();
        try {
            closing = true;
            queued.signalAll();
        } finally {
            queueLock.unlock();
        }
        Socket r = raw;
        if (r != null) {
            try {
                r.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    /** As {@link #close}, with a reset instead of an orderly end: the kernel drops what the server did not take. */
    private void abort() {
        Socket r = raw;
        if (r != null) {
            try {
                r.setSoLinger(true, 0);
            } catch (IOException ignored) {
                // closed already
            }
        }
        close();
    }

    @Override
    public boolean isAlive() {
        return alive;
    }

    /**
     * Kitteh calls this when registration is done, just before it starts its sending queue: the keepalive PING
     * starts (once: an earlier one is cancelled), and {@link #write} takes lines from now on. Lines handed over
     * sooner are refused as never written (the sender keeps them): a sender Kitteh left running across a
     * reconnect cannot write to a connection before its CAP, NICK and USER.
     */
    @Override
    public synchronized void startPing() {
        cancel(ping);
        ScheduledFuture<?> p = handler.pingEvery(client::ping, timeouts.ping());
        ping = p;
        queueLock.lock();
        try {
            sending = true;
        } finally {
            queueLock.unlock();
        }
        if (!alive) { // ended meanwhile: this connection has nothing more to ping
            cancel(p);
        }
    }

    /** nanoTime when the write in progress began, 0 when none is (tests: the writer really is stuck). */
    long writingSince() {
        return writingSince;
    }

    @Override
    public void shutdown(DefaultMessageType messageType, boolean reconnect) {
        shutdown(client.getDefaultMessageMap().getDefault(messageType).orElse(null), reconnect);
    }

    /**
     * Says QUIT and closes; the read loop then ends the connection. For good (the bot stops): waits up to
     * {@link #QUIT_WAIT} for the QUIT to be written. To reconnect: does not wait; the writer closes once the QUIT
     * is out, the watch after {@link #QUIT_WAIT} if it is not.
     */
    @Override
    public void shutdown(String message, boolean reconnect) {
        this.reconnect = reconnect;
        client.pauseMessageSending();
        CompletableFuture<Void> quit = quit(message);
        if (!reconnect) {
            try {
                quit.get(QUIT_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                // closing anyway
            }
            close();
            handler.stop();
        }
    }

    /** Hands a QUIT to the writer, to close once it is written; never waits. */
    private CompletableFuture<Void> quit(String message) {
        quitSince = System.nanoTime(); // from now on write() takes nothing: nothing goes after the QUIT
        CompletableFuture<Void> q = hand(List.of("QUIT" + (message != null ? " :" + message : "")), QUEUED_LINES, true);
        q.whenComplete((ok, e) -> close());
        return q;
    }
}
