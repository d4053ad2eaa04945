package opsbot.bot.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import opsbot.bot.Bot;
import opsbot.bot.matrix.MatrixClient;
import opsbot.bot.matrix.MatrixNetwork;
import opsbot.bot.testkit.MatrixRoom;
import opsbot.bot.testkit.TestEnv;
import opsbot.config.OpsbotConfig;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Huge output on the real Synapse, whose limit is 64 KiB per event: what the bot says arrives, cut or paged
 * or split, instead of being refused by the homeserver and lost.
 */
@Tag("e2e")
class MatrixOutputBoundsTest {

    /** The e2e site plus {@code big}: one line of 65000 characters (minified JSON, as far as size goes). */
    private static OpsbotConfig config(TestEnv env, String room) throws Exception {
        String yaml = env.yamlWithMatrix(Files.createTempDirectory("opsbot-matrix-big"), "opsbot", room, false, "5s")
                .replace("commands:\n", """
                        commands:
                          - name: big
                            role: viewer
                            kind: read
                            args: [{name: target, type: hosts}]
                            on: {arg: target}
                            run: "printf '%065000d' 0"
                        """);
        return env.load("matrix-big.yml", yaml);
    }

    private static Bot start(OpsbotConfig cfg, MatrixNetwork[] network) throws Exception {
        Bot bot = Bot.create(cfg, false);
        MatrixNetwork m = bot.matrixNetwork(cfg);
        bot.attach(m);
        String room = cfg.matrix().rooms().get(0);
        TestEnv.await("opsbot joining " + room, () -> m.isJoined(room), Duration.ofSeconds(20));
        network[0] = m;
        return bot;
    }

    @Test
    void aReplyBuiltFromHugeOutputArrivesCut() throws Exception {
        TestEnv env = new TestEnv();
        MatrixClient alice = env.matrixUser("alice");
        String room = alice.createRoom("ops-big-" + System.nanoTime(), "@opsbot:localhost");
        OpsbotConfig cfg = config(env, room);
        MatrixNetwork[] m = new MatrixNetwork[1];
        try (Bot bot = start(cfg, m)) {
            MatrixRoom r = new MatrixRoom(alice, room);
            alice.send(room, "m.text", "!big compute1", null);
            String reply = r.botSays("big · compute1");
            String[] lines = reply.split("\n");
            assertTrue(lines[0].startsWith("✓ big · compute1 · exit 0"), lines[0]);
            assertEquals(2, lines.length, reply.length() + " characters: " + lines.length + " lines");
            assertTrue(lines[1].startsWith("0000") && lines[1].endsWith("…"), "one line, cut: " + lines[1].length());
            assertTrue(lines[1].getBytes(StandardCharsets.UTF_8).length <= 300);
        }
    }

    /**
     * Below the pager, the adapter itself: four lines of 64 KB handed to {@code send} at once (256 KB, four
     * times what one event may hold) arrive as messages under the limit, each saying that it was cut.
     */
    @Test
    void linesTooLargeForOneEventAreSplitAndCutNotLost() throws Exception {
        TestEnv env = new TestEnv();
        MatrixClient alice = env.matrixUser("alice");
        String room = alice.createRoom("ops-split-" + System.nanoTime(), "@opsbot:localhost");
        OpsbotConfig cfg = config(env, room);
        MatrixNetwork[] m = new MatrixNetwork[1];
        try (Bot bot = start(cfg, m)) {
            MatrixRoom r = new MatrixRoom(alice, room);
            List<String> lines = new ArrayList<>();
            for (int i = 1; i <= 4; i++) lines.add("line " + i + " " + "{\"k\":\"v\"}".repeat(65536 / 9));
            lines.add("the end");
            m[0].send(room, lines);
            List<String> bodies = new ArrayList<>();
            for (int i = 1; i <= 4; i++) {
                int n = i;
                JsonNode ev = r.await("part " + i, e -> e.path("sender").asText().equals(MatrixRoom.BOT)
                        && e.path("content").path("body").asText().startsWith("line " + n + " "), Duration.ofSeconds(20));
                bodies.add(ev.path("content").path("body").asText());
            }
            for (String b : bodies) {
                assertTrue(b.endsWith("bytes are more than one Matrix message holds)"), b.substring(b.length() - 80));
                assertTrue(b.getBytes(StandardCharsets.UTF_8).length < 64_000);
            }
            assertEquals("the end", r.botSays("the end"), "the short line after them arrives too, in a message of its own");
        }
    }
}
