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
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One connection to the IRC server, in place of Kitteh's Netty connection and doing what it does: TCP (no
 * Nagle) and TLS from the client's settings (its trust manager; the server's name checked as HTTPS does, and
 * sent as SNI), CRLF lines of at most {@link SocketNetworkHandler#MAX_LINE} bytes, each given to Kitteh's input
 * listener and {@code processLine}; writes with Kitteh's output listener; Kitteh's keepalive PING once it
 * asks; closed when nothing was read for {@link Timeouts#idle}; Kitteh's connection events, and the reconnect
 * it asks for in them; QUIT on shutdown.
 *
 * <p>Threads: a platform thread of its own connects and then only reads. Writes happen on the caller's thread,
 * under a lock, straight onto the socket: Kitteh's immediate sender (its registration lines, PONGs) and
 * {@link PacedSender} (everything else, replies on the dispatcher's lanes) write here themselves, several lines
 * in one write where they have several. A write that the server does not take for {@link Timeouts#stuckWrite}
 * (its side stopped reading) closes the connection, which ends the write with an error: the kernel's send
 * buffer is the only buffer, so output waiting for a dead server is bounded.
 */
final class SocketConnection implements ClientConnection {
    private static final Logger log = LoggerFactory.getLogger(SocketConnection.class);

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

    private final Client.WithManagement client;
    private final SocketNetworkHandler handler;
    private final Timeouts timeouts;
    private final ReentrantLock writing = new ReentrantLock();
    private volatile Socket socket;
    private OutputStream out; // guarded by writing
    private volatile boolean reconnect = true;
    private volatile boolean alive = true;
    private volatile boolean closing;
    /** nanoTime when the write in progress began, 0 when none is. */
    private volatile long writingSince;
    private volatile long lastRead = System.nanoTime();
    private volatile String lastMessage;
    private volatile ScheduledFuture<?> ping;
    private volatile ScheduledFuture<?> watch;

    SocketConnection(Client.WithManagement client, SocketNetworkHandler handler, Timeouts timeouts) {
        this.client = client;
        this.handler = handler;
        this.timeouts = timeouts;
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
            ClientConnectionFailedEvent failed = new ClientConnectionFailedEvent(client, reconnect, e);
            client.getEventManager().callEvent(failed);
            client.getExceptionListener().queue(new KittehConnectionException(e, false));
            if (failed.willAttemptReconnect()) {
                handler.reconnectLater(client, failed.getReconnectionDelay());
            }
            return;
        }
        lastRead = System.nanoTime();
        watch = handler.every(this::watch, Duration.ofSeconds(1));
        client.getEventManager().callEvent(new ClientConnectionEstablishedEvent(client));
        client.beginMessageSendingImmediate(this::writeFromKitteh);
        Throwable cause = null;
        try {
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
                handler.lineRead(line);
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

    /** Connects, and for TLS shakes hands and checks the server's name. Gives up when shut down meanwhile. */
    private Socket open() throws IOException {
        HostWithPort server = client.getServerAddress();
        Socket raw = new Socket();
        socket = raw; // so that a shutdown meanwhile can close it
        if (closing) {
            raw.close();
            throw new IOException("shut down while connecting");
        }
        raw.setTcpNoDelay(true);
        raw.setKeepAlive(true);
        if (client.getBindAddress() != null) {
            raw.bind(client.getBindAddress());
        }
        raw.connect(new InetSocketAddress(handler.getResolver().getAddress(server.getHost()), server.getPort()),
                (int) timeouts.connect().toMillis());
        Socket s = raw;
        if (client.isSecureConnection()) {
            SSLSocket ssl = (SSLSocket) tls().getSocketFactory().createSocket(raw, server.getHost(), server.getPort(), true);
            SSLParameters p = ssl.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name the host we asked for
            if (!isIpLiteral(server.getHost())) {
                p.setServerNames(List.of(new SNIHostName(server.getHost())));
            }
            ssl.setSSLParameters(p);
            socket = ssl;
            ssl.setSoTimeout((int) timeouts.handshake().toMillis());
            ssl.startHandshake();
            ssl.setSoTimeout(0);
            s = ssl;
        }
        writing.lock();
        try {
            if (closing) {
                s.close();
                throw new IOException("shut down while connecting");
            }
            out = s.getOutputStream();
        } finally {
            writing.unlock();
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
     * Writes lines, CRLF each, in one write to the socket (one TCP segment, one TLS record, where they fit),
     * on the caller's thread. Throws when the connection is not open or the write failed (then it is closed).
     */
    void write(List<String> lines) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 * lines.size());
        for (String line : lines) {
            bytes.writeBytes(line.getBytes(StandardCharsets.UTF_8));
            bytes.write('\r');
            bytes.write('\n');
        }
        writing.lock();
        try {
            if (out == null || closing) {
                throw new IllegalStateException("not connected");
            }
            writingSince = System.nanoTime();
            try {
                out.write(bytes.toByteArray());
                out.flush();
            } catch (IOException e) {
                close();
                throw new UncheckedIOException(e);
            } finally {
                writingSince = 0;
            }
        } finally {
            writing.unlock();
        }
        for (String line : lines) {
            client.getOutputListener().queue(line);
        }
    }

    /** Kitteh's immediate sender's consumer: it must not throw (that would end Kitteh's sending thread). */
    private void writeFromKitteh(String line) {
        try {
            write(List.of(line));
        } catch (RuntimeException e) {
            client.getExceptionListener().queue(e);
        }
    }

    /** Every second: nothing read for too long, or a write the server does not take, ends the connection. */
    private void watch() {
        if (closing) {
            return; // told once; the read loop ends the connection
        }
        long now = System.nanoTime();
        long since = writingSince;
        if (since != 0 && now - since > timeouts.stuckWrite().toNanos()) {
            log.warn("irc: the server took no output for {} s; closing the connection", timeouts.stuckWrite().toSeconds());
            close();
        } else if (now - lastRead > timeouts.idle().toNanos()) {
            log.warn("irc: nothing heard from the server for {} s; closing the connection", timeouts.idle().toSeconds());
            shutdown(DefaultMessageType.QUIT_PING_TIMEOUT, true);
        }
    }

    /** After the read loop: Kitteh learns the connection ended, and reconnects if its listeners want that. */
    private void ended(Throwable cause) {
        client.pauseMessageSending();
        cancel(ping);
        cancel(watch);
        alive = false;
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

    /** Closes the socket (which ends the read loop, or the connect in progress) without a QUIT. */
    private void close() {
        closing = true;
        Socket s = socket;
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    @Override
    public boolean isAlive() {
        return alive;
    }

    @Override
    public void startPing() {
        ScheduledFuture<?> p = handler.every(client::ping, timeouts.ping());
        ping = p;
        if (!alive) { // ended meanwhile: this connection has nothing more to ping
            cancel(p);
        }
    }

    @Override
    public void shutdown(DefaultMessageType messageType, boolean reconnect) {
        shutdown(client.getDefaultMessageMap().getDefault(messageType).orElse(null), reconnect);
    }

    /** Says QUIT (if the socket takes it within a second) and closes; the read loop then ends the connection. */
    @Override
    public void shutdown(String message, boolean reconnect) {
        this.reconnect = reconnect;
        client.pauseMessageSending();
        try {
            if (writing.tryLock(1, TimeUnit.SECONDS)) {
                try {
                    if (out != null && !closing) {
                        write(List.of("QUIT" + (message != null ? " :" + message : "")));
                    }
                } catch (RuntimeException e) {
                    // closing anyway
                } finally {
                    writing.unlock();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        close();
        if (!reconnect) {
            handler.stop();
        }
    }
}
