package opsbot.bot.e2e;

import opsbot.bot.Bot;
import opsbot.bot.irc.IrcNetwork;
import opsbot.bot.store.Attempt;
import opsbot.bot.store.Store;
import opsbot.bot.testkit.IrcUser;
import opsbot.bot.testkit.TestEnv;
import opsbot.config.OpsbotConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The whole path on real servers: test users on InspIRCd (logged in to Anope by SASL, or not), opsbot
 * connected over TLS with SASL, commands run over SSH on a real sshd against fake site tools.
 */
@Tag("e2e")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class IrcSshEndToEndTest {
    private static final Duration WAIT = Duration.ofSeconds(15);
    private TestEnv env;
    private Path storage;
    private OpsbotConfig cfg;
    private Bot bot;
    private IrcUser alice, bob, impostor;
    private ServerSocket frozen;
    private final List<Socket> frozenConnections = new ArrayList<>();

    @BeforeAll
    void start() throws Exception {
        env = new TestEnv();
        storage = Files.createTempDirectory("opsbot-e2e");
        cfg = env.config(storage, "localhost");
        // "frozen1": accepts TCP but never speaks SSH, like a host hung by a leap second.
        frozen = new ServerSocket(env.port("SSH_DEAD_PORT") - 1, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            try {
                while (true) frozenConnections.add(frozen.accept());
            } catch (Exception e) {
                // closed
            }
        });
        bot = startBot();
        alice = env.user("alice_ops", "alice");
        bob = env.user("bob", "bob");
        impostor = env.user("alice", null); // the nick "alice", but not logged in
        for (IrcUser u : List.of(alice, bob, impostor)) {
            u.join("#ops");
            u.join("#shared");
        }
        warmUp();
    }

    /**
     * The bot must answer a first !ping. Seen twice in about 17 runs: the very first reply after the bot
     * connects did not reach the channel (the attempt was dispatched and stored; the reply never arrived).
     * Not yet explained; it is reported, loudly, rather than let it fail an unrelated first test.
     */
    private void warmUp() throws Exception {
        alice.say("#ops", "!ping");
        try {
            alice.expect("opsbot", "pong"::equals, Duration.ofSeconds(5));
        } catch (AssertionError first) {
            System.err.println("WARNING: opsbot's first reply after connecting was lost (known open issue): " + first.getMessage());
            alice.say("#ops", "!ping");
            alice.expect("opsbot", "pong"::equals, WAIT);
        }
    }

    private Bot startBot() throws Exception {
        IrcNetwork irc = new IrcNetwork(cfg.irc());
        Bot b = Bot.create(cfg, false).attach(irc);
        long end = System.nanoTime() + WAIT.toNanos();
        while (!(irc.isJoined("#ops") && irc.isJoined("#shared"))) {
            if (System.nanoTime() > end) throw new AssertionError("opsbot did not join #ops and #shared in " + WAIT);
            Thread.sleep(50);
        }
        return b;
    }

    @AfterAll
    void stop() throws Exception {
        for (IrcUser u : new IrcUser[]{alice, bob, impostor}) if (u != null) u.close();
        if (bot != null) bot.close();
        if (frozen != null) frozen.close();
        for (Socket s : frozenConnections) s.close();
        env.control("srv", "fail", null);
        env.control("srv", "hang", null);
    }

    @BeforeEach
    void clean() throws Exception {
        env.clearCalls();
        for (IrcUser u : new IrcUser[]{alice, bob, impostor}) if (u != null) u.drain();
    }

    private String botSays(IrcUser u, String containing) throws InterruptedException {
        return u.expect("opsbot", t -> t.contains(containing), WAIT).text();
    }

    @Test
    @Order(1)
    void operatorRunsFailoverAfterConfirming() throws Exception {
        alice.say("#ops", "!fo -K compute4");
        String confirm = botSays(alice, "confirm");
        assertEquals("confirm with !y within 60s: admin1: utils/FailOver.pl -K compute4", confirm);
        assertEquals(List.of(), env.calls(), "nothing runs before the confirmation");
        alice.say("#ops", "!y");
        String result = botSays(alice, "fo ·");
        assertTrue(result.startsWith("✓ fo · admin1 · exit 0"), result);
        assertEquals("FailOver.pl: done (-K compute4)", alice.next("opsbot", WAIT).text());
        assertEquals(List.of("FailOver.pl [-K] [compute4]"), env.calls());
    }

    @Test
    @Order(2)
    void confirmationBelongsToItsAuthor() throws Exception {
        alice.say("#ops", "!fo -a c1");
        botSays(alice, "confirm with !y");
        bob.say("#ops", "!y");
        assertEquals("nothing to confirm for you here", botSays(bob, "nothing"));
        alice.say("#ops", "!no");
        assertTrue(botSays(alice, "cancelled").contains("utils/FailOver.pl -a compute1"));
        assertEquals(List.of(), env.calls());
    }

    @Test
    @Order(3)
    void aNickIsNotAnIdentity() throws Exception {
        impostor.say("#ops", "!fo -K compute4");
        assertEquals("denied: `fo` needs operator; you are not logged in to services", botSays(impostor, "denied"));
        impostor.say("#ops", "!whoami");
        assertTrue(botSays(impostor, "not logged in").startsWith("alice: not logged in to services"));
        alice.say("#ops", "!whoami");
        assertTrue(botSays(alice, "(account alice)").startsWith("alice_ops: alice (account alice), operator"));
        assertEquals(List.of(), env.calls());
    }

    @Test
    @Order(4)
    void sharedChannelIsReadOnlyEvenForAnAdmin() throws Exception {
        bob.say("#shared", "!fo -K compute4");
        assertTrue(botSays(bob, "denied").contains("#shared is a shared channel"));
        bob.say("#shared", "!status c1");
        String r = botSays(bob, "status ·");
        assertTrue(r.startsWith("✓ status · compute1 · exit 0"), r);
        assertEquals(List.of("srv [all] [status]"), env.calls());
        bob.say("#shared", "!help");
        String help = botSays(bob, "you may run here");
        assertTrue(help.contains("status") && !help.contains("fo"), "help lists only what may run here: " + help);
    }

    @Test
    @Order(5)
    void injectionNeverReachesAShell() throws Exception {
        Path marker = Path.of("/tmp/opsbot-inj-" + UUID.randomUUID());
        String m = marker.toString();
        List<String> attempts = List.of("!fo -K 'compute4;touch " + m + "'", "!fo -K $(touch " + m + ")",
                "!fo -K `touch " + m + "`", "!fo -K \"compute4$(touch " + m + ")\"", "!fo -K @/etc/passwd",
                "!srv @compute 'stop;touch " + m + "'", "!fo -K compute4 " + "A".repeat(10_000));
        for (String line : attempts) {
            alice.say("#ops", line);
            String reply = alice.next("opsbot", WAIT).text();
            assertTrue(reply.startsWith("fo:") || reply.startsWith("srv:"), line + " -> " + reply);
        }
        // a newline inside a message: the server splits it; the second half is plain chat
        alice.sendRaw(("PRIVMSG #ops :!fo -K compute4\ntouch " + m + "\r\n").getBytes(StandardCharsets.UTF_8));
        alice.say("#ops", "!no");
        botSays(alice, "cancelled");
        // invalid UTF-8 in the host name
        java.io.ByteArrayOutputStream invalid = new java.io.ByteArrayOutputStream();
        invalid.writeBytes("PRIVMSG #ops :!fo -K compute4".getBytes(StandardCharsets.UTF_8));
        invalid.writeBytes(new byte[]{(byte) 0xff, (byte) 0xfe, '\r', '\n'}); // never valid in UTF-8
        alice.sendRaw(invalid.toByteArray());
        assertTrue(alice.next("opsbot", WAIT).text().startsWith("fo:"));
        assertFalse(Files.exists(marker), "a shell ran something");
        assertEquals(List.of(), env.calls(), "no tool was called");
    }

    @Test
    @Order(6)
    void deadAndFrozenHostsFailFastWithoutBlockingOthers() throws Exception {
        long t0 = System.nanoTime();
        alice.say("#ops", "!uptime dead1");
        String dead = botSays(alice, "dead1");
        assertTrue(dead.contains("unreachable, connection refused"), dead);
        assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(3).toNanos(), "a refused connection fails at once");

        t0 = System.nanoTime();
        alice.say("#ops", "!uptime frozen1");
        bob.say("#ops", "!status c4");
        String other = botSays(bob, "status ·");
        long otherMs = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(other.startsWith("✓ status · compute4 · exit 0"), other);
        String fr = botSays(alice, "frozen1");
        long frozenMs = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(fr.contains("unreachable, connect timeout 3s"), fr);
        assertTrue(otherMs < frozenMs, "the healthy host answered first (" + otherMs + " vs " + frozenMs + " ms)");
    }

    @Test
    @Order(7)
    void changedHostKeyIsRefused() throws Exception {
        alice.say("#ops", "!uptime rekeyed1");
        String r = botSays(alice, "rekeyed1");
        assertTrue(r.contains("host key refused, host key CHANGED"), r);
    }

    @Test
    @Order(8)
    void fanOutSummarisesAndPagesDetails() throws Exception {
        env.control("srv", "fail", "3");
        try {
            alice.say("#ops", "!status @compute");
            String summary = botSays(alice, "status ·");
            assertTrue(summary.startsWith("✗ status · 0 ok, 2 failed: compute1 exit 3; compute4 exit 3"), summary);
            String more = botSays(alice, "!more");
            assertTrue(more.matches("\\(\\+\\d+ lines: !more\\)"), more);
            alice.say("#ops", "!more");
            // every host's output is there, fast as the command was (JSch drops output read too late)
            assertEquals("compute4| srv: done (all status)", botSays(alice, "compute4| srv"));
            assertEquals("compute4| stderr: srv: failing as told", botSays(alice, "compute4| stderr"));
        } finally {
            env.control("srv", "fail", null);
        }
    }

    @Test
    @Order(9)
    void hangingCommandTimesOut() throws Exception {
        env.control("srv", "hang", "");
        try {
            alice.say("#ops", "!status c1");
            String r = botSays(alice, "status ·");
            assertTrue(r.startsWith("✗ status · compute1 · timed out after 4s"), r);
        } finally {
            env.control("srv", "hang", null);
        }
    }

    @Test
    @Order(10)
    void brokenPooledSessionIsReopenedTransparently() throws Exception {
        alice.say("#ops", "!status c1");
        assertTrue(botSays(alice, "status ·").startsWith("✓ status · compute1 · exit 0"));
        // Kill the sshd processes serving opsbot's pooled sessions (as a host reboot or sshd restart would).
        Process kill = new ProcessBuilder("pkill", "-KILL", "-f", "sshd: opsbot-test").inheritIO().start();
        assertEquals(0, kill.waitFor(), "there were pooled sessions to kill");
        env.clearCalls();
        alice.drain();
        alice.say("#ops", "!status c1");
        String r = botSays(alice, "status ·");
        assertTrue(r.startsWith("✓ status · compute1 · exit 0"), r);
        assertEquals(List.of("srv [all] [status]"), env.calls(), "ran exactly once");
    }

    @Test
    @Order(11)
    void attemptsSurviveARestart() throws Exception {
        bot.close();
        bot = null;
        try (Store store = Store.open(cfg.storage())) {
            List<Attempt> all = store.recent(1000);
            Attempt fo = all.stream().filter(a -> "fo".equals(a.command()) && "ran".equals(a.decision()))
                    .findFirst().orElseThrow(() -> new AssertionError("no fo attempt stored: " + all));
            assertEquals("alice", fo.person());
            assertEquals("alice", fo.account());
            assertEquals("#ops", fo.channel());
            assertEquals("admin1=0", fo.exitCodes());
            assertTrue(fo.output().contains("FailOver.pl: done (-K compute4)"));
            assertTrue(all.stream().anyMatch(a -> "denied".equals(a.decision()) && a.account() == null
                    && a.nick().equals("alice")), "the impostor's denial is stored");
        }
        bot = startBot();
        alice.say("#ops", "!ping");
        assertEquals("pong", botSays(alice, "pong"));
        assertTrue(bot.store().recent(1000).size() > 20, "the reopened store still has the earlier attempts");
    }
}
