package opsbot.bot.e2e;

import opsbot.bot.Bot;
import opsbot.bot.matrix.MatrixClient;
import opsbot.bot.matrix.MatrixNetwork;
import opsbot.bot.testkit.MatrixRoom;
import opsbot.bot.testkit.TestEnv;
import opsbot.config.OpsbotConfig;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** opsbot in a Matrix room on the real Synapse, running commands over SSH on the real sshd. */
@Tag("e2e")
class MatrixEndToEndTest {

    private static OpsbotConfig config(TestEnv env, Path dir, String room) {
        return env.load("matrix-e2e.yml", env.yamlWithMatrix(dir, "opsbot", room, false, "5s"));
    }

    private static Bot start(OpsbotConfig cfg) throws Exception {
        Bot bot = Bot.create(cfg, false);
        return start(bot, bot.matrixNetwork(cfg), cfg);
    }

    /** Attaches {@code m} to {@code bot}; back once the first configured room is joined. */
    private static Bot start(Bot bot, MatrixNetwork m, OpsbotConfig cfg) throws Exception {
        bot.attach(m);
        String room = cfg.matrix().rooms().get(0);
        TestEnv.await("opsbot joining " + room, () -> m.isJoined(room), Duration.ofSeconds(20));
        return bot;
    }

    @Test
    void failoverFromAMatrixRoomRunsOnceEvenAcrossARestart() throws Exception {
        TestEnv env = new TestEnv();
        MatrixClient alice = env.matrixUser("alice"), dave = env.matrixUser("dave");
        String room = alice.createRoom("ops-" + System.nanoTime(), "@opsbot:localhost", "@dave:localhost");
        dave.join(room);
        OpsbotConfig cfg = config(env, Files.createTempDirectory("opsbot-matrix"), room);
        env.clearCalls();

        Bot bot = start(cfg);
        try {
            MatrixRoom r = new MatrixRoom(alice, room);
            alice.send(room, "m.text", "!fo -K compute4", null);
            assertEquals("confirm with !y within 60s: admin1: utils/FailOver.pl -K compute4", r.botSays("confirm"));
            alice.send(room, "m.text", "!y", null);
            assertTrue(r.botSays("fo ·").startsWith("✓ fo · admin1 · exit 0"));
            assertEquals(List.of("FailOver.pl [-K] [compute4]"), env.calls());

            dave.send(room, "m.text", "!fo -K compute4", null);
            assertEquals("denied: `fo` needs operator; your account @dave:localhost is not in opsbot's people list",
                    r.botSays("denied"));
        } finally {
            bot.close();
        }

        String token;
        try (opsbot.bot.store.Store st = opsbot.bot.store.Store.open(cfg.storage())) {
            token = st.state("matrix.access-token");
        }
        assertNotNull(token, "the password login's token is kept");

        // Restart on the same store: the sync token resumes after the handled events; nothing is replayed.
        // The kept access token is used again: one device for the bot, not one per restart.
        bot = start(cfg);
        assertEquals(token, bot.store().state("matrix.access-token"));
        try {
            MatrixRoom r = new MatrixRoom(alice, room);
            alice.send(room, "m.text", "!ping", null);
            assertEquals("pong", r.botSays("pong"));
            assertEquals(List.of("FailOver.pl [-K] [compute4]"), env.calls(), "the confirmed failover ran exactly once");
        } finally {
            bot.close();
        }
    }

    /** Rooms may be configured by alias: the bot joins through it, and trust and replies use that name. */
    @Test
    void aRoomConfiguredByAliasWorksLikeOneByID() throws Exception {
        TestEnv env = new TestEnv();
        MatrixClient alice = env.matrixUser("alice");
        String local = "ops-alias-" + System.nanoTime();
        String roomId = alice.createRoomWithAlias(local, local, "@opsbot:localhost");
        String alias = "#" + local + ":localhost";
        OpsbotConfig cfg = config(env, Files.createTempDirectory("opsbot-alias"), alias);
        env.clearCalls();
        Bot bot = start(cfg);
        try {
            MatrixRoom r = new MatrixRoom(alice, roomId);
            alice.send(roomId, "m.text", "!whoami", null);
            assertTrue(r.botSays("alice (account @alice:localhost), operator").endsWith(alias + " is ops (change commands allowed)"));
        } finally {
            bot.close();
        }
    }

