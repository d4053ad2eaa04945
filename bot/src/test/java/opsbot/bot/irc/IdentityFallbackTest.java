package opsbot.bot.irc;

import opsbot.bot.Bot;
import opsbot.bot.testkit.IrcUser;
import opsbot.bot.testkit.TestEnv;
import opsbot.config.OpsbotConfig;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Identity where the server does not vouch per message: the bot drops {@code account-tag} (and then also
 * extended-join and account-notify) with {@code CAP REQ :-…}, so the real IRCd behaves like one without
 * them. Accounts then come from tracking, then from WHOIS; a nick alone is still nobody.
 */
@Tag("e2e")
class IdentityFallbackTest {
    private static final Duration T = Duration.ofSeconds(15);

    private static IrcNetwork start(Bot bot, OpsbotConfig cfg) throws Exception {
        IrcNetwork irc = new IrcNetwork(cfg.irc().withNick("fallbackbot"));
        bot.attach(irc);
        TestEnv.await("joining #ops", () -> irc.isJoined("#ops"), T);
        return irc;
    }

    private static void drop(IrcNetwork irc, String caps) throws Exception {
        irc.kitteh().sendRawLine("CAP REQ :" + caps);
        TestEnv.await("dropping account-tag", () -> irc.kitteh().getCapabilityManager().getCapability("account-tag").isEmpty(), T);
        Thread.sleep(300); // the other capabilities in the same ACK
    }

    @Test
    void trackedAccountThenWhoisThenAnonymous() throws Exception {
        TestEnv env = new TestEnv();
        OpsbotConfig cfg = env.config(Files.createTempDirectory("opsbot-fallback"), "localhost");
        try (Bot bot = Bot.create(cfg, true)) {
            IrcNetwork irc = start(bot, cfg);
            drop(irc, "-account-tag");
            try (IrcUser alice = env.user("alice_fb", "alice")) {
                alice.join("#ops"); // extended-join tells the bot her account
                alice.say("#ops", "!whoami");
                assertTrue(alice.expect("fallbackbot", t -> t.startsWith("alice_fb:"), T).text()
                        .startsWith("alice_fb: alice (account alice), operator"));
            }

            drop(irc, "-extended-join -account-notify");
            try (IrcUser bob = env.user("bob_fb", "bob"); IrcUser fake = env.user("bob_fake", null)) {
                bob.join("#ops"); // nothing tells the bot his account now: it asks with WHOIS
                fake.join("#ops");
                bob.say("#ops", "!whoami");
                assertTrue(bob.expect("fallbackbot", t -> t.startsWith("bob_fb:"), T).text()
                        .startsWith("bob_fb: bob (account bob), admin"));
                fake.say("#ops", "!whoami");
                assertTrue(fake.expect("fallbackbot", t -> t.startsWith("bob_fake:"), T).text()
                        .startsWith("bob_fake: not logged in to services"));
            }
        }
    }
}
