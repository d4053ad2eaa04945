package opsbot.bot.e2e;

import opsbot.bot.testkit.TestEnv;
import opsbot.commands.ssh.ExecResult;
import opsbot.commands.ssh.JschExecutor;
import opsbot.config.HostConfig;
import opsbot.config.SshConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The test environment's rebootable host (testenv/up.sh, SSH_REBOOT_PORT): the example config's
 * {@code sudo /sbin/reboot} really drops the connection, the host refuses connections for the configured delay
 * and then answers SSH again, while the other test sshd is untouched. The runbook tests rely on all of this.
 */
@Tag("e2e")
class RebootableHostEndToEndTest {
    private static final Duration DOWN = Duration.ofSeconds(4);
    /** Generous: the host is back DOWN after the kill; this only bounds a broken power cycle. */
    private static final Duration BACK_WITHIN = DOWN.plusSeconds(15);

    private TestEnv env;
    private HostConfig rebootable;
    private HostConfig other;
    private final List<AutoCloseable> closeLast = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        env = new TestEnv();
        // A power cycle left by an earlier run ends by itself: start from a host that is up.
        TestEnv.awaitSshUp(env.rebootPort(), BACK_WITHIN);
        rebootable = new HostConfig("compute4", "127.0.0.1", env.rebootPort(), null, null, null);
        other = new HostConfig("compute1", "127.0.0.1", env.port("SSH_PORT"), null, null, null);
        env.clearCalls();
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            for (AutoCloseable c : closeLast.reversed()) c.close();
            env.rebootDelay(null);
        } finally { // leave the host up for whoever comes next
            TestEnv.await("the rebootable host's power cycle ended", () -> !env.rebootPending(), BACK_WITHIN);
            TestEnv.awaitSshUp(env.rebootPort(), BACK_WITHIN);
        }
    }

    private JschExecutor executor() throws Exception {
        JschExecutor ex = new JschExecutor(new SshConfig("opsbot-test", env.run.resolve("client_key").toString(),
                env.run.resolve("known_hosts").toString(), Duration.ofSeconds(3), Duration.ofSeconds(20), 8, 65536,
                Duration.ofSeconds(30), 8, 1, null));
        closeLast.add(ex);
        return ex;
    }

    /** Probes a port every 100 ms on a virtual thread until closed, keeping what it saw. */
    private static final class Watch implements AutoCloseable {
        final List<Long> otherDown = new CopyOnWriteArrayList<>();
        final AtomicLong firstAnswerAfterDown = new AtomicLong();
        final AtomicBoolean sawDown = new AtomicBoolean();
        private final AtomicBoolean stop = new AtomicBoolean();
        private final Thread thread;

        Watch(int rebootPort, int otherPort, long t0) {
            thread = Thread.ofVirtual().start(() -> {
                while (!stop.get()) {
                    if (!TestEnv.sshAnswers(otherPort)) otherDown.add(ms(t0));
                    if (TestEnv.sshRefused(rebootPort)) sawDown.set(true);
                    else if (sawDown.get() && firstAnswerAfterDown.get() == 0 && TestEnv.sshAnswers(rebootPort)) {
                        firstAnswerAfterDown.set(ms(t0));
                    }
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            thread.join();
        }
    }

    private static long ms(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }

    @Test
    void rebootDropsTheConnectionRefusesForTheDelayThenAnswersAgainAndNoOtherHostNotices() throws Exception {
        env.rebootDelay(DOWN);
        JschExecutor ex = executor();
        ExecResult warm = ex.run(rebootable, "echo up");
        assertTrue(warm.ok(), "the rebootable host runs commands before its reboot: " + warm);
        assertTrue(ex.run(other, "true").ok());

        long t0 = System.nanoTime();
        Watch watch = new Watch(env.rebootPort(), env.port("SSH_PORT"), t0);
        closeLast.add(watch);
        ExecResult reboot = ex.run(rebootable, "sudo /sbin/reboot");
        // Killed with its sshd, from outside: the host never said how the command ended.
        assertInstanceOf(ExecResult.Lost.class, reboot, reboot.toString());

        TestEnv.awaitSshDown(env.rebootPort(), Duration.ofSeconds(3));
        assertTrue(env.rebootPending(), "a power cycle is under way");
        ExecResult whileDown = executor().run(rebootable, "true"); // a fresh executor: no remembered failure
        assertInstanceOf(ExecResult.NotRun.class, whileDown, whileDown.toString());
        assertTrue(whileDown.brief().startsWith("unreachable"), whileDown.brief());
        ExecResult otherWhileDown = ex.run(other, "echo still here");
        assertTrue(otherWhileDown.ok(), "the other host runs commands while this one is down: " + otherWhileDown);

        TestEnv.awaitSshUp(env.rebootPort(), BACK_WITHIN);
        long upMs = ms(t0);
        watch.close();
        // The power cycle sleeps DOWN after its kill, which came after t0: never back sooner, however slow the machine.
        assertTrue(watch.sawDown.get(), "connections were refused while down");
        assertTrue(upMs >= DOWN.toMillis(), "back after " + upMs + " ms, before the " + DOWN + " delay");
        assertTrue(watch.firstAnswerAfterDown.get() == 0 || watch.firstAnswerAfterDown.get() >= DOWN.toMillis(),
                "answered " + watch.firstAnswerAfterDown.get() + " ms after the reboot, within the delay");
        assertEquals(List.of(), watch.otherDown, "ms at which the other sshd did not answer");

        // Back for real: a login and a command, through the same executor whose pooled session died.
        ExecResult after = ex.run(rebootable, "echo back");
        assertTrue(after.ok(), "the rebootable host runs commands after its reboot: " + after);
        assertEquals("back", ((ExecResult.Exited) after).stdout().strip());
        TestEnv.await("the power cycle's end recorded", () -> !env.rebootPending(), Duration.ofSeconds(5));
        // sudo reached the fake reboot, which logged once, tagged with the host it ran on.
        assertEquals(List.of(TestEnv.REBOOT_HOST_TAG + "reboot"), env.calls());
    }

    @Test
    void rebootOnAnOrdinaryHostIsAPlainFakeAndSudoRunsOnlyFakeTools() throws Exception {
        JschExecutor ex = executor();
        ExecResult reboot = ex.run(other, "sudo /sbin/reboot");
        assertTrue(reboot.ok(), reboot.toString());
        assertEquals("reboot: done ()", ((ExecResult.Exited) reboot).stdout().strip());
        assertTrue(TestEnv.sshAnswers(env.port("SSH_PORT")));
        assertTrue(TestEnv.sshAnswers(env.rebootPort()), "the rebootable host was not touched");
        assertFalse(env.rebootPending());

        ExecResult real = ex.run(other, "sudo /bin/rm -rf /tmp/nothing-here");
        assertEquals("exit 1", real.brief(), real.toString());
        assertTrue(((ExecResult.Exited) real).stderr().contains("not a fake tool"), real.toString());

        ExecResult tagged = ex.run(rebootable, "srv all status");
        assertTrue(tagged.ok(), tagged.toString());
        assertEquals(List.of("reboot", TestEnv.REBOOT_HOST_TAG + "srv [all] [status]"), env.calls());
    }
}