    /**
     * The bot is away while people carry on: more is said than one sync returns (its timeline limit is 50).
     * Back, it reads the gap: a failover and its confirmation typed meanwhile are not run (they are minutes
     * old) and it says so; every note written in the incident thread meanwhile is recorded, in order.
     */
    @Test
    void whatWasSaidWhileTheBotWasAwayIsReadButCommandsAreNotRunLate() throws Exception {
        TestEnv env = new TestEnv();
        MatrixClient alice = env.matrixUser("alice");
        String room = alice.createRoom("ops-gap-" + System.nanoTime(), "@opsbot:localhost");
        OpsbotConfig cfg = env.load("matrix-gap.yml", env.yamlWithMatrix(Files.createTempDirectory("opsbot-gap"),
                "opsbot", room, true, "5s").replace("confirm-timeout: 60s", "confirm-timeout: 60s, stale-after: 2s"));
        env.clearCalls();
        MatrixRoom r = new MatrixRoom(alice, room);
        Bot bot = start(cfg);
        String root;
        try {
            alice.send(room, "m.text", "!incident open imap2 frozen", null);
            assertTrue(r.botSays("opened INC-").startsWith("opened INC-1"));
            root = r.await("the incident's thread root", e -> e.path("sender").asText().equals(MatrixRoom.BOT)
                    && e.path("content").path("body").asText().startsWith("INC-1: imap2 frozen"), Duration.ofSeconds(20))
                    .path("event_id").asText();
        } finally {
            bot.close();
        }

        alice.send(room, "m.text", "!fo -K compute4", null);
        alice.send(room, "m.text", "!y", null);
        int notes = 60;
        for (int i = 1; i <= notes; i++) {
            alice.sendEvent(room, "m.room.message",
                    MatrixClient.inThread(MatrixClient.message("m.text", "gap note " + i, null), root, null));
        }
        Thread.sleep(2500); // all of it older than stale-after

        bot = start(cfg);
        try {
            assertEquals("not run: \"fo -K compute4\" was typed", r.botSays("not run: \"fo").replaceFirst(" \\d+s ago.*", ""));
            assertTrue(r.botSays("not run: \"y\"").endsWith("say it again if it is still wanted"));
            var store = bot.dispatcher().incidents().store();
            TestEnv.await("the notes written meanwhile recorded", () -> store.entries(1).size() == 1 + notes, Duration.ofSeconds(20));
            List<String> texts = store.entries(1).stream().skip(1).map(e -> e.text()).toList();
            for (int i = 1; i <= notes; i++) {
                assertTrue(texts.get(i - 1).matches("\\(written \\d+s earlier\\) gap note " + i), texts.get(i - 1));
            }
            assertEquals(List.of(), env.calls(), "nothing typed while the bot was away ran");
            alice.send(room, "m.text", "!ping", null);
            assertEquals("pong", r.botSays("pong"), "live again");
        } finally {
            bot.close();
        }
    }

