package opsbot.bot.e2e;

import opsbot.bot.Bot;
import opsbot.bot.irc.IrcNetwork;
import opsbot.bot.testkit.IrcUser;
import opsbot.bot.testkit.TestEnv;
import opsbot.config.IrcConfig;
import opsbot.config.OpsbotConfig;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.*;

/** The IRC connection itself, on the real InspIRCd: TLS hostname checks, and coming back after a restart. */
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
}
