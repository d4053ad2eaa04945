package opsbot.bot.e2e;

import opsbot.bot.matrix.MatrixClient;
import opsbot.bot.store.Store;
import opsbot.bot.testkit.IrcUser;
import opsbot.bot.testkit.MatrixRoom;
import opsbot.bot.testkit.TestEnv;
import opsbot.bot.testkit.WhileDown;
import opsbot.config.OpsbotConfig;
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
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The intake, the alerts, the outbox's budget and duty together, on the real servers: the bot runs as a JVM of its
 * own (so that it can be killed with SIGKILL and started again on the same store), events come in over HTTP, and
 * what they cause is read where people read it: InspIRCd's #ops and a Synapse room.
 */
@Tag("e2e")
class IntakeEndToEndTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String BACKUP = "backup-token-0123456789ab";
    private static final String AM = "alertmanager-token-0123456789";
    private static final String PD = "0123456789abcdef0123456789abcdef"; // a PagerDuty routing key
    private static final ZoneId ZONE = ZoneId.of("Europe/Berlin");

    private TestEnv env;
    private Path storage;
    private int port;
    private String room;
    private MatrixRoom matrix;
    private IrcUser alice;
    private Process bot;
    private String nick;
    private int starts;
    private final List<Process> started = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void setUp() throws Exception {
        env = new TestEnv();
        storage = Files.createTempDirectory("opsbot-intake-e2e");
        port = TestEnv.freePort();
        MatrixClient mx = env.matrixUser("alice");
        room = mx.createRoom("intake-" + System.nanoTime(), MatrixRoom.BOT);
        matrix = new MatrixRoom(mx, room);
        alice = env.user("alice_int", "alice");
        alice.join("#ops");
    }

    @AfterEach
    void tearDown() throws Exception {
        for (Process p : started) {
            p.destroyForcibly();
            p.waitFor();
        }
        if (alice != null) alice.close();
    }

    /**
     * Routes to #ops and the room; alice is primary and bob secondary for the next 22 hours (a daily turn that
     * began two hours ago), pages from critical on; "nightly" must report every hour.
     */
    private Path config(String botNick, int linesPerMinute) throws Exception {
        ZonedDateTime began = ZonedDateTime.now(ZONE).minusHours(2).truncatedTo(ChronoUnit.MINUTES);
        String y = env.yamlWithMatrix(storage, botNick, room, false, "5s") + """
                intake:
                  listen: 127.0.0.1:%d
                  sources:
                    - {name: backup, token: %s}
                    - {name: alertmanager, token: %s}
                    - {name: pagerduty, token: %s}
                    - {name: nightly, token: nightly-token-0123456789}
                  routes:
                    - {to: ["#ops", "%s"], lines-per-minute: %d}
                  expected:
                    - {source: nightly, every: 1h, grace: 0s}
                duty:
                  people: [alice, bob]
                  rotation: daily
                  handoff: "%s"
                  start: %s
                  zone: %s
                  page-at: critical
                  repeat-after: 10m
                  secondary-after: 20m
                  everyone-after: 30m
                """.formatted(port, BACKUP, AM, PD, room, linesPerMinute, began.toLocalTime(), began.toLocalDate(), ZONE);
        y = y.replace("${env:PW}", env.password());
        env.load("intake-e2e.yml", y); // valid, or fail here with the report
        Path f = storage.resolve("opsbot-" + botNick + ".yml");
        Files.writeString(f, y);
        return f;
    }

    /** Starts the bot as a JVM of its own (a new nick each time: a killed one's may linger) and waits for it in #ops. */
    private void startBot(int linesPerMinute) throws Exception {
        nick = "inbot" + (++starts);
        Path cfg = config(nick, linesPerMinute);
        bot = TestEnv.startBot(cfg, storage.resolve(nick + ".log"));
        started.add(bot);
        alice.awaitLine(l -> l.startsWith(":" + nick + "!") && l.contains(" JOIN ") && l.contains("#ops"), WAIT);
        alice.say("#ops", "!ping");
        alice.awaitLine(l -> l.startsWith(":" + nick + "!") && l.endsWith(" :pong"), WAIT);
        alice.take(nick, "pong"::equals, WAIT); // what it said unasked before or after stays queued
    }

    /**
     * SIGKILL, once the outbox has nothing left to send: on IRC a kill between a line's post and its row being
     * marked sent repeats that line at the next start (IRC has no transaction key), which is not what these tests
     * are about. The bot's own gauge says when every row is marked.
     */
    private void kill() throws Exception {
        TestEnv.await("the outbox empty before the kill", () -> {
            try {
                String m = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                return m.contains("opsbot_outbox_pending{network=\"irc\"} 0.0")
                        && m.contains("opsbot_outbox_pending{network=\"matrix\"} 0.0");
            } catch (Exception e) {
                return false;
            }
        }, WAIT);
        bot.destroyForcibly();
        bot.waitFor();
    }

    private OpsbotConfig cfg() {
        try {
            return env.load("x.yml", Files.readString(storage.resolve("opsbot-" + nick + ".yml")));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A POST with the token as bearer, or (null) without one, as PagerDuty's senders do (the routing key says who). */
    private HttpResponse<String> post(String path, String token, String json) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json));
        if (token != null) b.header("Authorization", "Bearer " + token);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> event(String severity, String host, String summary) throws Exception {
        return post("/api/v1/events", BACKUP, "{\"source\":\"backup\",\"severity\":\"" + severity + "\",\"host\":\"" + host
                + "\",\"summary\":\"" + summary + "\"}");
    }

    private String says(String containing) throws InterruptedException {
        return alice.expect(nick, t -> t.contains(containing), WAIT).text();
    }

    private static String alertmanager(String status) {
        return """
                {"version":"4","groupKey":"{}:{alertname=\\"ProbeFailure\\"}","truncatedAlerts":0,"status":"%s",
                 "receiver":"opsbot","groupLabels":{"alertname":"ProbeFailure"},"commonLabels":{},"commonAnnotations":{},
                 "externalURL":"http://alertmanager.example:9093","alerts":[{"status":"%s",
                 "labels":{"alertname":"ProbeFailure","instance":"compute4:9100","severity":"warning"},
                 "annotations":{"summary":"compute4 does not answer"},"startsAt":"2026-06-30T03:31:00Z",
                 "endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus.example:9090/graph",
                 "fingerprint":"1a30ba71cca2921f"}]}""".formatted(status, status);
    }

    @Test
    void everyFormatIsSaidOnceInTheChannelAndTheRoomAndARedeliveryAddsNothing() throws Exception {
        startBot(10);
        assertEquals(202, event("error", "imap3", "missing file 87040 in user.x cyrus.index").statusCode());
        String line = says("missing file 87040");
        assertEquals("[A1] ERROR backup imap3: missing file 87040 in user.x cyrus.index", line);
        assertEquals(line, matrix.botSays("missing file 87040"), "the same line in the room");

        // Alertmanager: firing, the same group again (a resend after a lost answer), then resolved.
        assertEquals(200, post("/api/v1/alertmanager", AM, alertmanager("firing")).statusCode());
        assertEquals(200, post("/api/v1/alertmanager", AM, alertmanager("firing")).statusCode());
        assertEquals("[A2] WARNING alertmanager compute4: compute4 does not answer", says("compute4 does not answer"));
        assertEquals(200, post("/api/v1/alertmanager", AM, alertmanager("resolved")).statusCode());
        String resolved = says("[A2]");
        assertTrue(resolved.startsWith("[A2] resolved: alertmanager compute4: compute4 does not answer"), resolved);

        // PagerDuty: a trigger (twice: the same dedup_key) and its resolve.
        String trigger = """
                {"routing_key":"%s","event_action":"trigger","dedup_key":"imap3/backup",
                 "payload":{"summary":"backup: quota exceeded","source":"imap3","severity":"error"}}""".formatted(PD);
        HttpResponse<String> pd = post("/api/v1/pagerduty", null, trigger);
        assertEquals(202, pd.statusCode(), pd.body());
        assertTrue(pd.body().contains("\"dedup_key\":\"imap3/backup\""), pd.body());
        assertEquals(202, post("/api/v1/pagerduty", null, trigger).statusCode());
        assertEquals("[A3] ERROR pagerduty imap3: backup: quota exceeded", says("quota exceeded"));
        assertEquals(202, post("/api/v1/pagerduty", null, """
                {"routing_key":"%s","event_action":"resolve","dedup_key":"imap3/backup"}""".formatted(PD)).statusCode());
        assertTrue(says("[A3]").startsWith("[A3] resolved: pagerduty imap3: backup: quota exceeded"));

        // Nothing was said twice: the next line after a marker event is the marker, here and in the room.
        assertEquals(202, event("warning", "imap9", "marker").statusCode());
        assertEquals("[A4] WARNING backup imap9: marker", alice.next(nick, WAIT).text());
        matrix.botSays("marker");
        for (String[] said : new String[][]{{"missing file 87040", "0"}, {"compute4 does not answer", "2"},
                {"quota exceeded", "2"}}) {
            assertEquals(Long.parseLong(said[1]), matrix.seen().stream().filter(e -> e.path("sender").asText()
                    .equals(MatrixRoom.BOT) && e.path("content").path("body").asText().contains(said[0])).count(),
                    "lines about " + said[0] + " in the room besides the first one taken above (firing, resolved)");
        }
    }

    @Test
    void aBurstOfTenThousandIsStoredAndCountedWhileTheChannelGetsItsBudgetAndOneDigest() throws Exception {
        startBot(5);
        int n = 10_000;
        AtomicInteger next = new AtomicInteger(), accepted = new AtomicInteger();
        List<Thread> senders = new ArrayList<>();
        for (int s = 0; s < 8; s++) {
            senders.add(Thread.ofPlatform().start(() -> {
                int i;
                while ((i = next.getAndIncrement()) < n) {
                    try {
                        if (event("error", "imap" + (i % 3 == 0 ? 5 : 3), "burst " + i).statusCode() == 202) {
                            accepted.incrementAndGet();
                        }
                    } catch (Exception e) {
                        // counted as not accepted
                    }
                }
            }));
        }
        for (Thread t : senders) t.join();
        assertEquals(n, accepted.get(), "every event accepted");
        // The budget: 5 lines, then (when the minute is over) one digest of the other 9,995: six lines in all. The
        // window itself is tested with a clock the test moves (OutboxBudgetTest), not by timing here.
        for (int i = 0; i < 5; i++) {
            String line = alice.next(nick, WAIT).text();
            assertTrue(line.contains("] ERROR backup imap"), line);
        }
        IrcUser.Msg digest = alice.next(nick, Duration.ofSeconds(90));
        assertTrue(digest.text().matches("backup: 9995 more errors in \\d+s; top: imap3 ×\\d+, imap5 ×\\d+; !alerts"),
                digest.text());
        HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertTrue(metrics.body().contains("opsbot_events_received_total{format=\"events\",source=\"backup\"} 10000.0"),
                metrics.body());
        bot.destroy();
        assertTrue(bot.waitFor(30, java.util.concurrent.TimeUnit.SECONDS));
        try (Store s = Store.open(cfg().storage())) {
            int stored = s.transaction("count", db -> {
                try (ResultSet r = db.createStatement().executeQuery("SELECT COUNT(*) FROM events WHERE source='backup'")) {
                    r.next();
                    return r.getInt(1);
                }
            });
            assertEquals(n, stored, "every accepted event is in the store");
        }
    }

    @Test
    void aMissingReportIsSaidOnceAndTheSourcesNextEventClearsIt() throws Exception {
        startBot(10);
        bot.destroy();
        assertTrue(bot.waitFor(30, java.util.concurrent.TimeUnit.SECONDS));
        // While the bot was down, two hours passed since it began watching "nightly".
        try (Store s = Store.open(cfg().storage())) {
            s.transaction("two hours ago", db -> {
                try (var p = db.prepareStatement("UPDATE expected_reports SET armed_at=? WHERE source='nightly'")) {
                    p.setObject(1, opsbot.bot.store.Sql.odt(Instant.now().minus(Duration.ofHours(2))));
                    assertEquals(1, p.executeUpdate());
                }
                return null;
            });
        }
        startBot(10);
        String missing = says("missing report from nightly");
        assertTrue(missing.contains("never") || missing.contains("last seen"), missing);
        kill();
        startBot(10); // said once: not again after a restart
        assertEquals(202, post("/api/v1/events", "nightly-token-0123456789",
                "{\"source\":\"nightly\",\"severity\":\"info\",\"summary\":\"nightly run done\"}").statusCode());
        // Two lines: the miss resolved, and the info event itself; no second miss came before them.
        List<String> next = List.of(alice.next(nick, WAIT).text(), alice.next(nick, WAIT).text());
        assertTrue(next.stream().anyMatch(l -> l.contains("nightly reports again")), next.toString());
        assertTrue(next.stream().noneMatch(l -> l.contains("missing report")), next.toString());
    }

    @Test
    void anUnacknowledgedCriticalRepeatsEscalatesAndStopsAfterTheAckAcrossKills() throws Exception {
        startBot(10);
        assertEquals(202, event("critical", "imap3", "mail spool full").statusCode());
        // The alert's line and the page, in either order (the page is never held by the line budget).
        List<String> first = List.of(alice.next(nick, WAIT).text(), alice.next(nick, WAIT).text());
        assertTrue(first.contains("[A1] CRITICAL backup imap3: mail spool full"), first.toString());
        assertTrue(first.stream().anyMatch(l -> l.startsWith("alice_int: A1 critical backup imap3: mail spool full"
                + " · you are on duty · !ack A1")), "the primary is paged by the nick she has now: " + first);

        kill(); // step 1 (the primary again) falls due while the bot is down
        WhileDown.fellDue(cfg().storage(), "duty_pages", "next_due", 1, "P1", Instant.now().minusSeconds(1));
        startBot(10);
        String again = says("A1");
        assertTrue(again.startsWith("alice_int: still unacknowledged after"), "the primary again: " + again);

        kill(); // step 2 (the secondary) falls due while the bot is down
        WhileDown.fellDue(cfg().storage(), "duty_pages", "next_due", 1, "P1", Instant.now().minusSeconds(1));
        startBot(10);
        String secondary = says("A1");
        assertTrue(secondary.startsWith("bob") && secondary.contains("(primary alice)"), "then the secondary: " + secondary);

        alice.say("#ops", "!ack A1");
        // The answer, and the alert's own line in its places (in either order).
        alice.take(nick, "A1 acknowledged by alice: no more pages until it resolves"::equals, WAIT);
        alice.take(nick, "[A1] acknowledged by alice: mail spool full"::equals, WAIT);
        kill(); // the next step's time passes: nothing is said after the ack
        WhileDown.fellDue(cfg().storage(), "duty_pages", "next_due", 1, "P1", Instant.now().minusSeconds(1));
        startBot(10);
        assertEquals(202, event("warning", "imap9", "marker").statusCode());
        // (Its id is not A2: H2 hands out ids in blocks, and a killed bot's unused block is skipped.)
        String next = alice.next(nick, WAIT).text();
        assertTrue(next.matches("\\[A\\d+] WARNING backup imap9: marker"), "no page after the ack: " + next);
        bot.destroy();
        assertTrue(bot.waitFor(30, java.util.concurrent.TimeUnit.SECONDS));
        try (Store s = Store.open(cfg().storage())) {
            List<String> keys = s.transaction("pages", db -> {
                List<String> out = new ArrayList<>();
                try (ResultSet r = db.createStatement().executeQuery(
                        "SELECT msg_key FROM outbox WHERE network='irc' AND msg_key LIKE 'page:%' ORDER BY id")) {
                    while (r.next()) out.add(r.getString(1));
                }
                return out;
            });
            assertEquals(List.of("page:1:1", "page:1:2", "page:1:3"), keys, "each step once, none after the ack");
        }
    }

    @Test
    void notifyFailsWhenNothingAcceptsAndDeliversAfterTheBotIsBackWithinItsRetryTime() throws Exception {
        java.util.Map<String, String> envv = java.util.Map.of("OPSBOT_TOKEN", BACKUP, "OPSBOT_URL", "http://127.0.0.1:" + port);
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        int code = opsbot.bot.intake.Notify.run(List.of("--source", "backup", "--severity", "error", "--retry-for", "2s",
                "nobody listens"), java.io.InputStream.nullInputStream(), new java.io.PrintStream(err), envv);
        assertNotEquals(0, code, "nothing accepted it: " + err);

        // With time to retry: the bot comes up while notify is waiting.
        AtomicInteger result = new AtomicInteger(-1);
        Thread n = Thread.ofPlatform().start(() -> result.set(opsbot.bot.intake.Notify.run(List.of("--source", "backup",
                "--severity", "error", "--host", "imap3", "--retry-for", "120s", "missing file 87040 in user.x cyrus.index"),
                java.io.InputStream.nullInputStream(), System.err, envv)));
        startBot(10);
        n.join(Duration.ofSeconds(120).toMillis());
        assertEquals(0, result.get(), "accepted after the bot came up");
        assertEquals("[A1] ERROR backup imap3: missing file 87040 in user.x cyrus.index", says("missing file 87040"));
    }
}
