package opsbot.bot.intake;

import com.fasterxml.jackson.databind.JsonNode;
import opsbot.bot.alerts.Event;
import opsbot.bot.alerts.Folder;
import opsbot.bot.metrics.Metrics;
import opsbot.bot.store.Store;
import opsbot.config.IntakeConfig;
import opsbot.config.Severity;
import opsbot.config.SourceSpec;
import opsbot.config.StorageConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.*;

/** The intake over real HTTP on a free loopback port, with a real store: what each request gets, and what is stored. */
class IntakeTest {
    static final String BACKUP_TOKEN = "backup-token-0123456789";
    static final String AM_TOKEN = "alertmanager-token-0123456789";
    static final String PD_KEY = "0123456789abcdef0123456789abcdef";
    static final String SECRET = "signed-secret-0123456789abcdef0123456789";

    @TempDir
    Path dir;
    Store store;
    Metrics metrics;
    Intake intake;
    final List<Folded> folded = new CopyOnWriteArrayList<>();
    volatile boolean folderFails;
    volatile Map<String, Boolean> networks = Map.of("irc", true, "matrix", true);
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    record Folded(long id, Event event) {
    }

    final Folder recording = (db, id, e) -> {
        if (folderFails) throw new SQLException("the folder fails on purpose");
        folded.add(new Folded(id, e));
    };

    static IntakeConfig config() {
        return new IntakeConfig("127.0.0.1:0", null, List.of(
                new SourceSpec("backup", BACKUP_TOKEN, null),
                new SourceSpec("alertmanager", AM_TOKEN, null),
                new SourceSpec("pd", PD_KEY, null),
                new SourceSpec("signed", null, SECRET)), null, null, null, null, null);
    }

    @BeforeEach
    void setUp() {
        store = Store.open(StorageConfig.embedded(dir.resolve("db").toString()));
        metrics = new Metrics();
        intake = Intake.start(config(), store, metrics, () -> networks, recording, Clock.systemUTC(), Intake.Limits.DEFAULT);
    }

    @AfterEach
    void tearDown() {
        intake.close();
        store.close();
    }

    // ---- helpers

