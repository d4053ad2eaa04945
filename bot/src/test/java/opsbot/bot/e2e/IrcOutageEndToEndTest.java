package opsbot.bot.e2e;

import opsbot.bot.store.Store;
import opsbot.bot.testkit.IrcUser;
import opsbot.bot.testkit.TestEnv;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Events posted over HTTP while the real InspIRCd is down: the bot (a JVM of its own) takes and stores them, and
 * says each once, in the order posted, when the server is back, also when the bot itself was killed meanwhile.
 *
 * <p>Who is in #ops first after the restart is not left to luck: services (Anope) are held (SIGSTOP) while the
 * IRC server comes back, so the bot, which joins only once logged in, cannot join before alice, who listens
 * anonymously; then services are let go and the bot logs in, joins and speaks.
 */
@Tag("e2e")
class IrcOutageEndToEndTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Duration BACK = Duration.ofSeconds(90);
    private static final String TOKEN = "backup-token-0123456789ab";

    private TestEnv env;
    private Path storage;
    private int port;
    private IrcUser alice;
    private Process bot;
    private String nick;
    private int starts;
    private final List<Process> started = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    /** What the test took down and must bring back, whatever happens (other tests need both servers). */
    private long ircdStopped = -1;
    private long anopeHeld = -1;
    private Thread release;

    @BeforeEach
    void setUp() throws Exception {
        env = new TestEnv();
        storage = Files.createTempDirectory("opsbot-outage-e2e");
        port = TestEnv.freePort();
        alice = env.user("alice_out", "alice");
        alice.join("#ops");
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            restoreServers();
        } finally {
            for (Process p : started) {
                p.destroyForcibly();
                p.waitFor();
            }
            if (alice != null) alice.close();
        }
    }

    /** The bot on the test IRC network (reconnecting within 3s at most), taking events for #ops over HTTP. */
    private Path config(String botNick) throws Exception {
        String y = env.yaml(storage, "localhost", botNick).replace("  rate-limit: 50\n", "  rate-limit: 50\n  reconnect-max: 3s\n")
                + """
                intake:
                  listen: 127.0.0.1:%d
                  sources:
                    - {name: backup, token: %s}
                  routes:
                    - {to: ["#ops"], lines-per-minute: 10}
                """.formatted(port, TOKEN);
        assertTrue(y.contains("reconnect-max: 3s"), "the test config reconnects quickly");
        y = y.replace("${env:PW}", env.password());
        env.load("outage-e2e.yml", y); // valid, or fail here with the report
        Path f = storage.resolve("opsbot-" + botNick + ".yml");
        Files.writeString(f, y);
        return f;
    }

    /** Starts the bot as a JVM of its own, under a new nick, and waits until its intake answers. */
    private void launch() throws Exception {
        nick = "outbot" + (++starts);
        Path cfg = config(nick);
        bot = TestEnv.startBot(cfg, storage.resolve(nick + ".log"));
        started.add(bot);
        TestEnv.await("the intake of " + nick + " answering", () -> get("/healthz") != null, WAIT);
    }

    /** {@link #launch}, then waits for the bot in #ops and a {@code !ping} answered there. */
    private void startBot() throws Exception {
        launch();
        alice.awaitLine(l -> l.startsWith(":" + nick + "!") && l.contains(" JOIN ") && l.contains("#ops"), WAIT);
        alice.say("#ops", "!ping");
        alice.take(nick, "pong"::equals, WAIT);
    }

    /** The body of a GET to the intake, or null while nothing answers. */
    private String get(String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (Exception e) {
            return null;
        }
    }

    private boolean pendingOnIrc(int n) {
        String m = get("/metrics");
        return m != null && m.contains("opsbot_outbox_pending{network=\"irc\"} " + n + ".0");
    }

    private void event(String host, String summary) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/events"))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + TOKEN)
                .POST(HttpRequest.BodyPublishers.ofString("{\"source\":\"backup\",\"severity\":\"error\",\"host\":\"" + host
                        + "\",\"key\":\"" + host + "/outage\",\"summary\":\"" + summary + "\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(202, r.statusCode(), r.body());
    }

    private static String line(String host, String summary) {
        return "\\[A\\d+] ERROR backup " + host + ": " + summary;
    }

    private static long pid(Path file) throws Exception {
        return Long.parseLong(Files.readString(file).trim());
    }

    private static void signal(String sig, long pid) throws Exception {
        assertEquals(0, new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).inheritIO().start().waitFor(),
                "kill -" + sig + " " + pid);
    }

    private void upSh() throws Exception {
        Process up = new ProcessBuilder("bash", env.root.resolve("testenv/up.sh").toString()).inheritIO().start();
        assertEquals(0, up.waitFor(), "testenv/up.sh starts the IRC server again");
    }

    /** Stops InspIRCd, waits for it to exit and for the bot to say IRC is down; holds services meanwhile. */
    private void ircDown() throws Exception {
        long ircd = pid(env.run.resolve("inspircd/inspircd.pid"));
        long anope = pid(env.run.resolve("anope/anope.pid"));
        ircdStopped = ircd;
        signal("TERM", ircd);
        // up.sh starts InspIRCd only when its pid is not alive: a server still shutting down would be left to exit.
        TestEnv.await("InspIRCd exited", () -> ProcessHandle.of(ircd).map(h -> !h.isAlive()).orElse(true), WAIT);
        anopeHeld = anope;
        // Should the test JVM be stopped before its finally, services must not stay frozen for everyone.
        release = new Thread(() -> {
            try {
                new ProcessBuilder("kill", "-CONT", Long.toString(anope)).start().waitFor();
            } catch (Exception ignored) {
                // nothing more to do on the way out
            }
        });
        Runtime.getRuntime().addShutdownHook(release);
        signal("STOP", anope);
        TestEnv.await("the bot saying IRC is down", () -> {
            String h = get("/healthz");
            return h != null && h.contains("\"irc\":false");
        }, WAIT);
    }

    /**
     * Starts InspIRCd again (services still held), has alice back in #ops first, anonymously, then lets services
     * go: the bot logs in and joins after her, so she sees all it says there.
     */
    private void ircBack() throws Exception {
        upSh();
        ircdStopped = -1;
        alice.close();
        alice = IrcUser.connect(env.port("IRC_PORT"), "alice_out", null, null);
        alice.join("#ops");
        String health = get("/healthz");
        assertTrue(health != null && health.contains("\"irc\":false"), "the bot cannot be back before services are: " + health);
        releaseServices();
        alice.awaitLine(l -> l.startsWith(":" + nick + "!") && l.contains(" JOIN ") && l.contains("#ops"), BACK);
    }

    private void releaseServices() throws Exception {
        if (anopeHeld > 0) {
            signal("CONT", anopeHeld);
            anopeHeld = -1;
            Runtime.getRuntime().removeShutdownHook(release);
        }
    }

    private void restoreServers() throws Exception {
        try {
            releaseServices();
        } finally {
            if (ircdStopped > 0) {
                upSh();
                ircdStopped = -1;
            }
        }
    }

    /**
     * After the lines awaited: a marker event (the outbox says a target's rows in order, so a repeat of an earlier
     * row would come before it) and a {@code !ping} from bob: nothing else from the bot in between.
     */
    private void nothingMore() throws Exception {
        event("imap9", "marker");
        assertTrue(alice.next(nick, WAIT).text().matches(line("imap9", "marker")), "nothing said twice before the marker");
        try (IrcUser bob = env.user("bob_out", "bob")) { // logged in: services are linked again
            bob.join("#ops");
            bob.say("#ops", "!ping");
            assertEquals("pong", alice.next(nick, WAIT).text(), "nothing said after the marker");
        }
    }

    /** After a clean stop: the events and the #ops rows, each once and sent. */
    private void stored(int events) throws Exception {
        bot.destroy();
        assertTrue(bot.waitFor(30, TimeUnit.SECONDS));
        try (Store s = Store.open(env.load("x.yml", Files.readString(storage.resolve("opsbot-" + nick + ".yml"))).storage())) {
            s.transaction("check", db -> {
                try (ResultSet r = db.createStatement().executeQuery("SELECT COUNT(*) FROM events WHERE source='backup'")) {
                    r.next();
                    assertEquals(events, r.getInt(1), "every accepted event is stored");
                }
                List<String> rows = new ArrayList<>();
                try (ResultSet r = db.createStatement().executeQuery(
                        "SELECT state FROM outbox WHERE network='irc' AND place='#ops' ORDER BY id")) {
                    while (r.next()) rows.add(r.getString(1));
                }
                assertEquals(java.util.Collections.nCopies(events, "SENT"), rows, "one line per event, each sent");
                return null;
            });
        }
    }

    @Test
    void eventsPostedWhileTheIrcServerIsDownAreSaidOnceInOrderWhenItIsBack() throws Exception {
        startBot();
        ircDown();
        for (int i = 1; i <= 3; i++) event("imap" + i, "written while down " + i);
        TestEnv.await("three lines waiting for IRC", () -> pendingOnIrc(3), WAIT);

        ircBack();
        for (int i = 1; i <= 3; i++) {
            String said = alice.next(nick, WAIT).text();
            assertTrue(said.matches(line("imap" + i, "written while down " + i)), "line " + i + " in order: " + said);
        }
        nothingMore();
        stored(4);
    }

    @Test
    void anEventPostedWhileTheIrcServerIsDownSurvivesAKillOfTheBot() throws Exception {
        startBot();
        ircDown();
        event("imap1", "before the kill");
        TestEnv.await("the line waiting for IRC", () -> pendingOnIrc(1), WAIT);
        bot.destroyForcibly(); // SIGKILL: nothing can be half-sent, the server is down
        bot.waitFor();
        launch();
        event("imap2", "after the restart");
        TestEnv.await("both lines waiting for IRC", () -> pendingOnIrc(2), WAIT);

        ircBack();
        assertTrue(alice.next(nick, WAIT).text().matches(line("imap1", "before the kill")));
        assertTrue(alice.next(nick, WAIT).text().matches(line("imap2", "after the restart")));
        nothingMore();
        stored(3);
    }
}
