package opsbot.commands.ssh;

import com.jcraft.jsch.ChannelExec;
import com.jcraft.jsch.JSch;
import com.jcraft.jsch.JSchChangedHostKeyException;
import com.jcraft.jsch.JSchException;
import com.jcraft.jsch.JSchHostKeyException;
import com.jcraft.jsch.JSchUnknownHostKeyException;
import com.jcraft.jsch.Session;
import opsbot.config.Durations;
import opsbot.config.HostConfig;
import opsbot.config.SshConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs commands over SSH with JSch. One session per host is kept open (with keepalives) and reused, so
 * a command on a warm host costs one channel open, not a handshake. Host keys are checked strictly
 * against the configured known_hosts: an unknown or changed key refuses the connection.
 *
 * <p>A step goes: host connected (one connect attempt per host at a time, under one deadline; a host that
 * just failed is answered from memory), then one of the host's channels (at most {@code host-sessions},
 * fewer if the host refuses more), then the caller's bot-wide slot ({@link Gate}), then the command. So
 * only commands that are about to run hold a bot-wide slot. A read waiting for its bot-wide slot does hold
 * a channel of its host; so that reads queued on a host never hold up a change there, one of each host's
 * channels is for changes (see {@link #hostChannels}).
 */
public final class JschExecutor implements Executor {
    private static final Logger log = LoggerFactory.getLogger(JschExecutor.class);
    /** How long a failed connect is remembered and answered without trying again. */
    static final Duration REMEMBER_FAILURE = Duration.ofSeconds(10);
    /** Channel refusals (the host's MaxSessions) a step waits past before it gives up. */
    private static final int REFUSALS = 8;

    private final SshConfig cfg;
    private final JSch jsch = new JSch();
    private final ConcurrentHashMap<String, Link> links = new ConcurrentHashMap<>();
    private final RecentFailures failures;
    private final Duration maxWait;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "ssh-deadlines");
        t.setDaemon(true);
        return t;
    });

    public JschExecutor(SshConfig cfg) throws JSchException {
        this(cfg, Clock.systemUTC());
    }

    JschExecutor(SshConfig cfg, Clock clock) throws JSchException {
        this.cfg = cfg;
        this.failures = new RecentFailures(REMEMBER_FAILURE, clock);
        this.maxWait = cfg.commandTimeout().plus(cfg.connectTimeout());
        jsch.setKnownHosts(cfg.knownHosts());
        jsch.addIdentity(cfg.privateKey());
    }

    /** One host: its pooled session, the connect attempt under way, and its channels. */
    private final class Link {
        Session session;
        /** Completes with the Session, or the NotRun that everyone waiting for this attempt gets. */
        CompletableFuture<Object> connecting;
        /** Channels on {@link #session}; replaced with each new session (a new session, a new limit to learn). */
        Slots channels = hostChannels(cfg.hostSessions());
    }

    @Override
    public ExecResult run(HostConfig host, String commandLine) {
        return run(host, commandLine, Gate.OPEN);
    }

    @Override
    public ExecResult run(HostConfig host, String commandLine, Gate gate) {
        long start = System.nanoTime();
        Link link = links.computeIfAbsent(host.name(), k -> new Link());
        ExecResult.NotRun last = null;
        int refusals = 0, reconnects = 0;
        while (refusals <= REFUSALS && reconnects <= 1) {
            Object connected = session(host, link);
            if (connected instanceof ExecResult.NotRun n) {
                return took(n, start);
            }
            Session session = (Session) connected;
            Slots channels;
            synchronized (link) {
                channels = link.channels;
            }
            Optional<ExecResult.NotRun> notNow = turn(channels, gate, maxWait);
            if (notNow.isPresent()) {
                return took(notNow.get(), start);
            }
            try {
                Opened opened = open(host, session, commandLine);
                switch (opened) {
                    case Opened.Started s -> {
                        return collect(host, s, start);
                    }
                    case Opened.Refused r -> {
                        // The command did not start, so trying again cannot run it twice.
                        int others = channels.inUse() - 1;
                        if (others < 1) {
                            return took(r.why(), start);
                        }
                        channels.limitTo(others); // the host allows no more than that: the rest queue
                        log.info("{}: refused a channel with {} open; running at most {} at once there",
                                host.name(), others, channels.capacity());
                        last = r.why();
                        refusals++;
                    }
                    case Opened.Broken b -> {
                        // The pooled session died under us (server restart, idle NAT drop): reconnect.
                        log.info("{}: pooled session broken ({}), reconnecting", host.name(), b.why().detail());
                        drop(link, session);
                        last = b.why();
                        reconnects++;
                    }
                }
            } finally {
                gate.leave();
                channels.release();
            }
        }
        return took(last, start);
    }

    /**
     * A fresh connection and login, outside the pool and past the remembered failure (a host coming back from a
     * reboot is tried each time it is asked about). A success also ends that memory, so the next command there
     * connects instead of being answered "not retried yet".
     */
    @Override
    public Optional<ExecResult.NotRun> reachable(HostConfig host) {
        Object c;
        try {
            c = connect(host);
        } catch (RuntimeException e) {
            log.warn("{}: reachability probe failed", host.name(), e);
            return Optional.of(new ExecResult.NotRun(ExecResult.Why.ERROR, "probe failed (logged)", Duration.ZERO));
        }
        if (c instanceof ExecResult.NotRun n) {
            return Optional.of(n);
        }
        ((Session) c).disconnect();
        failures.reached(host.name());
        return Optional.empty();
    }

    /**
     * A host's channels. With more than one, the last is for change commands: reads queued on the host (each
     * holding a channel while it waits for a bot-wide slot) can then never keep a failover there waiting.
     * With one there is nothing to reserve; changes still go first when it frees.
     */
    static Slots hostChannels(int hostSessions) {
        return new Slots(hostSessions, hostSessions > 1 ? 1 : 0);
    }

    /**
     * A step's turn: one of the host's channels, then the caller's bot-wide slot. Empty when both are held
     * (the caller leaves the gate, then releases the channel); otherwise why not, and nothing is held.
     */
    static Optional<ExecResult.NotRun> turn(Slots channels, Gate gate, Duration maxWait) {
        long t0 = System.nanoTime();
        boolean held;
        try {
            held = channels.take(gate.kind(), maxWait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            held = false;
        }
        if (!held) {
            return Optional.of(new ExecResult.NotRun(ExecResult.Why.BUSY, "host busy: " + channels.inUse()
                    + " commands running there for " + Durations.format(maxWait), since(t0)));
        }
        Optional<ExecResult.NotRun> refused = gate.enter();
        if (refused.isPresent()) {
            channels.release();
        }
        return refused;
    }

    /** How opening a channel and starting the command went. */
    private sealed interface Opened {
        record Started(ChannelExec channel, Capture out, Capture err) implements Opened {
        }

        /** The session is fine; the host refused this channel (too many open: MaxSessions). */
        record Refused(ExecResult.NotRun why) implements Opened {
        }

        /** The session is gone. */
        record Broken(ExecResult.NotRun why) implements Opened {
        }
    }

    private Opened open(HostConfig host, Session session, String commandLine) {
        ChannelExec ch;
        try {
            ch = (ChannelExec) session.openChannel("exec");
        } catch (JSchException e) {
            return new Opened.Broken(new ExecResult.NotRun(ExecResult.Why.ERROR, String.valueOf(e.getMessage()), Duration.ZERO));
        }
        ch.setCommand(commandLine.getBytes(StandardCharsets.UTF_8));
        ch.setInputStream(null);
        // JSch writes the output straight into these, on its session thread, as it arrives: no pipes, no
        // reader threads. stderr is closed by JSch only when the channel closes, after the exit status has
        // arrived: that close is how collect() learns the command ended, without polling.
        Capture out = new Capture(cfg.outputCap(), null);
        Capture err = new Capture(cfg.outputCap(), new CountDownLatch(1));
        ch.setOutputStream(out, true);
        ch.setExtOutputStream(err, false);
        // connect() without a timeout: with one, JSch asks for a reply to the exec request and polls for it
        // every 10 ms, which costs up to 10 ms per command. The channel open still has a deadline: if the host
        // does not answer it within the connect timeout, the session is stuck and is dropped.
        AtomicBoolean settled = new AtomicBoolean(); // by the open returning, or by the deadline
        ScheduledFuture<?> deadline = timer.schedule(() -> {
            if (settled.compareAndSet(false, true)) {
                log.warn("{}: no answer to a channel open in {}; dropping the session", host.name(),
                        Durations.format(cfg.connectTimeout()));
                session.disconnect();
            }
        }, cfg.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
        try {
            ch.connect();
            // Started, even if the deadline dropped the session just now: the exec request may have gone
            // out, so this must not be retried; collect() reports it as lost.
            settled.set(true);
            return new Opened.Started(ch, out, err);
        } catch (JSchException e) {
            settled.set(true);
            ch.disconnect();
            if (session.isConnected()) {
                return new Opened.Refused(new ExecResult.NotRun(ExecResult.Why.ERROR, "the host refused a channel ("
                        + e.getMessage() + ")", Duration.ZERO));
            }
            return new Opened.Broken(new ExecResult.NotRun(ExecResult.Why.UNREACHABLE, "connection lost ("
                    + e.getMessage() + ")", Duration.ZERO));
        } finally {
            deadline.cancel(false);
        }
    }

    /**
     * Waits for the command to end, up to the command timeout. Then kills it: sshd delivers the signal to the
     * command's whole process group; only if the host then reports the command's end is it called stopped.
     */
    private ExecResult collect(HostConfig host, Opened.Started s, long start) {
        ChannelExec ch = s.channel();
        try {
            if (!s.err().awaitClosed(cfg.commandTimeout())) {
                try {
                    ch.sendSignal("KILL");
                } catch (Exception e) {
                    log.info("{}: could not send KILL: {}", host.name(), e.getMessage());
                }
                boolean ended = s.err().awaitClosed(cfg.connectTimeout());
                boolean stopped = ended && (ch.getExitSignal() != null || ch.getExitStatus() != -1);
                if (!stopped) {
                    log.warn("{}: timed out, and the host did not confirm the kill: it may still be running there",
                            host.name());
                }
                return new ExecResult.TimedOut(cfg.commandTimeout(), s.out().text(), s.err().text(), since(start), stopped);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new ExecResult.Lost(s.out().text(), s.err().text(), since(start));
        } finally {
            ch.disconnect();
        }
        String signal = ch.getExitSignal();
        if (signal != null) {
            return new ExecResult.Exited(ch.getExitStatus(), s.out().text(), s.err().text() + "(ended by signal "
                    + signal + ")\n", s.out().dropped() + s.err().dropped(), since(start));
        }
        if (ch.getExitStatus() == -1) {
            return new ExecResult.Lost(s.out().text(), s.err().text(), since(start));
        }
        return new ExecResult.Exited(ch.getExitStatus(), s.out().text(), s.err().text(),
                s.out().dropped() + s.err().dropped(), since(start));
    }

    /**
     * The pooled session for a host: reused, or connected by the first caller while the others wait for that
     * same attempt (one connect per host at a time); a host that failed moments ago is not tried again yet.
     * Returns the Session or the NotRun.
     */
    private Object session(HostConfig host, Link link) {
        CompletableFuture<Object> attempt;
        boolean mine = false;
        synchronized (link) {
            if (link.session != null && link.session.isConnected()) {
                return link.session;
            }
            Optional<ExecResult.NotRun> recent = failures.recent(host.name());
            if (recent.isPresent()) {
                return recent.get();
            }
            attempt = link.connecting;
            if (attempt == null) {
                attempt = link.connecting = new CompletableFuture<>();
                mine = true;
            }
        }
        if (!mine) {
            try {
                return attempt.get(cfg.connectTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                return connectTimeout(0);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return connectTimeout(0);
            } catch (ExecutionException e) {
                throw new IllegalStateException("connect attempt failed unexpectedly", e.getCause());
            }
        }
        Object result = null;
        try {
            result = connect(host);
        } catch (RuntimeException e) {
            log.warn("{}: connect failed", host.name(), e);
        } finally {
            // Whatever happened, the attempt ends here: the next caller must not wait for a dead one.
            if (result == null) {
                result = new ExecResult.NotRun(ExecResult.Why.ERROR, "connect failed (logged)", Duration.ZERO);
            }
            synchronized (link) {
                link.connecting = null;
                if (result instanceof Session s) {
                    link.session = s;
                    link.channels = hostChannels(cfg.hostSessions());
                }
            }
            if (result instanceof ExecResult.NotRun n && n.why() == ExecResult.Why.UNREACHABLE) {
                failures.failed(host.name(), n.detail());
            } else if (result instanceof Session) {
                failures.reached(host.name());
            }
            attempt.complete(result);
        }
        return result;
    }

    /** Connects, with the whole handshake under the connect timeout. Returns the Session or the NotRun. */
    private Object connect(HostConfig host) {
        long t0 = System.nanoTime();
        HandshakeDeadline deadline = new HandshakeDeadline(t0 + cfg.connectTimeout().toNanos());
        Session s;
        try {
            s = jsch.getSession(cfg.user(), host.address(), host.port());
            s.setSocketFactory(deadline);
            s.setConfig("StrictHostKeyChecking", "yes");
            s.setConfig("PreferredAuthentications", "publickey");
            s.setServerAliveInterval((int) cfg.keepalive().toMillis());
            s.setServerAliveCountMax(3);
        } catch (JSchException e) {
            return notRun(host, e);
        }
        ScheduledFuture<?> watchdog = timer.schedule(deadline::expire, cfg.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
        try {
            s.connect((int) cfg.connectTimeout().toMillis());
        } catch (JSchException e) {
            s.disconnect();
            if (deadline.lookupTimedOut()) {
                return new ExecResult.NotRun(ExecResult.Why.UNREACHABLE, "name lookup timed out", since(t0));
            }
            return deadline.expired() ? connectTimeout(t0) : notRun(host, e);
        } finally {
            watchdog.cancel(false);
        }
        if (!deadline.finish()) {
            s.disconnect();
            return connectTimeout(t0);
        }
        log.info("{}: ssh session open ({}:{})", host.name(), host.address(), host.port());
        return s;
    }

    private ExecResult.NotRun connectTimeout(long t0) {
        return new ExecResult.NotRun(ExecResult.Why.UNREACHABLE, "connect timeout " + Durations.format(cfg.connectTimeout()),
                t0 == 0 ? Duration.ZERO : since(t0));
    }

    private void drop(Link link, Session s) {
        synchronized (link) {
            if (link.session == s) {
                link.session = null;
            }
        }
        s.disconnect();
    }

    private static Duration since(long t0) {
        return Duration.ofNanos(System.nanoTime() - t0);
    }

    private static ExecResult.NotRun took(ExecResult.NotRun n, long start) {
        return new ExecResult.NotRun(n.why(), n.detail(), since(start));
    }

    private ExecResult.NotRun notRun(HostConfig host, Exception e) {
        Duration took = Duration.ZERO;
        Throwable cause = e.getCause();
        String msg = String.valueOf(e.getMessage());
        if (e instanceof JSchChangedHostKeyException) {
            return new ExecResult.NotRun(ExecResult.Why.HOST_KEY, "host key CHANGED: refusing (reinstalled, or "
                    + "someone in between?) — check it, then update known_hosts", took);
        }
        if (e instanceof JSchUnknownHostKeyException || e instanceof JSchHostKeyException) {
            return new ExecResult.NotRun(ExecResult.Why.HOST_KEY, "host key unknown: refusing — add it to known_hosts"
                    + " after checking its fingerprint", took);
        }
        if (cause instanceof ConnectException) {
            return new ExecResult.NotRun(ExecResult.Why.UNREACHABLE, "connection refused", took);
        }
        if (cause instanceof SocketTimeoutException || msg.contains("timeout")) {
            return new ExecResult.NotRun(ExecResult.Why.UNREACHABLE, "connect timeout "
                    + Durations.format(cfg.connectTimeout()), took);
        }
        if (cause instanceof NoRouteToHostException || cause instanceof UnknownHostException) {
            return new ExecResult.NotRun(ExecResult.Why.UNREACHABLE, cause.getClass().getSimpleName()
                    .replace("Exception", "").replaceAll("([a-z])([A-Z])", "$1 $2").toLowerCase(), took);
        }
        if (msg.startsWith("Auth")) {
            return new ExecResult.NotRun(ExecResult.Why.AUTH, "key not accepted for " + cfg.user(), took);
        }
        if (msg.contains("closed by foreign host")) {
            return new ExecResult.NotRun(ExecResult.Why.UNREACHABLE, "connection closed during the handshake", took);
        }
        log.warn("{}: ssh failed", host.name(), e);
        return new ExecResult.NotRun(ExecResult.Why.ERROR, msg.length() > 80 ? msg.substring(0, 80) : msg, took);
    }

    @Override
    public void close() {
        timer.shutdownNow();
        for (Link l : links.values()) {
            synchronized (l) {
                if (l.session != null) {
                    l.session.disconnect();
                }
            }
        }
        links.clear();
    }

    /**
     * Keeps at most {@code cap} bytes of a stream JSch writes into, counting the rest. With a latch, its close
     * (by JSch, when the channel closes) is the signal that the command ended.
     */
    private static final class Capture extends OutputStream {
        private final int cap;
        private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
        private final CountDownLatch closed;
        private long dropped;

        Capture(int cap, CountDownLatch closed) {
            this.cap = cap;
            this.closed = closed;
        }

        @Override
        public synchronized void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            int keep = Math.max(0, Math.min(len, cap - kept.size()));
            kept.write(b, off, keep);
            dropped += len - keep;
        }

        @Override
        public void close() {
            if (closed != null) {
                closed.countDown();
            }
        }

        boolean awaitClosed(Duration max) throws InterruptedException {
            return closed.await(max.toNanos(), TimeUnit.NANOSECONDS);
        }

        synchronized String text() {
            return kept.toString(StandardCharsets.UTF_8);
        }

        synchronized long dropped() {
            return dropped;
        }
    }
}
