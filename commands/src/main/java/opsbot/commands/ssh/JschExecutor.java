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
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Runs commands over SSH with JSch. One session per host is kept open (with keepalives) and reused, so
 * a command on a warm host costs one channel open, not a handshake. Host keys are checked strictly
 * against the configured known_hosts: an unknown or changed key refuses the connection.
 */
public final class JschExecutor implements Executor {
    private static final Logger log = LoggerFactory.getLogger(JschExecutor.class);

    private final SshConfig cfg;
    private final JSch jsch = new JSch();
    private final ConcurrentHashMap<String, Session> sessions = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, ReentrantLock> locks = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "ssh-timeouts");
        t.setDaemon(true);
        return t;
    });

    public JschExecutor(SshConfig cfg) throws JSchException {
        this.cfg = cfg;
        jsch.setKnownHosts(cfg.knownHosts());
        jsch.addIdentity(cfg.privateKey());
    }

    @Override
    public ExecResult run(HostConfig host, String commandLine) {
        long start = System.nanoTime();
        Session session;
        Exec exec;
        try {
            session = session(host);
        } catch (JSchException e) {
            return notRun(host, e, start);
        }
        try {
            exec = open(session, commandLine);
        } catch (JSchException | IOException first) {
            if (session.isConnected()) {
                return notRun(host, first, start); // the session is fine; the channel itself was refused
            }
            // The pooled session died under us (server restart, idle NAT drop). The command did not start,
            // so reopening once and trying again cannot run it twice.
            log.info("{}: pooled session broken ({}), reconnecting once", host.name(), first.getMessage());
            drop(host, session);
            try {
                session = session(host);
                exec = open(session, commandLine);
            } catch (JSchException | IOException e) {
                return notRun(host, e, start);
            }
        }
        return collect(exec, start);
    }

    /** A started command: its channel and output streams. */
    private record Exec(ChannelExec channel, InputStream out, InputStream err) {
    }

    private Exec open(Session session, String commandLine) throws JSchException, IOException {
        ChannelExec ch = (ChannelExec) session.openChannel("exec");
        ch.setCommand(commandLine.getBytes(StandardCharsets.UTF_8));
        ch.setInputStream(null);
        // The streams must exist before connect(): a fast command's output can arrive at once, and JSch
        // drops what comes before anyone asked for it.
        InputStream out = ch.getInputStream();
        InputStream err = ch.getErrStream();
        ch.connect((int) cfg.connectTimeout().toMillis());
        return new Exec(ch, out, err);
    }

    private ExecResult collect(Exec exec, long start) {
        ChannelExec ch = exec.channel();
        AtomicBoolean timedOut = new AtomicBoolean();
        ScheduledFuture<?> deadline = timer.schedule(() -> {
            timedOut.set(true);
            try {
                ch.sendSignal("KILL");
            } catch (Exception ignored) {
                // best effort: not every server honours signals
            }
            ch.disconnect();
        }, cfg.commandTimeout().toMillis(), TimeUnit.MILLISECONDS);
        Capture out = new Capture(cfg.outputCap());
        Capture err = new Capture(cfg.outputCap());
        try {
            Thread errReader = Thread.ofVirtual().start(() -> err.drain(exec.err()));
            out.drain(exec.out());
            errReader.join();
            while (!ch.isClosed() && !timedOut.get()) {
                Thread.sleep(1); // exit-status arrives just before close
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            deadline.cancel(false);
            ch.disconnect();
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        if (timedOut.get()) {
            return new ExecResult.TimedOut(cfg.commandTimeout(), out.text(), err.text(), took);
        }
        return new ExecResult.Exited(ch.getExitStatus(), out.text(), err.text(), out.dropped + err.dropped, took);
    }

    /** The pooled session for a host, connecting it if needed. One connect at a time per host. */
    private Session session(HostConfig host) throws JSchException {
        Session s = sessions.get(host.name());
        if (s != null && s.isConnected()) {
            return s;
        }
        ReentrantLock lock = locks.computeIfAbsent(host.name(), k -> new ReentrantLock());
        lock.lock();
        try {
            s = sessions.get(host.name());
            if (s != null && s.isConnected()) {
                return s;
            }
            s = jsch.getSession(cfg.user(), host.address(), host.port());
            s.setConfig("StrictHostKeyChecking", "yes");
            s.setConfig("PreferredAuthentications", "publickey");
            s.setServerAliveInterval((int) cfg.keepalive().toMillis());
            s.setServerAliveCountMax(3);
            s.connect((int) cfg.connectTimeout().toMillis());
            sessions.put(host.name(), s);
            log.info("{}: ssh session open ({}:{})", host.name(), host.address(), host.port());
            return s;
        } finally {
            lock.unlock();
        }
    }

    private void drop(HostConfig host, Session s) {
        sessions.remove(host.name(), s);
        s.disconnect();
    }

    private ExecResult notRun(HostConfig host, Exception e, long start) {
        Duration took = Duration.ofNanos(System.nanoTime() - start);
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
        log.warn("{}: ssh failed", host.name(), e);
        return new ExecResult.NotRun(ExecResult.Why.ERROR, msg.length() > 80 ? msg.substring(0, 80) : msg, took);
    }

    @Override
    public void close() {
        timer.shutdownNow();
        sessions.values().forEach(Session::disconnect);
        sessions.clear();
    }

    /** Reads a stream to its end, keeping at most {@code cap} bytes and counting the rest. */
    private static final class Capture {
        private final int cap;
        private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
        long dropped;

        Capture(int cap) {
            this.cap = cap;
        }

        void drain(InputStream in) {
            byte[] buf = new byte[8192];
            try {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    int keep = Math.max(0, Math.min(n, cap - kept.size()));
                    kept.write(buf, 0, keep);
                    dropped += n - keep;
                }
            } catch (IOException e) {
                // channel closed under us (timeout): keep what we have
            }
        }

        String text() {
            return kept.toString(StandardCharsets.UTF_8);
        }
    }
}
