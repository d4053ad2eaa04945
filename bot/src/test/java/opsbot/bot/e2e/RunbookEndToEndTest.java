package opsbot.bot.e2e;

import opsbot.bot.incident.Entry;
import opsbot.bot.incident.IncidentStore;
import opsbot.bot.store.Store;
import opsbot.bot.testkit.IrcUser;
import opsbot.bot.testkit.TestEnv;
import opsbot.config.OpsbotConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The seed reinstall runbook end to end: real InspIRCd and Anope, the real sshds, compute4 on the rebootable host
 * (its fake reboot really drops the connection and refuses SSH for a few seconds). The bot runs as a JVM of its
 * own, so that it can be killed with SIGKILL ({@link Process#destroyForcibly}) in the middle of a wait or a step
 * and started again on the same store.
 */
@Tag("e2e")
class RunbookEndToEndTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    /** The whole runbook: the reboot's delay, tries every second, a 2s wait, JVM start-ups. */
    private static final Duration RUN = Duration.ofSeconds(60);
    private static final String TAG = TestEnv.REBOOT_HOST_TAG;
    private static final List<String> ALL = List.of("FailOver.pl [-a] [compute4]", TAG + "srv [all] [stop]",
            TAG + "ReinstallGrub2.pl [-r]", TAG + "reboot", TAG + "srv [all] [start]", "FailOver.pl [-m] [compute4]");

    private TestEnv env;
    private Path storage;
    private IrcUser bob;
    private Process bot;
    private String nick;
    private int starts;
    private final List<Process> started = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        env = new TestEnv();
        TestEnv.await("no power cycle pending", () -> !env.rebootPending(), WAIT);
        TestEnv.awaitSshUp(env.rebootPort(), WAIT);
        env.rebootDelay(Duration.ofSeconds(3));
        env.clearCalls();
        storage = Files.createTempDirectory("opsbot-rb-e2e");
        bob = env.user("bob_rb", "bob");
        bob.join("#ops");
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            for (Process p : started) {
                p.destroyForcibly();
                p.waitFor();
            }
            if (bob != null) bob.close();
            env.control("ReinstallGrub2.pl", "hang", null);
            env.rebootDelay(null);
        } finally {
            TestEnv.await("the rebootable host's power cycle ended", () -> !env.rebootPending(), WAIT);
            TestEnv.awaitSshUp(env.rebootPort(), WAIT);
        }
    }

    /** The test config with compute4 on the rebootable host, grub and reboot declared, and the runbook. */
    private Path config(String botNick) throws Exception {
        int ssh = env.port("SSH_PORT");
        String y = env.yaml(storage, "localhost", botNick)
                .replace("{name: compute4, address: 127.0.0.1, port: " + ssh + ",",
                        "{name: compute4, address: 127.0.0.1, port: " + env.rebootPort() + ",")
                .replace("command-timeout: 4s", "command-timeout: 30s");
        assertTrue(y.contains("port: " + env.rebootPort()), "compute4 is the rebootable host");
        y = y.replace("storage: {path:", """
                  - name: grub
                    role: admin
                    kind: change
                    args: [{name: host, type: host}]
                    on: {arg: host}
                    run: "utils/ReinstallGrub2.pl -r"
                  - name: reboot
                    role: admin
                    kind: change
                    args: [{name: host, type: host}]
                    on: {arg: host}
                    run: "sudo /sbin/reboot"
                runbooks:
                  - name: reinstall
                    aliases: [ri]
                    role: admin
                    params: [{name: host, type: host}]
                    steps:
                      - run: "fo -a {host}"
                      - run: "srv {host} stop"
                        continue-on-failure: true
                      - run: "grub {host}"
                      - run: "reboot {host}"
                        expect-disconnect: true
                      - until: ssh-reachable
                        on: "{host}"
                        every: 1s
                        at-most: 30s
                      - wait: 10s
                      - run: "srv {host} start"
                      - run: "fo -m {host}"
                      - report
                storage: {path:""");
        env.load("e2e.yml", y.replace("${env:PW}", env.password())); // valid, or fail here with the report
        Path f = storage.resolve("opsbot-" + botNick + ".yml");
        Files.writeString(f, y.replace("${env:PW}", env.password()));
        return f;
    }

    /** Starts the bot as a JVM of its own (a new nick each time: a killed one's may linger) and waits for it in #ops. */
    private void startBot() throws Exception {
        nick = "rbbot" + (++starts);
        Path cfg = config(nick);
        bot = TestEnv.startBot(cfg, storage.resolve(nick + ".log"));
        started.add(bot);
        bob.awaitLine(l -> l.startsWith(":" + nick + "!") && l.contains(" JOIN ") && l.contains("#ops"), WAIT);
        bob.say("#ops", "!ping");
        // On the raw lines: what the bot says unasked right after it joins ("outcome unknown: …") stays in the
        // message queue for the test's next expectation instead of being skipped over while waiting for the pong.
        bob.awaitLine(l -> l.startsWith(":" + nick + "!") && l.endsWith(" :pong"), WAIT);
    }

    private List<String> calls() {
        try {
            return env.calls();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private void kill() throws InterruptedException {
        bot.destroyForcibly();
        bot.waitFor();
    }

    private String botSays(String containing) throws InterruptedException {
        return bob.expect(nick, t -> t.contains(containing), RUN).text();
    }

    private void startReinstall() throws Exception {
        bob.say("#ops", "!reinstall c4");
        String confirm = botSays("confirm with !y");
        assertTrue(confirm.contains("runbook reinstall compute4 (9 steps)"), confirm);
        assertEquals(List.of(), env.calls(), "nothing runs before the confirmation");
        bob.say("#ops", "!y");
        botSays("started R1 reinstall compute4");
    }

    /** The incident's entries, from the store (the bot is stopped first, cleanly: its store is closed and flushed). */
    private List<String> incidentEntries() throws Exception {
        bot.destroy();
        assertTrue(bot.waitFor(30, java.util.concurrent.TimeUnit.SECONDS), "the bot stops on SIGTERM");
        OpsbotConfig c = env.load("x.yml", Files.readString(storage.resolve("opsbot-" + nick + ".yml")));
        try (Store s = Store.open(c.storage())) {
            IncidentStore inc = new IncidentStore(s);
            return inc.entries(inc.list(0).get(0).id()).stream().map(Entry::text).toList();
        }
    }

    @Test
    void theWholeReinstallRunsEveryStepOnceInOrderAndStartsServicesOnlyAfterTheHostIsBack() throws Exception {
        startBot();
        startReinstall();
        botSays("R1 4/9 reboot compute4: ok (the connection dropped, as expected)");
        botSays("compute4 answers SSH again");
        botSays("bob_rb: R1 reinstall compute4 done");
        assertEquals(ALL, env.calls());
        assertTrue(Files.readString(env.run.resolve("reboot-host/power-cycle.log")).contains(" up (sshd "),
                "the host really went down and came back");
        List<String> entries = incidentEntries();
        for (String step : List.of("fo -a compute4 →", "srv compute4 stop →", "grub compute4 →", "reboot compute4 →",
                "trying compute4 over SSH", "compute4 answers SSH again", "waiting 10s", "srv compute4 start →",
                "fo -m compute4 →", "report: 1 fo -a compute4 ok")) {
            assertTrue(entries.stream().anyMatch(e -> e.contains(step)), step + " in " + entries);
        }
    }

    @Test
    void killedDuringTheWaitItGoesOnAfterStartWithNoStepRepeated() throws Exception {
        startBot();
        startReinstall();
        botSays("R1 6/9: waiting 10s");
        kill();
        List<String> before = env.calls();
        assertEquals(ALL.subList(0, 4), before, "the steps before the wait");
        startBot();
        bob.expect(nick, t -> t.contains("bob_rb: R1 reinstall compute4 done"), RUN);
        assertEquals(ALL, env.calls(), "each step once, in order, after the restart too");
    }

    @Test
    void killedInTheMiddleOfAStepItIsUnknownAndRunsAgainOnlyAfterYes() throws Exception {
        env.control("ReinstallGrub2.pl", "hang", "");
        startBot();
        startReinstall();
        TestEnv.await("grub running", () -> calls().contains(TAG + "ReinstallGrub2.pl [-r]"), WAIT);
        kill(); // at once: the step's "started" row was committed (and is on disk) before grub was called
        env.control("ReinstallGrub2.pl", "hang", null);
        startBot();
        botSays("bob_rb: outcome unknown: R1 step 3 `grub compute4` was running when the bot stopped; !y re-runs that step, !cancel R1 stops");
        bob.say("#ops", "!runbook status R1");
        String status = botSays("R1 reinstall compute4 ·");
        assertTrue(status.contains("paused-unknown · step 3/9 `grub compute4`"), status);
        assertEquals(ALL.subList(0, 3), env.calls(), "nothing ran again by itself");
        bob.say("#ops", "!y");
        botSays("R1: running step 3 `grub compute4` again");
        botSays("bob_rb: R1 reinstall compute4 done");
        List<String> calls = env.calls();
        assertEquals(List.of("FailOver.pl [-a] [compute4]", TAG + "srv [all] [stop]", TAG + "ReinstallGrub2.pl [-r]",
                TAG + "ReinstallGrub2.pl [-r]", TAG + "reboot", TAG + "srv [all] [start]", "FailOver.pl [-m] [compute4]"), calls,
                "exactly one more grub, after !y");
    }

    @Test
    void cancelDuringTheWaitMeansNoFurtherCalls() throws Exception {
        startBot();
        startReinstall();
        botSays("R1 6/9: waiting 10s");
        bob.say("#ops", "!cancel R1");
        botSays("cancelled R1 reinstall compute4 at step 6 `wait 10s`; nothing more runs");
        bob.say("#ops", "!runbook status R1");
        assertTrue(botSays("R1 reinstall compute4 ·").contains("cancelled"));
        // Watched well past the wait's due time (10s): nothing more arrives.
        long until = System.nanoTime() + Duration.ofSeconds(12).toNanos();
        while (System.nanoTime() < until) {
            assertEquals(ALL.subList(0, 4), env.calls(), "no call after the cancel");
            Thread.sleep(200);
        }
    }
}
