package opsbot.bot.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import opsbot.bot.Bot;
import opsbot.bot.irc.IrcNetwork;
import opsbot.bot.matrix.MatrixClient;
import opsbot.bot.matrix.MatrixNetwork;
import opsbot.bot.testkit.IrcUser;
import opsbot.bot.testkit.MatrixRoom;
import opsbot.bot.testkit.TestEnv;
import opsbot.config.OpsbotConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Follow-ups on the real InspIRCd (with Anope accounts), Synapse and sshd: a reminder fires once where it was
 * asked and mentions the asker as the network knows them now; {@code !in} is checked again when it fires; what
 * fell due while the bot was down fires late within {@code bot.late-grace}, or is announced as missed and runs
 * once on {@code !run}.
 */
@Tag("e2e")
class FollowUpEndToEndTest {
    private static final Duration T = Duration.ofSeconds(20);
    private static final Duration GRACE = Duration.ofSeconds(60);

    private TestEnv env;
    private Path dir;
    private Bot bot;
    private final List<AutoCloseable> users = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        env = new TestEnv();
        dir = Files.createTempDirectory("opsbot-followup");
        env.clearCalls();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable u : users) u.close();
        if (bot != null) bot.close();
    }

    private String yaml(String base) {
        return base.replace("bot: {page-lines: 4, confirm-timeout: 60s, timezone: Europe/Berlin}",
                "bot: {page-lines: 8, confirm-timeout: 60s, timezone: Europe/Berlin, late-grace: " + GRACE.toSeconds() + "s}");
    }

    private OpsbotConfig ircConfig(boolean withAlice) {
        String y = yaml(env.yaml(dir, "localhost", "opsbot"));
        if (!withAlice) y = y.replace("  - {name: alice, irc-account: alice, role: operator}\n", "");
        return env.load("followups.yml", y);
    }

    private void startIrc(OpsbotConfig cfg) throws Exception {
        IrcNetwork irc = new IrcNetwork(cfg.irc());
        bot = Bot.create(cfg, false).attach(irc);
        TestEnv.await("opsbot joining #ops", () -> irc.isJoined("#ops"), T);
    }

    private void stop() {
        bot.close();
        bot = null;
    }

    private IrcUser user(String nick) throws Exception {
        IrcUser u = env.user(nick, nick);
        users.add(u);
        u.join("#ops");
        return u;
    }

    /**
     * While the bot is down: follow-up {@code id} fell due at {@code at} (its row and its Quartz timer), as if the
     * bot had been down over its due time. No test waits for a short delay and hopes the bot stops first.
     */
    private void fellDue(OpsbotConfig cfg, String id, Instant at) {
        opsbot.bot.testkit.WhileDown.fellDue(cfg.storage(), "followups", "due_at", Long.parseLong(id.substring(1)), id, at);
    }

    /** The bot's answer to {@code !y}: "F12 at …"; the follow-up's id. */
    private static String scheduled(IrcUser u) throws InterruptedException {
        String t = u.expect("opsbot", s -> s.matches("F\\d+ at .*"), T).text();
        return t.substring(0, t.indexOf(' '));
    }

    @Test
    void aReminderFiresOnceInItsChannelMentioningTheAskerByTheNickTheyHaveNow() throws Exception {
        startIrc(ircConfig(true));
        IrcUser alice = user("alice"), bob = user("bob");
        alice.say("#ops", "!remind 1h check compute4");
        String id = scheduled(alice);
        alice.send("NICK alice_away");
        alice.awaitLine(l -> l.contains("NICK") && l.contains("alice_away"), T);
        bob.say("#ops", "!run " + id); // due now: after the nick change, whatever the machine's speed
        IrcUser.Msg m = bob.expect("opsbot", s -> s.contains("reminder " + id), T);
        assertEquals("#ops", m.target());
        assertEquals("alice_away: reminder " + id + ": check compute4 (run by bob)", m.text());
        // Once: nothing more about it, even after a restart.
        stop();
        startIrc(ircConfig(true));
        bob.say("#ops", "!followups");
        bob.expect("opsbot", "no pending follow-ups"::equals, T);
        bob.say("#ops", "!ping");
        assertEquals("pong", bob.expect("opsbot", s -> s.equals("pong") || s.contains("reminder " + id), T).text(),
                "the reminder was said once");
    }

    @Test
    void aReminderInAMatrixRoomIsARealMention() throws Exception {
        MatrixClient alice = env.matrixUser("alice");
        String room = alice.createRoom("ops-fu-" + System.nanoTime(), MatrixRoom.BOT);
        String y = yaml(env.yamlWithMatrix(dir, "opsbot", room, false, "5s"));
        OpsbotConfig cfg = env.load("followups.yml", y);
        bot = Bot.create(cfg, false);
        MatrixNetwork m = bot.matrixNetwork(cfg);
        bot.attach(m);
        TestEnv.await("opsbot joining the room", () -> m.isJoined(room), T);
        MatrixRoom view = new MatrixRoom(alice, room);
        alice.send(room, "m.text", "!remind 2s check compute4", null);
        String id = view.botSays(" at ").split(" ")[0];
        JsonNode ev = view.await("the reminder", e -> e.path("sender").asText().equals(MatrixRoom.BOT)
                && e.path("content").path("body").asText().contains("reminder " + id), T);
        JsonNode c = ev.path("content");
        assertEquals("@alice:localhost: reminder " + id + ": check compute4", c.path("body").asText());
        assertEquals("@alice:localhost", c.path("m.mentions").path("user_ids").path(0).asText(), c.toString());
        assertEquals(1, c.path("m.mentions").path("user_ids").size(), c.toString());
        assertTrue(c.path("formatted_body").asText().startsWith("<a href=\"https://matrix.to/#/@alice:localhost\">"), c.toString());
    }

    @Test
    void inIsCheckedAgainWhenItFiresAndSomeoneRemovedFromPeopleIsRefused() throws Exception {
        startIrc(ircConfig(true));
        IrcUser alice = user("alice");
        alice.say("#ops", "!in 1h srv c4 start");
        alice.expect("opsbot", s -> s.startsWith("confirm with !y"), T);
        alice.say("#ops", "!y");
        String id = scheduled(alice);
        stop();
        OpsbotConfig without = ircConfig(false); // alice is no longer in people
        fellDue(without, id, Instant.now());
        startIrc(without);
        IrcUser.Msg m = alice.expect("opsbot", s -> s.contains(id + " not run"), T.plusSeconds(10));
        assertTrue(m.text().startsWith("alice: " + id + " not run: denied"), m.text());
        assertEquals("#ops", m.target());
        assertEquals(List.of(), env.calls(), "nothing ran");
    }

    @Test
    void dueWhileDownFiresLateWithinTheGraceAndPastItIsMissedAndRunsOnceOnRun() throws Exception {
        startIrc(ircConfig(true));
        IrcUser alice = user("alice");
        alice.say("#ops", "!in 1h srv c4 start");
        alice.expect("opsbot", s -> s.startsWith("confirm with !y"), T);
        alice.say("#ops", "!y");
        String late = scheduled(alice);
        stop();
        fellDue(ircConfig(true), late, Instant.now().minusSeconds(1)); // while down, well within the grace
        startIrc(ircConfig(true));
        IrcUser.Msg m = alice.expect("opsbot", s -> s.contains(late + " srv c4 start ("), T);
        assertTrue(m.text().matches("alice: " + late + " srv c4 start \\(\\d+ s late: the bot was down\\):"), m.text());
        alice.expect("opsbot", s -> s.startsWith("✓ srv · compute4 · exit 0"), T);
        assertEquals(List.of("srv [all] [start]"), env.calls());

        alice.say("#ops", "!in 1h srv c4 stop");
        alice.expect("opsbot", s -> s.startsWith("confirm with !y"), T);
        alice.say("#ops", "!y");
        String missed = scheduled(alice);
        stop();
        fellDue(ircConfig(true), missed, Instant.now().minus(GRACE).minusSeconds(60)); // past the grace
        startIrc(ircConfig(true));
        m = alice.expect("opsbot", s -> s.contains("missed while down: " + missed), T);
        assertTrue(m.text().matches("alice: missed while down: " + missed + " run: srv c4 stop \\(due .*\\), !run "
                + missed + " or !cancel " + missed), m.text());
        assertEquals(List.of("srv [all] [start]"), env.calls(), "nothing run past the grace");
        alice.say("#ops", "!run " + missed);
        alice.expect("opsbot", s -> s.startsWith("running " + missed + " now"), T);
        alice.expect("opsbot", s -> s.startsWith("✓ srv · compute4 · exit 0"), T);
        alice.say("#ops", "!run " + missed);
        alice.expect("opsbot", s -> s.equals(missed + " is done; only a pending, missed or unknown one can be run"), T);
        assertEquals(List.of("srv [all] [start]", "srv [all] [stop]"), env.calls(), "one call each");
    }
}
