package opsbot.bot.intake;

import com.sun.net.httpserver.HttpServer;
import opsbot.bot.alerts.Event;
import opsbot.bot.alerts.Folder;
import opsbot.bot.metrics.Metrics;
import opsbot.bot.store.Store;
import opsbot.config.StorageConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/** {@code opsbot notify} against a real intake: accepted or not, retried while the bot is away, never on a 4xx. */
class NotifyTest {
    private static final Map<String, String> ENV = Map.of("OPSBOT_TOKEN", IntakeTest.BACKUP_TOKEN);

    @TempDir
    Path dir;
    Store store;
    Intake intake;
    final List<Event> folded = new CopyOnWriteArrayList<>();
    final Folder folder = (db, id, e) -> folded.add(e);
    final List<Duration> waits = new CopyOnWriteArrayList<>();
    final CountDownLatch failedOnce = new CountDownLatch(1);
    final Notify.Hooks hooks = (why, wait) -> {
        waits.add(wait);
        failedOnce.countDown();
    };

    @BeforeEach
    void setUp() {
        store = Store.open(StorageConfig.embedded(dir.resolve("db").toString()));
    }

    @AfterEach
    void tearDown() {
        if (intake != null) intake.close();
        store.close();
    }

    record Run(int code, String err) {
    }

    Run notify(String stdin, Map<String, String> env, String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Notify.run(List.of(args), new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(err, true, StandardCharsets.UTF_8), env, hooks);
        return new Run(code, err.toString(StandardCharsets.UTF_8));
    }

    void startIntake(int port) {
        intake = Intake.start(IntakeTest.config().withListen("127.0.0.1:" + port), store, new Metrics(), Map::of, folder,
                Clock.systemUTC(), Intake.Limits.DEFAULT);
    }

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    long rows() {
        return store.transaction("count", EventLog::count);
    }

