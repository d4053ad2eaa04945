package opsbot.bot.e2e;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import opsbot.bot.Bot;
import opsbot.bot.chat.Inbound;
import opsbot.bot.dispatch.Lanes;
import opsbot.bot.irc.IrcNetwork;
import opsbot.bot.testkit.IrcUser;
import opsbot.bot.testkit.TestEnv;
import opsbot.config.IrcConfig;
import opsbot.config.OpsbotConfig;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The IRC connection itself, on the real InspIRCd: TLS hostname checks, coming back after a restart, the
 * bot's own login when services come up after the IRC server, and reading that a slow handler cannot stall.
 */
@Tag("e2e")
class IrcConnectionTest {
    private static boolean joinsWithin(IrcNetwork irc, Duration max) throws InterruptedException {
        long end = System.nanoTime() + max.toNanos();
        while (System.nanoTime() < end) {
            if (irc.isJoined("#ops")) return true;
            Thread.sleep(50);
        }
        return false;
    }

    @Test
    void certificateForAnotherNameIsRefused() throws Exception {
        TestEnv env = new TestEnv();
        // The server's certificate names "localhost"; 127.0.0.1 is the same socket but not that name.
        OpsbotConfig cfg = env.config(Files.createTempDirectory("opsbot-tls"), "127.0.0.1");
        IrcConfig i = cfg.irc();
        IrcNetwork irc = new IrcNetwork(i.withNick("tlsprobe"));
        try (Bot ignored = Bot.create(cfg, true).attach(irc)) {
            assertFalse(joinsWithin(irc, Duration.ofSeconds(6)), "joined despite a certificate for another host name");
        }
    }

    @Test
    void comesBackAfterTheServerRestarts() throws Exception {
        TestEnv env = new TestEnv();
        OpsbotConfig cfg = env.config(Files.createTempDirectory("opsbot-reconnect"), "localhost");
        IrcNetwork irc = new IrcNetwork(cfg.irc());
        try (Bot ignored = Bot.create(cfg, true).attach(irc)) {
            assertTrue(joinsWithin(irc, Duration.ofSeconds(15)));
            Path pid = env.run.resolve("inspircd/inspircd.pid");
            new ProcessBuilder("kill", Files.readString(pid).trim()).inheritIO().start().waitFor();
            long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (irc.isJoined("#ops") && System.nanoTime() < end) Thread.sleep(50);
            assertFalse(irc.isJoined("#ops"), "the bot noticed the server going away");
            Thread.sleep(3000); // the bot retries against a dead server for a while
            Process up = new ProcessBuilder("bash", env.root.resolve("testenv/up.sh").toString()).inheritIO().start();
            assertEquals(0, up.waitFor(), "testenv/up.sh restarts the server");
            assertTrue(joinsWithin(irc, Duration.ofSeconds(40)), "rejoined after the restart");
            try (IrcUser alice = env.user("alice_rc", "alice")) {
                alice.join("#ops");
                alice.say("#ops", "!ping");
                assertEquals("pong", alice.expect("opsbot", "pong"::equals, Duration.ofSeconds(10)).text());
            }
        }
    }

    private static void startServices(TestEnv env) throws Exception {
        Process up = new ProcessBuilder("bash", env.root.resolve("testenv/up.sh").toString()).inheritIO().start();
        assertEquals(0, up.waitFor(), "testenv/up.sh starts the services again");
    }

    /**
     * Services (Anope) down while the bot connects, as after a network restart where the IRC server came back
     * first: the bot must not sit in #ops without a login; it says why and keeps trying until it logs in.
     */
    @Test
    void joinsOnlyOnceLoggedInWhenServicesComeUpAfterTheIrcServer() throws Exception {
        TestEnv env = new TestEnv();
        OpsbotConfig cfg = env.config(Files.createTempDirectory("opsbot-login"), "localhost");
        IrcConfig i = cfg.irc();
        IrcConfig quick = new IrcConfig(i.server(), i.port(), i.tls(), i.truststore(), i.truststorePassword(), "loginbot",
                i.sasl(), i.channels(), i.rateLimit(), Duration.ofSeconds(3), i.incidentChannels());
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        Logger ircLog = (Logger) LoggerFactory.getLogger("opsbot.bot.irc");
        ircLog.addAppender(logged);
        Path pid = env.run.resolve("anope/anope.pid");
        try {
            ProcessHandle anope = ProcessHandle.of(Long.parseLong(Files.readString(pid).trim()))
                    .orElseThrow(() -> new IllegalStateException("Anope is not running (" + pid + ")"));
            anope.destroy();
            anope.onExit().get(30, TimeUnit.SECONDS);
            IrcNetwork irc = new IrcNetwork(quick);
            try (Bot ignored = Bot.create(cfg, true).attach(irc)) {
                TestEnv.await("two login attempts refused", () -> logged.list.stream()
                        .filter(e -> e.getFormattedMessage().contains("not logged in to services")).count() >= 2, Duration.ofSeconds(30));
                assertFalse(irc.isJoined("#ops"), "joined #ops without a login");
                assertFalse(irc.loggedIn());
                startServices(env);
                TestEnv.await("joining #ops once services are back", () -> irc.isJoined("#ops"), Duration.ofSeconds(90));
                assertTrue(irc.loggedIn(), "logged in before joining");
            }
        } finally {
            ircLog.detachAppender(logged);
            startServices(env); // whatever happened above: the services are up again for everyone
        }
    }

    /**
     * A handler that blocks on one person's line (a slow store write, a long verify) neither stalls reading the
     * connection nor delays another person: their {@code !ping} is answered meanwhile.
     */
    @Test
    void aBlockedHandlerDoesNotStopAnotherPersonsPing() throws Exception {
        TestEnv env = new TestEnv();
        OpsbotConfig cfg = env.config(Files.createTempDirectory("opsbot-lanes"), "localhost");
        IrcNetwork irc = new IrcNetwork(cfg.irc().withNick("lanebot"));
        CountDownLatch release = new CountDownLatch(1);
        try (Lanes<Inbound> lanes = new Lanes<>(16, 64, in -> in.replyTarget() + " " + in.account() + " " + in.nick(), in -> {
            if (in.text().equals("!block")) {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            } else if (in.text().equals("!ping")) {
                irc.send(in.replyTarget(), List.of("pong " + in.nick()));
            }
        }, in -> false)) {
            irc.start(lanes::submit);
            try (IrcUser bob = env.user("bob_lane", "bob"); IrcUser alice = env.user("alice_lane", "alice")) {
                TestEnv.await("joining #ops", () -> irc.isJoined("#ops"), Duration.ofSeconds(15));
                bob.join("#ops");
                alice.join("#ops");
                bob.say("#ops", "!block");
                bob.say("#ops", "!ping"); // waits behind his own blocked line
                alice.say("#ops", "!ping");
                alice.expect("lanebot", "pong alice_lane"::equals, Duration.ofSeconds(10));
                assertThrows(AssertionError.class, () -> bob.expect("lanebot", "pong bob_lane"::equals, Duration.ofMillis(300)),
                        "bob's own lines keep their order: his ping waits for his blocked line");
                release.countDown();
                bob.expect("lanebot", "pong bob_lane"::equals, Duration.ofSeconds(10));
            } finally {
                release.countDown();
                irc.close();
            }
        }
    }
}
