package opsbot.bot.intake;

import opsbot.bot.Bot;
import opsbot.bot.chat.ChatNetwork;
import opsbot.bot.chat.Inbound;
import opsbot.config.IntakeConfig;
import opsbot.config.OpsbotConfig;
import opsbot.config.SourceSpec;
import opsbot.config.StorageConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.*;

/** The intake as the bot runs it: started by Bot.create from the config, health from the attached networks, closed first. */
class BotIntakeTest {
    @TempDir
    Path dir;

    static final class Net implements ChatNetwork {
        volatile boolean up;

        public String name() { return "irc"; }
        public void start(Consumer<Inbound> inbox) { }
        public void send(String target, List<String> lines) { }
        public String selfName() { return "opsbot"; }
        public boolean connected() { return up; }
        public void close() { }
    }

    @Test
    void theBotStartsTheIntakeFromItsConfigAndClosesItFirst() throws Exception {
        IntakeConfig intake = new IntakeConfig("127.0.0.1:0", null,
                List.of(new SourceSpec("backup", IntakeTest.BACKUP_TOKEN, null)), null, null, null, null, null);
        OpsbotConfig cfg = new OpsbotConfig(null, null, null, null, null, null, null, null,
                StorageConfig.embedded(dir.resolve("db").toString())).withIntake(intake);
        HttpClient http = HttpClient.newHttpClient();
        Net net = new Net();
        URI base;
        try (Bot bot = Bot.create(cfg, true)) {
            bot.attach(net);
            base = URI.create("http://127.0.0.1:" + bot.intake().port());
            HttpResponse<String> down = http.send(HttpRequest.newBuilder(base.resolve("/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(503, down.statusCode(), down.body());
            assertTrue(down.body().contains("\"irc\":false"), down.body());
            net.up = true;
            assertEquals(200, http.send(HttpRequest.newBuilder(base.resolve("/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
            HttpResponse<String> posted = http.send(HttpRequest.newBuilder(base.resolve(Front.EVENTS))
                    .header("Content-Type", "application/json").header("Authorization", "Bearer " + IntakeTest.BACKUP_TOKEN)
                    .POST(HttpRequest.BodyPublishers.ofString(IntakeTest.GOOD)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(202, posted.statusCode(), posted.body());
            assertEquals(1, bot.store().transaction("count", EventLog::count));
            assertTrue(bot.dispatcher().metrics().scrape().contains("opsbot_events_received_total{format=\"events\",source=\"backup\"} 1.0"));
        }
        assertThrows(ConnectException.class, () -> http.send(HttpRequest.newBuilder(base.resolve("/healthz")).build(),
                HttpResponse.BodyHandlers.ofString()), "closed with the bot");
    }
}