    record Answer(int status, String body, HttpResponse<String> raw) {
        JsonNode json() throws IOException {
            return Fields.JSON.readTree(body);
        }
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + intake.port() + path);
    }

    Answer post(String path, String token, String body) throws Exception {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    Answer send(HttpRequest.Builder b) throws Exception {
        HttpResponse<String> r = http.send(b.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.body(), r);
    }

    long rows() {
        return store.transaction("count", EventLog::count);
    }

    Map<String, Object> row(long id) {
        return store.transaction("read", db -> {
            try (PreparedStatement p = db.prepareStatement("SELECT * FROM events WHERE id=?")) {
                p.setLong(1, id);
                try (ResultSet r = p.executeQuery()) {
                    assertTrue(r.next(), "row " + id);
                    Map<String, Object> m = new LinkedHashMap<>();
                    for (int i = 1; i <= r.getMetaData().getColumnCount(); i++) {
                        m.put(r.getMetaData().getColumnLabel(i).toLowerCase(), r.getObject(i));
                    }
                    return m;
                }
            }
        });
    }

    double rejected(String reason) {
        return metrics.eventsRejected.labelValues(reason).get();
    }

    /** The request was refused with {@code status}, and nothing at all was stored or folded. */
    void refusedAndNothingStored(Answer a, int status, String field) throws IOException {
        assertEquals(status, a.status(), a.body());
        assertEquals(0, rows(), "nothing stored for a refused request");
        assertTrue(folded.isEmpty());
        if (field != null) {
            assertEquals(field, a.json().path("field").asText(), a.body());
        }
    }

    static String event(String source, String severity, String summary) {
        return "{\"source\":\"" + source + "\",\"severity\":\"" + severity + "\",\"summary\":\"" + summary + "\"}";
    }

    static final String GOOD = event("backup", "error", "missing file 87040 in user.x cyrus.index");

    // ---- refusals: each gets its status and stores nothing

    @Test
    void noTokenIs401() throws Exception {
        Answer a = send(HttpRequest.newBuilder(uri(Front.EVENTS)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(GOOD)));
        refusedAndNothingStored(a, 401, null);
        assertTrue(a.raw().headers().firstValue("WWW-Authenticate").isPresent());
        assertEquals(1.0, rejected("auth"));
    }

    @Test
    void wrongTokenIs401() throws Exception {
        refusedAndNothingStored(post(Front.EVENTS, "not-a-token-of-anyone-here", GOOD), 401, null);
        refusedAndNothingStored(post(Front.EVENTS, BACKUP_TOKEN + "x", GOOD), 401, null);
        refusedAndNothingStored(post(Front.EVENTS, BACKUP_TOKEN.substring(1), GOOD), 401, null);
    }

    @Test
    void anotherSourcesTokenIs403NamingSource() throws Exception {
        Answer a = post(Front.EVENTS, AM_TOKEN, GOOD); // alertmanager's token, claiming to be backup
        refusedAndNothingStored(a, 403, "source");
        assertEquals(1.0, rejected("source"));
    }

    @Test
    void hmacSignedRequestIsAccepted() throws Exception {
        String body = event("signed", "info", "signed hello");
        Answer a = signed(body, Instant.now().getEpochSecond(), SECRET);
        assertEquals(202, a.status(), a.body());
        assertEquals(1, rows());
        assertEquals("signed", folded.get(0).event().source());
        assertEquals("application/json", a.raw().headers().firstValue("Content-Type").orElse(""));
        assertEquals("accepted", a.json().path("status").asText(), a.body());
        assertEquals(folded.get(0).id(), a.json().path("events").path(0).asLong(), a.body());
        assertEquals(1, a.json().path("events").size(), a.body());
    }

    @Test
    void aSignedRequestSentAgainIsARefusedReplay() throws Exception {
        String body = event("signed", "critical", "mail spool full");
        long now = Instant.now().getEpochSecond();
        assertEquals(202, signed(body, now, SECRET).status());
        Answer again = signed(body, now, SECRET); // captured and sent again within its five minutes
        assertEquals(401, again.status(), again.body());
        assertTrue(again.body().contains("replayed"), again.body());
        assertEquals(1, rows(), "stored once");
        assertEquals(202, signed(body, now + 1, SECRET).status(), "signed anew, it is a new request");
    }

    @Test
    void wrongOrStaleHmacIs401() throws Exception {
        String body = event("signed", "info", "signed hello");
        long now = Instant.now().getEpochSecond();
        refusedAndNothingStored(signed(body, now, SECRET.replace('0', '1')), 401, null);
        refusedAndNothingStored(signed(body, now - 360, SECRET), 401, null); // a replay six minutes later
        refusedAndNothingStored(signed(body, now + 360, SECRET), 401, null);
        // A body changed after signing (the signature of another body)
        String sig = HexFormat.of().formatHex(Auth.hmac(SECRET.getBytes(StandardCharsets.UTF_8), Long.toString(now),
                event("signed", "info", "other").getBytes(StandardCharsets.UTF_8)));
        refusedAndNothingStored(send(HttpRequest.newBuilder(uri(Front.EVENTS)).header("Content-Type", "application/json")
                .header(Auth.SOURCE, "signed").header(Auth.TIMESTAMP, Long.toString(now))
                .header(Auth.SIGNATURE, "sha256=" + sig).POST(HttpRequest.BodyPublishers.ofString(body))), 401, null);
        // A source without an hmac-secret cannot sign
        refusedAndNothingStored(signed(event("backup", "info", "x"), now, SECRET, "backup"), 401, null);
        assertEquals(5.0, rejected("auth"));
    }

    Answer signed(String body, long ts, String secret) throws Exception {
        return signed(body, ts, secret, "signed");
    }

    Answer signed(String body, long ts, String secret, String source) throws Exception {
        String sig = HexFormat.of().formatHex(Auth.hmac(secret.getBytes(StandardCharsets.UTF_8), Long.toString(ts),
                body.getBytes(StandardCharsets.UTF_8)));
        return send(HttpRequest.newBuilder(uri(Front.EVENTS)).header("Content-Type", "application/json")
                .header(Auth.SOURCE, source).header(Auth.TIMESTAMP, Long.toString(ts))
                .header(Auth.SIGNATURE, "sha256=" + sig).POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    @Test
    void tenMegabytesWithContentLengthIs413() throws Exception {
        int status = raw("POST " + Front.EVENTS + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Authorization: Bearer " + BACKUP_TOKEN + "\r\nContent-Length: " + (10 << 20) + "\r\n\r\n",
                out -> stream(out, 10 << 20, false));
        assertEquals(413, status);
        assertEquals(0, rows());
        assertEquals(1.0, rejected("size"));
    }

    @Test
    void tenMegabytesChunkedIs413() throws Exception {
        int status = raw("POST " + Front.EVENTS + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Authorization: Bearer " + BACKUP_TOKEN + "\r\nTransfer-Encoding: chunked\r\n\r\n",
                out -> stream(out, 10 << 20, true));
        assertEquals(413, status);
        assertEquals(0, rows());
        assertEquals(1.0, rejected("size"));
    }

    /** A client that sends the whole body before it reads (as java.net.http does) still hears the 413, not a reset. */
    @Test
    void tenMegabytesFromAnOrdinaryClientHear413() throws Exception {
        byte[] big = new byte[10 << 20];
        java.util.Arrays.fill(big, (byte) 'a');
        Answer a = send(HttpRequest.newBuilder(uri(Front.EVENTS)).header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + BACKUP_TOKEN).POST(HttpRequest.BodyPublishers.ofByteArray(big)));
        refusedAndNothingStored(a, 413, null);
    }

    /**
     * curl's way: Expect: 100-continue, which the JDK server answers before the intake sees the request, then the
     * whole body, then read. The refused body is read and thrown away (never kept), so the 413 arrives, not a reset.
     */
    @Test
    void tenMegabytesAfter100ContinueHear413() throws Exception {
        try (Socket s = new Socket("127.0.0.1", intake.port())) {
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST " + Front.EVENTS + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Authorization: Bearer " + BACKUP_TOKEN + "\r\nExpect: 100-continue\r\nContent-Length: "
                    + (10 << 20) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            assertTrue(in.readLine().contains(" 100 "), "100 Continue");
            byte[] block = new byte[65536];
            java.util.Arrays.fill(block, (byte) 'a');
            for (int sent = 0; sent < 10 << 20; sent += block.length) {
                out.write(block); // a reset here would be the bug: the client never hears why
            }
            out.flush();
            String status;
            do { // past the rest of the 100 answer (its headers and blank line)
                status = in.readLine();
            } while (status != null && !status.startsWith("HTTP/"));
            assertNotNull(status);
            assertEquals("413", status.split(" ")[1], status);
        }
        assertEquals(0, rows());
    }

    /** Sends a request over a plain socket, the body written on another thread; the status the server answers. */
    int raw(String head, Consumer<OutputStream> body) throws Exception {
        try (Socket s = new Socket("127.0.0.1", intake.port())) {
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            Thread writer = Thread.ofVirtual().start(() -> body.accept(out));
            String status = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
            writer.interrupt();
            assertNotNull(status, "an answer");
            return Integer.parseInt(status.split(" ")[1]);
        }
    }

    /** {@code n} bytes of a JSON string, plainly or in 64 KiB chunks; stops quietly when the server closes. */
    static void stream(OutputStream out, int n, boolean chunked) {
        byte[] block = new byte[65536];
        java.util.Arrays.fill(block, (byte) 'a');
        try {
            for (int sent = 0; sent < n; sent += block.length) {
                if (chunked) out.write((Integer.toHexString(block.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(block);
                if (chunked) out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            if (chunked) out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
        } catch (IOException e) {
            // the server answered 413 and closed: expected
        }
    }

    @Test
    void badJsonIs400() throws Exception {
        refusedAndNothingStored(post(Front.EVENTS, BACKUP_TOKEN, "{\"source\":\"backup\","), 400, "body");
        refusedAndNothingStored(post(Front.EVENTS, BACKUP_TOKEN, "[1,2]"), 400, "body");
        refusedAndNothingStored(post(Front.EVENTS, BACKUP_TOKEN, GOOD + " {}"), 400, "body"); // trailing value
        refusedAndNothingStored(post(Front.EVENTS, BACKUP_TOKEN, // a field twice: which one would count?
                "{\"source\":\"backup\",\"source\":\"other\",\"severity\":\"info\",\"summary\":\"x\"}"), 400, "body");
        assertEquals(4.0, rejected("json"));
    }

    @Test
    void missingFieldIs400NamingIt() throws Exception {
        Answer a = post(Front.EVENTS, BACKUP_TOKEN, "{\"source\":\"backup\",\"severity\":\"error\"}");
        refusedAndNothingStored(a, 400, "summary");
        assertTrue(a.json().path("error").asText().contains("summary is missing"), a.body());
        refusedAndNothingStored(post(Front.EVENTS, BACKUP_TOKEN, "{\"source\":\"backup\",\"summary\":\"x\"}"), 400, "severity");
        assertEquals(2.0, rejected("field"));
    }

    @Test
    void wrongTypeBadSeverityBadTimeAndOverlongFieldsAre400() throws Exception {
        refusedAndNothingStored(post(Front.EVENTS, BACKUP_TOKEN,
                "{\"source\":\"backup\",\"severity\":5,\"summary\":\"x\"}"), 400, "severity");
        refusedAndNothingStored(post(Front.EVENTS, BACKUP_TOKEN,
                "{\"source\":\"backup\",\"severity\":\"error\",\"summary\":[\"x\"]}"), 400, "summary");
        refusedAndNothingStored(post(Front.EVENTS, BACKUP_TOKEN, event("backup", "fatal", "x")), 400, "severity");
        refusedAndNothingStored(post(Front.EVENTS, BACKUP_TOKEN,
                "{\"source\":\"backup\",\"severity\":\"error\",\"summary\":\"x\",\"time\":\"yesterday\"}"), 400, "time");
        refusedAndNothingStored(post(Front.EVENTS, BACKUP_TOKEN, event("backup", "error", "x".repeat(1025))), 400, "summary");
        refusedAndNothingStored(post(Front.EVENTS, BACKUP_TOKEN, event("backup", "error", "two\\nlines")), 400, "summary");
        refusedAndNothingStored(post(Front.EVENTS, BACKUP_TOKEN,
                "{\"source\":\"backup\",\"severity\":\"error\",\"summary\":\"x\",\"key\":\"" + "k".repeat(256) + "\"}"), 400, "key");
        refusedAndNothingStored(post(Front.EVENTS, BACKUP_TOKEN,
                "{\"source\":\"backup\",\"severity\":\"error\",\"summary\":\"x\",\"host\":\"imap3; rm -rf\"}"), 400, "host");
        refusedAndNothingStored(post(Front.EVENTS, BACKUP_TOKEN,
                "{\"source\":\"backup\",\"severity\":\"error\",\"summary\":\"x\",\"hots\":\"imap3\"}"), 400, "hots");
    }

    @Test
    void invalidUtf8Is400() throws Exception {
        byte[] body = GOOD.replace("missing", "miss\u00e9").getBytes(StandardCharsets.UTF_8);
        byte[] bad = java.util.Arrays.copyOf(body, body.length);
        int at = GOOD.indexOf("miss") + 4;
        bad[at] = (byte) 0xC3; // a lead byte followed by ASCII: not UTF-8
        bad[at + 1] = (byte) 0x28;
        Answer a = send(HttpRequest.newBuilder(uri(Front.EVENTS)).header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + BACKUP_TOKEN).POST(HttpRequest.BodyPublishers.ofByteArray(bad)));
        refusedAndNothingStored(a, 400, "body");
        assertTrue(a.json().path("error").asText().contains("UTF-8"), a.body());
    }

    @Test
    void deepNestingIs400() throws Exception {
        String deep = "{\"source\":\"backup\",\"severity\":\"error\",\"summary\":\"x\",\"details\":"
                + "[".repeat(5000) + "]".repeat(5000) + "}";
        Answer a = post(Front.EVENTS, BACKUP_TOKEN, deep);
        refusedAndNothingStored(a, 400, "body");
        assertTrue(a.json().path("error").asText().contains("deeper"), a.body());
    }

    @Test
    void wrongMethodIs405WithAllow() throws Exception {
        Answer a = send(HttpRequest.newBuilder(uri(Front.EVENTS)).header("Authorization", "Bearer " + BACKUP_TOKEN).GET());
        refusedAndNothingStored(a, 405, null);
        assertEquals("POST", a.raw().headers().firstValue("Allow").orElse(null));
        Answer b = send(HttpRequest.newBuilder(uri("/healthz")).POST(HttpRequest.BodyPublishers.ofString("{}")));
        assertEquals(405, b.status());
        assertEquals("GET", b.raw().headers().firstValue("Allow").orElse(null));
        assertEquals(404, send(HttpRequest.newBuilder(uri("/api/v1/nothing")).GET()).status());
        assertEquals(2.0, rejected("method"));
    }

    @Test
    void wrongContentTypeIs415() throws Exception {
        refusedAndNothingStored(send(HttpRequest.newBuilder(uri(Front.EVENTS)).header("Content-Type", "text/plain")
                .header("Authorization", "Bearer " + BACKUP_TOKEN).POST(HttpRequest.BodyPublishers.ofString(GOOD))), 415, null);
        refusedAndNothingStored(send(HttpRequest.newBuilder(uri(Front.EVENTS))
                .header("Content-Type", "application/json; charset=iso-8859-1")
                .header("Authorization", "Bearer " + BACKUP_TOKEN).POST(HttpRequest.BodyPublishers.ofString(GOOD))), 415, null);
        refusedAndNothingStored(send(HttpRequest.newBuilder(uri(Front.EVENTS))
                .header("Authorization", "Bearer " + BACKUP_TOKEN).POST(HttpRequest.BodyPublishers.ofString(GOOD))), 415, null);
        assertEquals(3.0, rejected("media-type"));
    }

    @Test
    void aStoreFailureIs503AndStoresNothing() throws Exception {
        folderFails = true; // the fold fails inside the transaction: the event row is rolled back with it
        Answer a = post(Front.EVENTS, BACKUP_TOKEN, GOOD);
        assertEquals(503, a.status(), a.body());
        assertTrue(a.raw().headers().firstValue("Retry-After").isPresent());
        assertEquals(0, rows());
        assertEquals(1.0, rejected("store"));
        folderFails = false;
        assertEquals(202, post(Front.EVENTS, BACKUP_TOKEN, GOOD).status()); // the sender's retry then gets through
        assertEquals(1, rows());
    }

    // ---- accepted: each format stores the right fields

    @Test
    void anEventIsStoredWithEveryField() throws Exception {
        Answer a = post(Front.EVENTS, BACKUP_TOKEN, "{\"source\":\"backup\",\"severity\":\"Error\",\"host\":\"imap3\","
                + "\"summary\":\"missing file 87040 in user.x cyrus.index\",\"details\":\"slot sloti20d3p2\\nline 2\","
                + "\"key\":\"imap3/87040\",\"time\":\"2026-06-30T03:31:00+02:00\"}");
        assertEquals(202, a.status(), a.body());
        long id = a.json().path("events").get(0).asLong();
        assertEquals(1, folded.size());
        Folded f = folded.get(0);
        assertEquals(id, f.id());
        assertEquals(new Event("backup", "events", Event.Action.FIRING, Severity.ERROR, "imap3/87040", "imap3",
                "missing file 87040 in user.x cyrus.index", "slot sloti20d3p2\nline 2",
                Instant.parse("2026-06-30T01:31:00Z")), f.event());
        Map<String, Object> row = row(id);
        assertEquals("backup", row.get("source"));
        assertEquals("events", row.get("format"));
        assertEquals("firing", row.get("action"));
        assertEquals("error", row.get("severity"));
        assertEquals("imap3/87040", row.get("alert_key"));
        assertEquals("imap3", row.get("host"));
        assertEquals("missing file 87040 in user.x cyrus.index", row.get("summary"));
        assertEquals(Instant.parse("2026-06-30T01:31:00Z"), ((java.time.OffsetDateTime) row.get("happened_at")).toInstant());
        assertEquals(1.0, metrics.eventsReceived.labelValues("backup", "events").get());
    }

    @Test
    void withoutAKeyTheSameHostAndSummaryAreTheSameKey() throws Exception {
        assertEquals(202, post(Front.EVENTS, BACKUP_TOKEN, GOOD).status());
        assertEquals(202, post(Front.EVENTS, BACKUP_TOKEN, GOOD).status());
        assertEquals(202, post(Front.EVENTS, BACKUP_TOKEN, event("backup", "error", "another")).status());
        assertEquals(folded.get(0).event().key(), folded.get(1).event().key());
        assertNotEquals(folded.get(0).event().key(), folded.get(2).event().key());
        assertEquals(3, rows());
    }

    @Test
    void longDetailsAreCutVisibly() throws Exception {
        Answer a = post(Front.EVENTS, BACKUP_TOKEN, "{\"source\":\"backup\",\"severity\":\"info\",\"summary\":\"x\","
                + "\"details\":\"" + "d".repeat(20_000) + "\"}");
        assertEquals(202, a.status(), a.body());
        String details = folded.get(0).event().details();
        assertEquals(Fields.DETAILS, details.length());
        assertTrue(details.endsWith(Fields.CUT));
    }

    static String alertmanager(String status, int truncated, String... alerts) {
        return "{\"version\":\"4\",\"groupKey\":\"{}/{severity=\\\"critical\\\"}:{alertname=\\\"ProbeFailure\\\"}\","
                + "\"truncatedAlerts\":" + truncated + ",\"status\":\"" + status + "\",\"receiver\":\"opsbot\","
                + "\"groupLabels\":{\"alertname\":\"ProbeFailure\"},\"commonLabels\":{},\"commonAnnotations\":{},"
                + "\"externalURL\":\"http://alertmanager.example:9093\",\"alerts\":[" + String.join(",", alerts) + "]}";
    }

    static String amAlert(String status, String instance, String fingerprint) {
        return "{\"status\":\"" + status + "\",\"labels\":{\"alertname\":\"ProbeFailure\",\"instance\":\"" + instance
                + "\",\"severity\":\"critical\"},\"annotations\":{\"summary\":\"" + instance + " does not answer\","
                + "\"description\":\"no ICMP reply for 5 minutes\"},\"startsAt\":\"2026-06-30T03:31:00Z\",\"endsAt\":\""
                + (status.equals("resolved") ? "2026-06-30T03:41:00Z" : "0001-01-01T00:00:00Z") + "\","
                + "\"generatorURL\":\"http://prometheus.example:9090/graph\""
                + (fingerprint == null ? "" : ",\"fingerprint\":\"" + fingerprint + "\"") + "}";
    }

    @Test
    void alertmanagerFiringThenResolved() throws Exception {
        Answer a = post(Front.ALERTMANAGER, AM_TOKEN, alertmanager("firing", 0,
                amAlert("firing", "compute4:9100", "1a30ba71cca2921f"), amAlert("firing", "compute5:9100", null)));
        assertEquals(200, a.status(), a.body());
        assertEquals(2, rows());
        Event c4 = folded.get(0).event(), c5 = folded.get(1).event();
        assertEquals("alertmanager", c4.source());
        assertEquals("alertmanager", c4.format());
        assertEquals(Event.Action.FIRING, c4.action());
        assertEquals(Severity.CRITICAL, c4.severity());
        assertEquals("1a30ba71cca2921f", c4.key());
        assertEquals("compute4", c4.host());
        assertEquals("compute4:9100 does not answer", c4.summary());
        assertTrue(c4.details().startsWith("no ICMP reply for 5 minutes\nlabels: alertname=ProbeFailure"), c4.details());
        assertEquals(Instant.parse("2026-06-30T03:31:00Z"), c4.time());
        // No fingerprint: the one Alertmanager computes from the labels
        assertEquals(Fingerprint.of(Map.of("alertname", "ProbeFailure", "instance", "compute5:9100", "severity", "critical")),
                c5.key());

        Answer r = post(Front.ALERTMANAGER, AM_TOKEN, alertmanager("resolved", 0,
                amAlert("resolved", "compute4:9100", "1a30ba71cca2921f"), amAlert("resolved", "compute5:9100", null)));
        assertEquals(200, r.status(), r.body());
        assertEquals(4, rows());
        assertEquals(Event.Action.RESOLVED, folded.get(2).event().action());
        assertEquals(c4.key(), folded.get(2).event().key());
        assertEquals(c5.key(), folded.get(3).event().key());
        assertEquals(Instant.parse("2026-06-30T03:41:00Z"), folded.get(2).event().time());
        assertEquals("resolved", row(folded.get(3).id()).get("action"));
        assertEquals(4.0, metrics.eventsReceived.labelValues("alertmanager", "alertmanager").get());
    }

    @Test
    void alertmanagerTruncatedAlertsAreReportedUnderOneKey() throws Exception {
        String body = alertmanager("firing", 7, amAlert("firing", "compute4:9100", "1a30ba71cca2921f"));
        assertEquals(200, post(Front.ALERTMANAGER, AM_TOKEN, body).status());
        assertEquals(200, post(Front.ALERTMANAGER, AM_TOKEN, body).status()); // redelivered
        assertEquals(4, rows());
        Event left = folded.get(1).event();
        assertEquals(Severity.WARNING, left.severity());
        assertTrue(left.summary().startsWith("7 alerts left out by max_alerts"), left.summary());
        assertEquals(left.key(), folded.get(3).event().key(), "a redelivery folds into the same alert");
    }

    @Test
    void alertmanagerRefusesWhatIsNotItsShape() throws Exception {
        refusedAndNothingStored(post(Front.ALERTMANAGER, AM_TOKEN, "{\"version\":\"4\",\"alerts\":{}}"), 400, "alerts");
        refusedAndNothingStored(post(Front.ALERTMANAGER, AM_TOKEN, alertmanager("firing", 0,
                "{\"status\":\"firing\",\"labels\":{\"a\":1}}")), 400, "alerts[0].labels.a");
        refusedAndNothingStored(post(Front.ALERTMANAGER, AM_TOKEN, alertmanager("firing", 0,
                amAlert("firing", "c4", null).replace("2026-06-30T03:31:00Z", "soon"))), 400, "alerts[0].startsAt");
    }

    @Test
    void alertmanagerSeveritiesAndHosts() {
        assertEquals(Severity.CRITICAL, AlertmanagerFormat.severity("page"));
        assertEquals(Severity.ERROR, AlertmanagerFormat.severity("Error"));
        assertEquals(Severity.INFO, AlertmanagerFormat.severity("info"));
        assertEquals(Severity.WARNING, AlertmanagerFormat.severity("whatever"));
        assertEquals(Severity.WARNING, AlertmanagerFormat.severity(null));
        assertEquals("compute4", AlertmanagerFormat.host(Map.of("instance", "compute4:9100")));
        assertEquals("::1", AlertmanagerFormat.host(Map.of("instance", "[::1]:9100")));
        assertEquals("www.example.org", AlertmanagerFormat.host(Map.of("instance", "https://www.example.org/health")));
        assertEquals("imap3", AlertmanagerFormat.host(Map.of("host", "imap3")));
        assertNull(AlertmanagerFormat.host(Map.of("instance", "not a host")));
        assertNull(AlertmanagerFormat.host(Map.of()));
    }

    @Test
    void fingerprintIsPrometheus() {
        // prometheus/common model/signature_test.go
        assertEquals(String.format("%016x", 5799056148416392346L),
                Fingerprint.of(Map.of("name", "garland, briggs", "fear", "love is not enough")));
        assertEquals(String.format("%016x", Long.parseUnsignedLong("14695981039346656037")), Fingerprint.of(Map.of()));
    }

    static String pd(String action, String dedup, String payload) {
        return "{\"routing_key\":\"" + PD_KEY + "\",\"event_action\":\"" + action + "\""
                + (dedup == null ? "" : ",\"dedup_key\":\"" + dedup + "\"") + (payload == null ? "" : ",\"payload\":" + payload) + "}";
    }

    static final String PAYLOAD = "{\"summary\":\"backup: missing file 87040 in user.x cyrus.index\",\"source\":\"imap3\","
            + "\"severity\":\"error\",\"component\":\"backup\",\"custom_details\":{\"slot\":\"sloti20d3p2\"}}";

    Answer pagerDuty(String body) throws Exception {
        return send(HttpRequest.newBuilder(uri(Front.PAGERDUTY)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    @Test
    void pagerDutyTriggerAcknowledgeResolve() throws Exception {
        Answer t = pagerDuty(pd("trigger", "imap3/backup", PAYLOAD));
        assertEquals(202, t.status(), t.body());
        assertEquals("success", t.json().path("status").asText());
        assertEquals("Event processed", t.json().path("message").asText());
        assertEquals("imap3/backup", t.json().path("dedup_key").asText());
        Event e = folded.get(0).event();
        assertEquals("pd", e.source());
        assertEquals("pagerduty", e.format());
        assertEquals(Event.Action.FIRING, e.action());
        assertEquals(Severity.ERROR, e.severity());
        assertEquals("imap3", e.host());
        assertEquals("backup: missing file 87040 in user.x cyrus.index", e.summary());
        assertTrue(e.details().contains("component: backup") && e.details().contains("\"slot\":\"sloti20d3p2\""), e.details());

        Answer ack = pagerDuty(pd("acknowledge", "imap3/backup", null));
        assertEquals(202, ack.status(), ack.body());
        assertEquals("imap3/backup", ack.json().path("dedup_key").asText());
        assertEquals(Event.Action.ACKNOWLEDGED, folded.get(1).event().action());
        Answer res = pagerDuty(pd("resolve", "imap3/backup", null));
        assertEquals(202, res.status(), res.body());
        assertEquals(Event.Action.RESOLVED, folded.get(2).event().action());
        assertEquals("imap3/backup", folded.get(2).event().key());
        assertEquals(3, rows());
    }

    @Test
    void pagerDutyTriggerWithoutDedupKeyGetsOne() throws Exception {
        Answer t = pagerDuty(pd("trigger", null, PAYLOAD));
        assertEquals(202, t.status(), t.body());
        String key = t.json().path("dedup_key").asText();
        assertTrue(key.matches("[0-9a-f]{32}"), key);
        assertEquals(key, folded.get(0).event().key());
        assertEquals(key, row(folded.get(0).id()).get("alert_key"));
    }

    @Test
    void pagerDutyRefusals() throws Exception {
        refusedAndNothingStored(pagerDuty(pd("trigger", "k", PAYLOAD).replace(PD_KEY, "ffffffffffffffffffffffffffffffff")), 401, null);
        refusedAndNothingStored(pagerDuty(pd("trigger", "k", PAYLOAD).replace("\"routing_key\":\"" + PD_KEY + "\",", "")), 401, null);
        Answer a = pagerDuty(pd("acknowledge", null, null));
        refusedAndNothingStored(a, 400, "dedup_key");
        assertEquals("invalid event", a.json().path("status").asText());
        refusedAndNothingStored(pagerDuty(pd("trigger", "k", PAYLOAD.replace("\"error\"", "\"fatal\""))), 400, "payload.severity");
        refusedAndNothingStored(pagerDuty(pd("trigger", "k", "{\"source\":\"imap3\",\"severity\":\"error\"}")), 400, "payload.summary");
        refusedAndNothingStored(pagerDuty(pd("explode", "k", PAYLOAD)), 400, "event_action");
    }

    // ---- health, metrics, concurrency

    @Test
    void healthSaysEachNetworkAndTheStore() throws Exception {
        Answer up = send(HttpRequest.newBuilder(uri("/healthz")).GET());
        assertEquals(200, up.status(), up.body());
        assertTrue(up.json().path("store").asBoolean());
        assertTrue(up.json().path("networks").path("irc").asBoolean());
        networks = Map.of("irc", false, "matrix", true);
        Answer down = send(HttpRequest.newBuilder(uri("/healthz")).GET());
        assertEquals(503, down.status(), down.body());
        assertFalse(down.json().path("networks").path("irc").asBoolean());
        assertEquals("degraded", down.json().path("status").asText());
    }

    @Test
    void metricsAreThePrometheusText() throws Exception {
        assertEquals(202, post(Front.EVENTS, BACKUP_TOKEN, GOOD).status());
        post(Front.EVENTS, "wrong-token-wrong-token", GOOD);
        Answer m = send(HttpRequest.newBuilder(uri("/metrics")).GET());
        assertEquals(200, m.status());
        assertEquals(Metrics.contentType(), m.raw().headers().firstValue("Content-Type").orElse(null));
        assertTrue(m.body().contains("opsbot_events_received_total{format=\"events\",source=\"backup\"} 1.0"), m.body());
        assertTrue(m.body().contains("opsbot_events_rejected_total{reason=\"auth\"} 1.0"), m.body());
    }

    @Test
    void eightConcurrentSendersAreAllStored() throws Exception {
        int senders = 8, each = 50;
        ExecutorService pool = Executors.newFixedThreadPool(senders);
        try {
            List<Future<Integer>> done = new ArrayList<>();
            for (int s = 0; s < senders; s++) {
                int sender = s;
                done.add(pool.submit((Callable<Integer>) () -> {
                    int ok = 0;
                    for (int i = 0; i < each; i++) {
                        if (post(Front.EVENTS, BACKUP_TOKEN, event("backup", "warning", "s" + sender + " e" + i)).status() == 202) ok++;
                    }
                    return ok;
                }));
            }
            int ok = 0;
            for (Future<Integer> f : done) ok += f.get();
            assertEquals(senders * each, ok);
        } finally {
            pool.shutdownNow();
        }
        assertEquals(senders * each, rows());
        assertEquals(senders * each, folded.stream().map(Folded::id).distinct().count());
        assertEquals(senders * each, metrics.eventsReceived.labelValues("backup", "events").get());
    }
}