    @Test
    void exitsNonZeroWhenNothingListens() throws Exception {
        int port = freePort();
        Run r = notify("", ENV, "--url", "http://127.0.0.1:" + port, "--retry-for", "1s",
                "--source", "backup", "--severity", "error", "--host", "imap3", "missing file 87040");
        assertEquals(1, r.code());
        assertFalse(waits.isEmpty(), "it retried before giving up");
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains("not accepted: \"missing file 87040\": cannot connect to 127.0.0.1:" + port), r.err());
        assertTrue(r.err().contains("gave up retrying after 1s"), r.err());
    }

    @Test
    void deliversWhenTheIntakeStartsWithinItsRetryTime() throws Exception {
        int port = freePort();
        AtomicInteger code = new AtomicInteger(-1);
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread client = Thread.ofPlatform().start(() -> code.set(Notify.run(List.of("--url", "http://127.0.0.1:" + port,
                "--retry-for", "2m", "--source", "backup", "--severity", "error", "--host", "imap3",
                "missing file 87040 in user.x cyrus.index"), new ByteArrayInputStream(new byte[0]),
                new PrintStream(err, true, StandardCharsets.UTF_8), ENV, hooks)));
        assertTrue(failedOnce.await(30, TimeUnit.SECONDS), "the first attempt failed (nothing listened yet)");
        assertEquals(0, rows());
        startIntake(port); // the bot comes back while notify is still retrying
        client.join(Duration.ofSeconds(90));
        assertFalse(client.isAlive());
        assertEquals(0, code.get(), err.toString(StandardCharsets.UTF_8));
        assertEquals(1, rows());
        assertEquals("missing file 87040 in user.x cyrus.index", folded.get(0).summary());
        assertEquals("imap3", folded.get(0).host());
    }

    @Test
    void aRefusedEventIsNotRetried() throws Exception {
        startIntake(0);
        Run r = notify("", Map.of("OPSBOT_TOKEN", "not-the-token-of-anyone"), "--url", "http://127.0.0.1:" + intake.port(),
                "--source", "backup", "x");
        assertEquals(1, r.code());
        assertTrue(waits.isEmpty(), "a 401 is final: no retry");
        assertTrue(r.err().contains("HTTP 401: unknown token"), r.err());
        Run bad = notify("", ENV, "--url", "http://127.0.0.1:" + intake.port(), "--source", "backup", "--host", "no such host!", "x");
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("HTTP 400: host must be a host name"), bad.err());
        assertTrue(waits.isEmpty());
        assertEquals(0, rows());
    }

    @Test
    void stdinSendsOneEventPerLineWithTheTokenFromAFile() throws Exception {
        startIntake(0);
        Path tokenFile = dir.resolve("token");
        Files.writeString(tokenFile, IntakeTest.BACKUP_TOKEN + "\n");
        String lines = "slot sloti20d3p2: 3 missing\n\nslot sloti20d3p5: 1 missing\r\n" + "y".repeat(5000) + "\nlast without newline";
        Run r = notify(lines, Map.of(), "--url", "http://127.0.0.1:" + intake.port() + "/", "--token-file",
                tokenFile.toString(), "--source", "backup", "--stdin", "--key", "audit");
        assertEquals(0, r.code(), r.err());
        assertEquals(4, rows());
        List<String> summaries = new ArrayList<>(folded.stream().map(Event::summary).toList());
        assertEquals("slot sloti20d3p2: 3 missing", summaries.get(0));
        assertEquals("slot sloti20d3p5: 1 missing", summaries.get(1));
        assertEquals(Fields.SUMMARY, summaries.get(2).length());
        assertTrue(summaries.get(2).endsWith(Fields.CUT));
        assertEquals("last without newline", summaries.get(3));
        assertTrue(folded.stream().allMatch(e -> e.key().equals("audit") && e.severity().word().equals("warning")));
    }

    @Test
    void honoursRetryAfter() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        HttpServer stub = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4);
        stub.createContext("/", x -> {
            try (x) {
                x.getRequestBody().readAllBytes();
                if (calls.incrementAndGet() == 1) {
                    x.getResponseHeaders().set("Retry-After", "1");
                    x.sendResponseHeaders(503, -1);
                } else {
                    x.sendResponseHeaders(202, -1);
                }
            }
        });
        stub.start();
        try {
            Run r = notify("", ENV, "--url", "http://127.0.0.1:" + stub.getAddress().getPort(), "--source", "backup", "x");
            assertEquals(0, r.code(), r.err());
            assertEquals(2, calls.get());
            assertEquals(List.of(Duration.ofSeconds(1)), waits);
        } finally {
            stub.stop(0);
        }
    }

    @Test
    void usageErrorsExit2() {
        assertEquals(2, notify("", ENV, "x").code(), "no --source");
        assertEquals(2, notify("", ENV, "--source", "backup").code(), "no summary");
        assertEquals(2, notify("", ENV, "--source", "backup", "--severity", "fatal", "x").code());
        assertEquals(2, notify("", ENV, "--source", "backup", "--retry-for", "soon", "x").code());
        assertEquals(2, notify("", Map.of(), "--source", "backup", "x").code(), "no token");
        Run r = notify("", ENV, "--source", "backup", "--token", "secret-on-the-command-line", "x");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("shows in ps"), r.err());
        assertEquals(2, notify("", ENV, "--source", "backup", "--url", "ftp://x", "x").code());
    }

    @Test
    void backoffHasJitterWithinBounds() {
        for (int i = 0; i < 100; i++) {
            Duration d = Notify.jitter(Duration.ofSeconds(4));
            assertTrue(d.compareTo(Duration.ofSeconds(2)) >= 0 && d.compareTo(Duration.ofSeconds(4)) <= 0, d.toString());
        }
        assertEquals(Duration.ofSeconds(30), Notify.retryAfter("3600"), "capped");
        assertNull(Notify.retryAfter("Wed, 21 Oct 2026 07:28:00 GMT"));
    }
}
