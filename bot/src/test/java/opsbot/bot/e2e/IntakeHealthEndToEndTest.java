package opsbot.bot.e2e;

import opsbot.bot.Bot;
import opsbot.bot.irc.IrcNetwork;
import opsbot.bot.matrix.MatrixNetwork;
import opsbot.bot.testkit.TestEnv;
import opsbot.config.IntakeConfig;
import opsbot.config.OpsbotConfig;
import opsbot.config.SourceSpec;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The intake's health on the real servers: each network says connected once the bot is in, and an event is taken. */
@Tag("e2e")
class IntakeHealthEndToEndTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String TOKEN = "e2e-backup-token-0123456789";

    @Test
    void healthShowsIrcAndMatrixConnectedAndAnEventIsStored() throws Exception {
        TestEnv env = new TestEnv();
        String room = env.matrixUser("alice").createRoom("intake-" + System.nanoTime(), "@opsbot:localhost");
        OpsbotConfig loaded = env.load("intake-e2e.yml",
                env.yamlWithMatrix(Files.createTempDirectory("opsbot-intake"), "opsbot", room, false, "5s"));
        OpsbotConfig cfg = loaded.withIntake(new IntakeConfig("127.0.0.1:0", null,
                List.of(new SourceSpec("backup", TOKEN, null)), null, null, null, null, null));
        HttpClient http = HttpClient.newHttpClient();
        try (Bot bot = Bot.create(cfg, true)) {
            IrcNetwork irc = new IrcNetwork(cfg.irc(), cfg.bot().prefix());
            MatrixNetwork mx = bot.matrixNetwork(cfg);
            bot.attach(irc).attach(mx);
            URI health = URI.create("http://127.0.0.1:" + bot.intake().port() + "/healthz");
            TestEnv.await("healthz 200 with both networks in", () -> {
                try {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(health).build(), HttpResponse.BodyHandlers.ofString());
                    return r.statusCode() == 200 && r.body().contains("\"irc\":true") && r.body().contains("\"matrix\":true");
                } catch (Exception e) {
                    return false;
                }
            }, WAIT);
            assertTrue(irc.connected() && mx.connected());
            HttpResponse<String> posted = http.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + bot.intake().port() + "/api/v1/events"))
                    .header("Content-Type", "application/json").header("Authorization", "Bearer " + TOKEN)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"source\":\"backup\",\"severity\":\"error\","
                            + "\"host\":\"imap3\",\"summary\":\"missing file 87040 in user.x cyrus.index\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(202, posted.statusCode(), posted.body());
        }
    }
}
