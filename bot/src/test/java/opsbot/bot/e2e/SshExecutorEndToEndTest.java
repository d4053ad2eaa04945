package opsbot.bot.e2e;

import opsbot.bot.testkit.TestEnv;
import opsbot.commands.model.Invocation;
import opsbot.commands.model.Plan;
import opsbot.commands.ssh.ExecResult;
import opsbot.commands.ssh.FanOut;
import opsbot.commands.ssh.JschExecutor;
import opsbot.config.CommandSpec;
import opsbot.config.HostConfig;
import opsbot.config.Kind;
import opsbot.config.SshConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The SSH executor against the real test sshd and against peers on loopback that misbehave during the
 * handshake: deadlines, timeouts that kill, and more commands on one host than its MaxSessions.
 */
@Tag("e2e")
class SshExecutorEndToEndTest {
    private static final Duration CONNECT = Duration.ofSeconds(2);
    /**
     * Slack for "ended at the connect timeout": generous (a busy 2-core machine), yet a stall that is not cut
     * by the deadline hangs for ever. Other checks are orderings, not wall-clock bounds.
     */
    private static final long SLACK_MS = 2 * CONNECT.toMillis();

    private TestEnv env;
    private HostConfig real;
    private final List<AutoCloseable> closeLast = new ArrayList<>();
    @TempDir
    Path dir;

    @BeforeEach
    void setUp() throws Exception {
        env = new TestEnv();
        real = host("compute1", env.port("SSH_PORT"));
    }

    @AfterEach
    void tearDown() throws Exception {
        env.control("srv", "hang", null);
        for (AutoCloseable c : closeLast.reversed()) c.close();
    }

    private SshConfig ssh(Duration command, int maxParallel, int hostSessions, Path knownHosts) {
        return new SshConfig("opsbot-test", env.run.resolve("client_key").toString(), knownHosts.toString(), CONNECT,
                command, maxParallel, 65536, Duration.ofSeconds(30), hostSessions, maxParallel > 1 ? 1 : 0, null);
    }

    private JschExecutor executor(Duration command) throws Exception {
        return executor(ssh(command, 8, 8, env.run.resolve("known_hosts")));
    }

    private JschExecutor executor(SshConfig cfg) throws Exception {
        JschExecutor ex = new JschExecutor(cfg);
        closeLast.add(ex);
        return ex;
    }

    private static HostConfig host(String name, int port) {
        return new HostConfig(name, "127.0.0.1", port, null, null, null);
    }

    private static long ms(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }

    // --- the handshake under one deadline ----------------------------------------------------------------

    /** How a fake host misbehaves once it has accepted the TCP connection. */
    enum Stall { SILENT, BANNER_THEN_NOTHING, BANNER_ONE_BYTE_AT_A_TIME }

    /** A "host" on a free loopback port that accepts and then stalls the SSH handshake. */
    private static final class StallingPeer implements AutoCloseable {
        final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        final List<Socket> accepted = new CopyOnWriteArrayList<>();

