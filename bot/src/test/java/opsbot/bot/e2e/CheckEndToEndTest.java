package opsbot.bot.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import opsbot.bot.Bot;
import opsbot.bot.irc.IrcNetwork;
import opsbot.bot.matrix.MatrixClient;
import opsbot.bot.matrix.MatrixNetwork;
import opsbot.bot.outbox.Target;
import opsbot.bot.testkit.IrcUser;
import opsbot.bot.testkit.MatrixRoom;
import opsbot.bot.testkit.TestEnv;
import opsbot.config.CheckSpec;
import opsbot.config.OpsbotConfig;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A health check on the real servers: spamassassin --lint over SSH every second (a CheckSpec made here: the
 * config's minimum is 10s), reporting to an IRC channel on InspIRCd and a room on Synapse. It starts failing:
 * said once in each, not again while it keeps failing, and once when it recovers.
 */
@Tag("e2e")
class CheckEndToEndTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String LINT = "spamassassin [--lint]";

    @Test
    void aCheckThatStartsFailingIsSaidOnceNotAgainWhileFailingAndOnceOnRecovery() throws Exception {
        TestEnv env = new TestEnv();
        MatrixClient mx = env.matrixUser("alice");
        String room = mx.createRoom("checks-" + System.nanoTime(), "@opsbot:localhost");
        String yaml = env.yamlWithMatrix(Files.createTempDirectory("opsbot-checks"), "opsbot", room, false, "5s")
                .replace("commands:\n", """
                        commands:
                          - name: salint
                            role: operator
                            kind: read
                            args: [{name: target, type: hosts}]
                            on: {arg: target}
                            run: "spamassassin --lint"
                        """);
        OpsbotConfig loaded = env.load("checks-e2e.yml", yaml);
        CheckSpec spam = new CheckSpec("spam", "", "salint compute1,compute4", Duration.ofSeconds(1), null, null,
                List.of("#ops", room), 2);
        OpsbotConfig cfg = new OpsbotConfig(loaded.bot(), loaded.irc(), loaded.matrix(), loaded.people(), loaded.channels(),
                loaded.hosts(), loaded.ssh(), loaded.commands(), loaded.storage(), loaded.runbooks(), List.of(spam));
        env.control("spamassassin", "fail", null);
        env.clearCalls();

        IrcUser alice = env.user("alice_chk", "alice");
        Bot bot = null;
        try {
            alice.join("#ops");
            MatrixRoom r = new MatrixRoom(mx, room);
            IrcNetwork irc = new IrcNetwork(cfg.irc(), cfg.bot().prefix());
            bot = Bot.create(cfg, false).attach(irc);
            MatrixNetwork m = bot.matrixNetwork(cfg);
            bot.attach(m);
            TestEnv.await("opsbot in #ops and the room", () -> irc.isJoined("#ops") && m.isJoined(room), WAIT);

            awaitRuns(env, 2, "two passing runs");
            env.control("spamassassin", "fail", "2");
            String failing = alice.expect("opsbot", t -> t.startsWith("check spam"), WAIT).text();
            assertEquals("check spam failing on compute1, compute4: compute1 exit 2: spamassassin: done (--lint)"
                    + " | spamassassin: failing as told; compute4 exit 2: spamassassin: done (--lint) | spamassassin: failing as told",
                    failing);
            assertEquals(failing, r.botSays("check spam"), "the same line in the Matrix room");

            awaitRuns(env, 4, "four more failing runs");
            env.control("spamassassin", "fail", null);
            String back = alice.expect("opsbot", t -> t.startsWith("check spam"), WAIT).text();
            assertTrue(back.matches("check spam ok again \\(failing since (\\d{4}-\\d\\d-\\d\\d )?\\d\\d:\\d\\d [A-Za-z/_]+, (\\d{4}-\\d\\d-\\d\\d )?\\d\\d:\\d\\d UTC, \\d+s\\)"),
                    "the next thing said is the recovery, nothing while failing: " + back);
            assertEquals(back, r.botSays("check spam"));

            awaitRuns(env, 3, "three more passing runs");
            assertTrue(bot.dispatcher().outbox().awaitSent(List.of(new Target("irc", "#ops"), new Target("matrix", room)), WAIT));
            alice.say("#ops", "!checks");
            String listed = alice.expect("opsbot", t -> t.startsWith("check spam") || t.startsWith("spam: "), WAIT).text();
            assertTrue(listed.startsWith("spam: ✓ ok"), "nothing more was said after the recovery: " + listed);
            mx.send(room, "m.text", "!ping", null);
            r.await("pong", e -> e.path("content").path("body").asText().equals("pong"), WAIT);
            Predicate<JsonNode> aboutSpam = e -> e.path("sender").asText().equals(MatrixRoom.BOT)
                    && e.path("content").path("body").asText().startsWith("check spam");
            assertEquals(0, r.seen().stream().filter(aboutSpam).count(), "nothing else said in the room: " + r.seen());
        } finally {
            env.control("spamassassin", "fail", null);
            if (bot != null) bot.close();
            alice.close();
        }
    }

    /** Waits until {@code n} more runs of the check reached both hosts (two calls each). */
    private static void awaitRuns(TestEnv env, int n, String what) throws Exception {
        long before = env.calls().stream().filter(LINT::equals).count();
        TestEnv.await(what, () -> {
            try {
                return env.calls().stream().filter(LINT::equals).count() >= before + 2L * n;
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, WAIT);
    }
}