    /**
     * A configured room the bot may not join yet (nobody invited it) holds up nothing: the other room works
     * at once, and the invite, when it comes, is accepted, also for a room configured by its alias.
     */
    @Test
    void aRoomNotJoinableYetIsJoinedWhenTheInviteComesWithoutHoldingUpTheOthers() throws Exception {
        TestEnv env = new TestEnv();
        MatrixClient alice = env.matrixUser("alice");
        String open = alice.createRoom("ops-" + System.nanoTime(), "@opsbot:localhost");
        String local = "ops-later-" + System.nanoTime();
        String later = alice.createRoomWithAlias(local, local); // the bot is not invited
        String alias = "#" + local + ":localhost";
        String yaml = env.yamlWithMatrix(Files.createTempDirectory("opsbot-invite"), "opsbot", open, false, "5s")
                .replace("rooms: [\"" + open + "\"]", "rooms: [\"" + open + "\", \"" + alias + "\"]")
                .replace("\"" + open + "\": ops}", "\"" + open + "\": ops, \"" + alias + "\": ops}");
        OpsbotConfig cfg = env.load("matrix-invite.yml", yaml);
        Bot bot = Bot.create(cfg, false);
        MatrixNetwork m = bot.matrixNetwork(cfg);
        start(bot, m, cfg);
        try {
            MatrixRoom r = new MatrixRoom(alice, open);
            alice.send(open, "m.text", "!ping", null);
            assertEquals("pong", r.botSays("pong"), "the room that can be joined works while the other cannot");

            MatrixRoom l = new MatrixRoom(alice, later);
            alice.send(later, "m.text", "!whoami", null); // before the bot is there: never a command
            alice.invite(later, "@opsbot:localhost");
            TestEnv.await("opsbot accepting the invite to " + alias, () -> m.isJoined(alias), Duration.ofSeconds(20));
            alice.send(later, "m.text", "!ping", null);
            assertEquals("pong", l.botSays("pong"));
            assertFalse(l.saw(e -> e.path("sender").asText().equals(MatrixRoom.BOT)
                    && e.path("content").path("body").asText().contains("alice (account")),
                    "what was said before the bot joined is not taken as a command");
            alice.send(later, "m.text", "!whoami", null);
            assertTrue(l.botSays("alice (account @alice:localhost)").endsWith(alias + " is ops (change commands allowed)"),
                    "trust and replies under the configured alias");
        } finally {
            bot.close();
        }
    }

    /** The bot's session revoked while it runs (an admin logging its device out): it logs in again, carries on. */
    @Test
    void aRevokedAccessTokenMeansANewLoginNotASilentBot() throws Exception {
        TestEnv env = new TestEnv();
        MatrixClient alice = env.matrixUser("alice");
        String room = alice.createRoom("ops-" + System.nanoTime(), "@opsbot:localhost");
        OpsbotConfig cfg = config(env, Files.createTempDirectory("opsbot-revoked"), room);
        Bot bot = start(cfg);
        try {
            MatrixRoom r = new MatrixRoom(alice, room);
            alice.send(room, "m.text", "!ping", null);
            assertEquals("pong", r.botSays("pong"));
            String old = bot.store().state("matrix.access-token");
            MatrixClient device = new MatrixClient(TestEnv.HOMESERVER);
            device.useToken(old);
            device.logout();

            alice.send(room, "m.text", "!ping", null);
            assertEquals("pong", r.botSays("pong"), "answered after logging in again");
            String renewed = bot.store().state("matrix.access-token");
            assertNotNull(renewed);
            assertNotEquals(old, renewed, "the new token is kept for the next start");
        } finally {
            bot.close();
        }
    }

    /**
     * An edit is never a command, whatever its body: one whose fallback body lacks the usual "* " prefix
     * (as some clients send) ran `srv all status` before. A new message right after it does run.
     */
    @Test
    void anEditIsNeverACommandButTheNextMessageIs() throws Exception {
        TestEnv env = new TestEnv();
        MatrixClient alice = env.matrixUser("alice");
        String room = alice.createRoom("ops-edit-" + System.nanoTime(), "@opsbot:localhost");
        OpsbotConfig cfg = config(env, Files.createTempDirectory("opsbot-edit"), room);
        Bot bot = start(cfg);
        try {
            MatrixRoom r = new MatrixRoom(alice, room);
            String original = alice.send(room, "m.text", "good morning", null);
            env.clearCalls();
            var edit = MatrixClient.message("m.text", "!status compute1", null);
            edit.putObject("m.new_content").put("msgtype", "m.text").put("body", "!status compute1");
            edit.putObject("m.relates_to").put("rel_type", "m.replace").put("event_id", original);
            alice.sendEvent(room, "m.room.message", edit);
            alice.send(room, "m.text", "!status compute1", null);
            assertTrue(r.botSays("status ·").startsWith("✓ status · compute1 · exit 0"));
            bot.dispatcher().awaitIdle(Duration.ofSeconds(20));
            assertEquals(List.of("srv [all] [status]"), env.calls(), "the new message ran, the edit before it did not");
            assertFalse(r.saw(e -> e.path("sender").asText().equals(MatrixRoom.BOT)
                    && e.path("content").path("body").asText().contains("status ·")), "one answer only");
        } finally {
            bot.close();
        }
    }
}
