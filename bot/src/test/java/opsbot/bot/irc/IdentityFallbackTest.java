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
 * account-notify) with {@code CAP REQ :-…}, so the real IRCd behaves like one without them. Accounts then
 * come from tracking while account-notify keeps it current, else from WHOIS; a nick alone is still nobody.
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

    /** Drops capabilities with {@code CAP REQ :-a -b}, and waits until the bot no longer has them. */
    private static void drop(IrcNetwork irc, String... caps) throws Exception {
        StringBuilder req = new StringBuilder();
        for (String c : caps) req.append(req.isEmpty() ? "" : " ").append('-').append(c);
        irc.kitteh().sendRawLine("CAP REQ :" + req);
        for (String c : caps) {
            TestEnv.await("dropping " + c, () -> irc.kitteh().getCapabilityManager().getCapability(c).isEmpty(), T);
        }
    }

    @Test
    void trackedAccountWhileAccountNotifyThenWhoisThenAnonymous() throws Exception {
        TestEnv env = new TestEnv();
        OpsbotConfig cfg = env.config(Files.createTempDirectory("opsbot-fallback"), "localhost");
        try (Bot bot = Bot.create(cfg, true)) {
            IrcNetwork irc = start(bot, cfg);
            drop(irc, "account-tag");
            try (IrcUser alice = env.user("alice_fb", "alice")) {
                alice.join("#ops"); // extended-join tells the bot her account; account-notify keeps it current
                alice.say("#ops", "!whoami");
                assertTrue(alice.expect("fallbackbot", t -> t.startsWith("alice_fb:"), T).text()
                        .startsWith("alice_fb: alice (account alice), operator"));
            }

            // Without account-notify a logout goes unseen: what extended-join said is not trusted any more.
            drop(irc, "account-notify");
            try (IrcUser bob = env.user("bob_fb", "bob"); IrcUser fake = env.user("bob_fake", null)) {
                bob.join("#ops"); // extended-join still tells the bot his account
                fake.join("#ops");
                bob.say("#ops", "!whoami");
                assertTrue(bob.expect("fallbackbot", t -> t.startsWith("bob_fb:"), T).text()
                        .startsWith("bob_fb: bob (account bob), admin"));
                bob.say("NickServ", "LOGOUT");
                bob.awaitLine(l -> l.startsWith(":NickServ!") && l.toLowerCase(java.util.Locale.ROOT).contains("logged out"), T);
                bob.say("#ops", "!whoami");
                assertTrue(bob.expect("fallbackbot", t -> t.startsWith("bob_fb:"), T).text()
                        .startsWith("bob_fb: not logged in to services"), "a logout the bot was not told of");
                fake.say("#ops", "!whoami");
                assertTrue(fake.expect("fallbackbot", t -> t.startsWith("bob_fake:"), T).text()
                        .startsWith("bob_fake: not logged in to services"));
            }
        }
    }
}