        StallingPeer(Stall how) throws IOException {
            Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        Socket s = server.accept();
                        accepted.add(s);
                        Thread.ofVirtual().start(() -> stall(s, how));
                    }
                } catch (IOException closed) {
                    // done
                }
            });
        }

        private static void stall(Socket s, Stall how) {
            try {
                OutputStream out = s.getOutputStream();
                byte[] banner = "SSH-2.0-OpenSSH_9.2\r\n".getBytes(StandardCharsets.US_ASCII);
                switch (how) {
                    case SILENT -> { }
                    case BANNER_THEN_NOTHING -> out.write(banner);
                    case BANNER_ONE_BYTE_AT_A_TIME -> {
                        // Never a whole line, never silent for long: defeats a per-read timeout.
                        for (int i = 0; ; i = (i + 1) % (banner.length - 2)) {
                            out.write(banner[i]);
                            out.flush();
                            Thread.sleep(300);
                        }
                    }
                }
            } catch (IOException | InterruptedException closed) {
                // the client gave up
            }
        }

        int port() {
            return server.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket s : accepted) s.close();
        }
    }

    @ParameterizedTest
    @EnumSource(Stall.class)
    void aStalledHandshakeEndsAtTheConnectTimeoutAndBlocksNoOtherHost(Stall how) throws Exception {
        StallingPeer peer = new StallingPeer(how);
        closeLast.add(peer);
        JschExecutor ex = executor(Duration.ofSeconds(10));
        HostConfig stalled = host("compute3", peer.port());
        assertTrue(ex.run(real, "true").ok(), "warm: the healthy host's answer below is a channel, not a handshake");

        long t0 = System.nanoTime();
        List<CompletableFuture<ExecResult>> stalls = new ArrayList<>();
        for (int i = 0; i < 4; i++) { // all wait for the same single attempt
            stalls.add(CompletableFuture.supplyAsync(() -> ex.run(stalled, "true"), r -> Thread.ofVirtual().start(r)));
        }
        TestEnv.await("the stalling peer was connected to", () -> !peer.accepted.isEmpty(), Duration.ofSeconds(5));
        ExecResult other = ex.run(real, "echo ok");
        long otherMs = ms(t0);
        assertTrue(other.ok(), other.toString());
        assertTrue(stalls.stream().noneMatch(CompletableFuture::isDone), "the healthy host answered first (" + otherMs + " ms)");
        for (CompletableFuture<ExecResult> f : stalls) {
            ExecResult r = f.get(CONNECT.toMillis() + SLACK_MS * 2, TimeUnit.MILLISECONDS);
            long stalledMs = ms(t0);
            assertEquals("unreachable, connect timeout 2s", r.brief(), how + ": " + r);
            assertTrue(stalledMs <= CONNECT.toMillis() + SLACK_MS, how + ": answered after " + stalledMs + " ms");
        }
        assertEquals(1, peer.accepted.size(), "one connect attempt for the four commands");

        long t1 = System.nanoTime();
        ExecResult again = ex.run(stalled, "true");
        // Not tried again (one accept, below); a try would have taken the whole connect timeout.
        assertTrue(ms(t1) < CONNECT.toMillis(), "answered from memory: " + ms(t1) + " ms");
        assertTrue(again.brief().matches("unreachable \\ds ago \\(connect timeout 2s\\), not retried yet; next try in \\d+s"),
                again.brief());
        assertEquals(1, peer.accepted.size(), "not tried again");
    }

    // --- a timed-out command is killed on the host, or said to be maybe still running ---------------------

    @Test
    void aTimedOutCommandIsKilledOnTheHostWithItsChildren() throws Exception {
        env.control("srv", "hang", "");
        JschExecutor ex = executor(Duration.ofSeconds(2));
        assertTrue(ex.run(real, "true").ok()); // warm: the time below is the command's, not a handshake's
        long t0 = System.nanoTime();
        // $$ is the remote shell: sshd made it a process group (and session) leader; exec keeps that pid for
        // the fake tool, whose `sleep 3600` child is in the same group.
        ExecResult r = ex.run(real, "echo $$; exec srv all status");
        String pgid = ((ExecResult.TimedOut) r).stdout().strip();
        try {
            // Timed out at 2s; the kill is confirmed within the connect timeout, else it would say "may still be running".
            assertTrue(ms(t0) < 2000 + CONNECT.toMillis() + SLACK_MS, ms(t0) + " ms");
            assertEquals("timed out after 2s, killed", r.brief());
            assertTrue(pgid.matches("\\d+"), pgid);
            TestEnv.await("the command's process group is gone", () -> processGroup(pgid).isEmpty(), Duration.ofSeconds(5));
        } finally {
            if (!processGroup(pgid).isEmpty()) { // leave nothing behind, even when failing
                new ProcessBuilder("kill", "-KILL", "--", "-" + pgid).start().waitFor();
            }
        }
    }

    @Test
    void aKillTheHostDoesNotConfirmIsReportedAsMaybeStillRunning() throws Exception {
        JschExecutor ex = executor(Duration.ofSeconds(1));
        // A child that escapes the process group (setsid) and holds the output open: the host never reports
        // the command's end. It exits by itself after 6s.
        ExecResult r = ex.run(real, "setsid sleep 6 & exec sleep 3600");
        assertInstanceOf(ExecResult.TimedOut.class, r);
        assertEquals("timed out after 1s, may still be running", r.brief());
    }

    private static List<String> processGroup(String pgid) {
        try {
            Process p = new ProcessBuilder("pgrep", "-g", pgid).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            p.waitFor();
            return out.isEmpty() ? List.of() : List.of(out.split("\\s+"));
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    // --- more commands on one host than its MaxSessions queue ---------------------------------------------

    /** A dedicated sshd like the test one, on a free port, with MaxSessions 2; stopped after the test. */
    private int sshdWithMaxSessions2() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        String conf = Files.readString(env.run.resolve("sshd_a.conf"))
                .replaceAll("(?m)^ListenAddress .*$", "ListenAddress 127.0.0.1:" + port)
                .replaceAll("(?m)^PidFile .*$", "PidFile " + dir.resolve("sshd.pid"))
                .replaceAll("(?m)^MaxSessions .*$", "MaxSessions 2");
        Path confFile = dir.resolve("sshd.conf");
        Files.writeString(confFile, conf);
        Process sshd = new ProcessBuilder("/usr/sbin/sshd", "-D", "-f", confFile.toString(), "-E", dir.resolve("sshd.log").toString())
                .redirectErrorStream(true).start();
        closeLast.add(() -> {
            sshd.destroy();
            sshd.waitFor(5, TimeUnit.SECONDS);
        });
        TestEnv.await("the MaxSessions 2 sshd listens", () -> {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return true;
            } catch (IOException e) {
                return false;
            }
        }, Duration.ofSeconds(10));
        Files.writeString(dir.resolve("known_hosts"), "[127.0.0.1]:" + port + " "
                + Files.readString(env.run.resolve("host_key_a.pub")).strip() + "\n");
        return port;
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(ints = {2, 8})
    void moreCommandsThanMaxSessionsQueue(int hostSessions) throws Exception {
        int port = sshdWithMaxSessions2();
        // host-sessions 2 matches the host; 8 is more than it allows, and the executor learns that
        JschExecutor ex = executor(ssh(Duration.ofSeconds(20), 8, hostSessions, dir.resolve("known_hosts")));
        HostConfig small = host("small1", port);
        List<CompletableFuture<ExecResult>> runs = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            int n = i;
            runs.add(CompletableFuture.supplyAsync(() -> ex.run(small, "sleep 0.3; echo ok" + n), r -> Thread.ofVirtual().start(r)));
        }
        for (int i = 0; i < runs.size(); i++) {
            ExecResult r = runs.get(i).get(30, TimeUnit.SECONDS);
            assertTrue(r.ok(), "command " + i + ": " + r);
            assertEquals("ok" + i, ((ExecResult.Exited) r).stdout().strip());
        }
    }

    // --- through the fan-out: a dead host's connects hold no slot, changes have reserved ones -------------

    private static Plan plan(Kind kind, HostConfig host, String line) {
        CommandSpec spec = new CommandSpec(kind == Kind.CHANGE ? "fo" : "st", null, null, null, kind, false, null, null, null, line);
        return new Plan(new Invocation(spec, List.of(), Map.of()), List.of(new Plan.Step(host, line)));
    }

    @Test
    void readsForADeadHostNeverDelayAChangeElsewhere() throws Exception {
        StallingPeer peer = new StallingPeer(Stall.SILENT);
        closeLast.add(peer);
        HostConfig dead = host("compute3", peer.port());
        FanOut fanOut = new FanOut(new JschExecutor(ssh(Duration.ofSeconds(10), 2, 8, env.run.resolve("known_hosts"))),
                2, 1, Duration.ofSeconds(12));
        closeLast.add(fanOut);
        // Warm, so that the change below is a channel open, not a handshake that a loaded machine may slow down.
        assertTrue(fanOut.run(plan(Kind.READ, real, "true")).get(0).result().ok());
        List<CompletableFuture<List<FanOut.StepResult>>> reads = new ArrayList<>();
        // Seven: reads may hold at most (2 - 1 reserved) x 8 = 8 admissions, counting the change once it is in.
        // The reads start on threads of their own, so the change may be admitted before the last of them; an
        // eighth read would then be answered "busy" at once (correctly), which is not what this test is about.
        for (int i = 0; i < 7; i++) {
            reads.add(CompletableFuture.supplyAsync(() -> fanOut.run(plan(Kind.READ, dead, "true")), r -> Thread.ofVirtual().start(r)));
        }
        TestEnv.await("the dead host was tried", () -> !peer.accepted.isEmpty(), Duration.ofSeconds(5));
        List<FanOut.StepResult> change = fanOut.run(plan(Kind.CHANGE, real, "echo failed over"));
        assertTrue(change.get(0).result().ok(), change.toString());
        assertEquals(List.of(), reads.stream().filter(CompletableFuture::isDone).map(f -> {
                    try {
                        return f.join().toString();
                    } catch (RuntimeException e) {
                        return e.toString();
                    }
                }).toList(), "the change ran while the dead host was still being tried, before any of its reads was answered");
        for (CompletableFuture<List<FanOut.StepResult>> f : reads) {
            assertEquals("unreachable, connect timeout 2s", f.get(CONNECT.toMillis() + SLACK_MS * 2, TimeUnit.MILLISECONDS)
                    .get(0).result().brief());
        }
        assertEquals(1, peer.accepted.size(), "all seven answered by one connect attempt, not seven in turn");
    }
}
