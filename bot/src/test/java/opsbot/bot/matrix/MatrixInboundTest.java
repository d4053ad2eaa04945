package opsbot.bot.matrix;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import opsbot.bot.chat.Inbound;
import opsbot.config.MatrixConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/**
 * What the Matrix network hands on, against a scripted homeserver on loopback: the gap after a limited
 * sync (bounded by count and bytes, read one page at a time, the cut said in the room), edits and notices
 * (never commands), and the age of an event without {@code unsigned.age}.
 */
class MatrixInboundTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ROOM = "!r:fake";
    private static final Instant NOW = Instant.parse("2026-11-23T03:00:00Z");

    private HttpServer server;
    private MatrixNetwork network;

    @AfterEach
    void stop() {
        if (network != null) network.close();
        if (server != null) server.stop(0);
    }

    /**
     * A room whose history holds {@code history} messages ("gap 1" oldest … newest) of {@code bodyBytes} each,
     * before a limited sync whose own timeline is {@code live}.
     */
    private final class Homeserver {
        final int history;
        final int bodyBytes;
        final ArrayNode live;
        final AtomicInteger messagesCalls = new AtomicInteger();
        final List<String> notices = new CopyOnWriteArrayList<>();
        final Map<String, Integer> syncs = new ConcurrentHashMap<>();

        Homeserver(int history, int bodyBytes, ArrayNode live) {
            this.history = history;
            this.bodyBytes = bodyBytes;
            this.live = live;
        }

        void handle(HttpExchange ex) throws IOException {
            String path = URLDecoder.decode(ex.getRequestURI().getRawPath(), StandardCharsets.UTF_8);
            Map<String, String> q = query(ex.getRequestURI().getRawQuery());
            ObjectNode r = JSON.createObjectNode();
            if (path.endsWith("/account/whoami")) {
                r.put("user_id", "@opsbot:fake");
            } else if (path.contains("/join/")) {
                r.put("room_id", ROOM);
            } else if (path.endsWith("/sync")) {
                String since = q.get("since");
                if (since == null) {
                    r.put("next_batch", "s0");
                } else if (since.equals("s0")) {
                    r.put("next_batch", "s1");
                    ObjectNode tl = r.putObject("rooms").putObject("join").putObject(ROOM).putObject("timeline");
                    tl.put("limited", true).put("prev_batch", "t" + history).set("events", live);
                } else {
                    sleep(100);
                    r.put("next_batch", since);
                }
            } else if (path.endsWith("/messages")) {
                messagesCalls.incrementAndGet();
                assertEquals("b", q.get("dir"));
                assertEquals("s0", q.get("to"), "never further back than the last sync");
                int from = Integer.parseInt(q.get("from").substring(1));
                int limit = Integer.parseInt(q.get("limit"));
                ArrayNode chunk = r.putArray("chunk");
                for (int n = from; n > Math.max(0, from - limit); n--) chunk.add(message("$g" + n, "gap " + n + " " + "x".repeat(bodyBytes), 60_000));
                if (from - limit > 0) r.put("end", "t" + (from - limit));
            } else if (path.contains("/send/m.room.message/")) {
                notices.add(JSON.readTree(ex.getRequestBody()).path("body").asText());
                r.put("event_id", "$sent" + notices.size());
            } else {
                ex.sendResponseHeaders(404, -1);
                ex.close();
                return;
            }
            byte[] body = JSON.writeValueAsBytes(r);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        }
    }

    private static ObjectNode message(String id, String body, long age) {
        ObjectNode ev = JSON.createObjectNode().put("type", "m.room.message").put("event_id", id).put("sender", "@alice:fake");
        ev.putObject("content").put("msgtype", "m.text").put("body", body);
        if (age >= 0) ev.putObject("unsigned").put("age", age);
        return ev;
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> m = new HashMap<>();
        if (raw == null) return m;
        for (String kv : raw.split("&")) {
            int eq = kv.indexOf('=');
            m.put(kv.substring(0, eq), URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return m;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** What the network handed on, and how many /messages calls had been answered when each came. */
    private record Heard(Inbound in, int messagesCallsSoFar) {
    }

    private List<Heard> run(Homeserver hs, int expected) throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            try {
                hs.handle(ex);
            } catch (AssertionError e) {
                byte[] b = e.getMessage().getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(500, b.length);
                ex.getResponseBody().write(b);
                ex.close();
                throw e;
            }
        });
        server.setExecutor(Executors.newCachedThreadPool());
        server.start();
        MatrixConfig cfg = new MatrixConfig("http://127.0.0.1:" + server.getAddress().getPort(), "opsbot", null, "token",
                List.of(ROOM), Duration.ofMillis(100), List.of());
        Map<String, String> state = new ConcurrentHashMap<>();
        network = new MatrixNetwork(cfg, state::get, state::put, Clock.fixed(NOW, ZoneOffset.UTC));
        List<Heard> heard = new CopyOnWriteArrayList<>();
        network.start(in -> heard.add(new Heard(in, hs.messagesCalls.get())));
        // a deadline, not a wait: 4 MB through a loopback homeserver took more than 20 s on a loaded machine
        long end = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (heard.size() < expected) {
            if (System.nanoTime() > end) fail("heard " + heard.size() + " of " + expected);
            Thread.sleep(20);
        }
        // The live batch is handed on last: once "live" is heard, everything was.
        while (heard.stream().noneMatch(h -> h.in().text().equals("!ping live"))) {
            if (System.nanoTime() > end) fail("the live message was not heard");
            Thread.sleep(20);
        }
        return heard;
    }

    private static ArrayNode live() {
        return JSON.createArrayNode().add(message("$live", "!ping live", 5));
    }

    @Test
    void aGapOfLargeMessagesIsCutByBytesReadOnePageAtATimeAndTheCutIsSaid() throws Exception {
        Homeserver hs = new Homeserver(3000, 8 * 1024, live());
        List<Heard> heard = run(hs, 501);
        List<String> texts = heard.stream().map(h -> h.in().text().replaceFirst(" x+$", "")).toList();
        int read = texts.size() - 1;
        assertTrue(read > 400 && read <= 4L * 1024 * 1024 / (8 * 1024), "about 4 MB of 8 KB messages: " + read);
        assertEquals("!ping live", texts.get(read));
        for (int k = 0; k < read; k++) {
            assertEquals("gap " + (3000 - read + 1 + k), texts.get(k), "the newest messages, oldest first, none left out");
        }
        int pages = (read + MatrixNetwork.GAP_PAGE_SIZE - 1) / MatrixNetwork.GAP_PAGE_SIZE;
        assertEquals(pages + 2, heard.get(0).messagesCallsSoFar(), "walked back (" + pages + " pages, then one over"
                + " the bound), then the oldest page read again and handed on before any newer page is read again");
        assertEquals(pages + 1 + pages, hs.messagesCalls.get(), "each page read again once, one at a time");
        assertEquals(1, hs.notices.size(), hs.notices.toString());
        assertTrue(hs.notices.get(0).startsWith("More was said here while I was away than I read back: I read the newest "
                + read + " messages ("), hs.notices.get(0));
        assertEquals(Duration.ofMinutes(1), heard.get(0).in().delay());
    }

    @Test
    void aGapOfManySmallMessagesIsCutAtAThousand() throws Exception {
        Homeserver hs = new Homeserver(3000, 10, live());
        List<Heard> heard = run(hs, MatrixNetwork.GAP_EVENTS + 1);
        assertEquals(MatrixNetwork.GAP_EVENTS + 1, heard.size());
        assertEquals("gap 2001", heard.get(0).in().text().replaceFirst(" x+$", ""));
        assertEquals(1, hs.notices.size(), "the cut is said once");
    }

    @Test
    void aGapWithinTheBoundsIsReadWholeAndNothingIsSaid() throws Exception {
        Homeserver hs = new Homeserver(120, 10, live());
        List<Heard> heard = run(hs, 121);
        assertEquals("gap 1", heard.get(0).in().text().replaceFirst(" x+$", ""));
        assertEquals(List.of(), hs.notices);
    }

    /** Edits (whatever their body) and notices are never handed on; only new m.text messages are. */
    @Test
    void editsAndNoticesAreNeverCommandsAndAnEventsAgeComesFromItsTimestampWhenTheServerGivesNone() throws Exception {
        ArrayNode live = JSON.createArrayNode();
        ObjectNode edit = message("$e1", "!status compute1", 5); // a fallback body without the "* " prefix
        ((ObjectNode) edit.path("content")).putObject("m.relates_to").put("rel_type", "m.replace").put("event_id", "$old");
        ((ObjectNode) edit.path("content")).putObject("m.new_content").put("msgtype", "m.text").put("body", "!status compute1");
        live.add(edit);
        ObjectNode bareEdit = message("$e2", "!srv all stop", 5); // m.replace without m.new_content
        ((ObjectNode) bareEdit.path("content")).putObject("m.relates_to").put("rel_type", "m.replace").put("event_id", "$old");
        live.add(bareEdit);
        ObjectNode newContentOnly = message("$e3", "!srv all stop", 5);
        ((ObjectNode) newContentOnly.path("content")).putObject("m.new_content").put("msgtype", "m.text").put("body", "x");
        live.add(newContentOnly);
        ObjectNode notice = message("$n1", "!status compute1", 5);
        ((ObjectNode) notice.path("content")).put("msgtype", "m.notice");
        live.add(notice);
        ObjectNode noAge = message("$a1", "!uptime c1", -1);
        noAge.put("origin_server_ts", NOW.minus(Duration.ofMinutes(10)).toEpochMilli());
        live.add(noAge);
        live.add(message("$a2", "!uptime c2", -1)); // neither age nor timestamp
        live.add(message("$live", "!ping live", 5));
        Homeserver hs = new Homeserver(0, 10, live);
        List<Heard> heard = run(hs, 2);
        assertEquals(List.of("!uptime c1", "!ping live"), heard.stream().map(h -> h.in().text()).toList());
        assertEquals(Duration.ofMinutes(10), heard.get(0).in().delay(), "judged by origin_server_ts, not fresh");
        assertEquals(Duration.ofMillis(5), heard.get(1).in().delay(), "the server's own age when it gives one");
    }

    @Test
    void ageWithoutUnsignedAgeIsJudgedByTheTimestamp() throws Exception {
        Instant now = Instant.parse("2026-11-23T03:00:00Z");
        JsonNode aged = JSON.readTree("{\"unsigned\":{\"age\":1234},\"origin_server_ts\":0}");
        assertEquals(Duration.ofMillis(1234), MatrixNetwork.age(aged, now), "the server's age wins over two clocks");
        JsonNode stamped = JSON.readTree("{\"origin_server_ts\":" + now.minusSeconds(3600).toEpochMilli() + "}");
        assertEquals(Duration.ofHours(1), MatrixNetwork.age(stamped, now));
        JsonNode future = JSON.readTree("{\"origin_server_ts\":" + now.plusSeconds(5).toEpochMilli() + "}");
        assertEquals(Duration.ZERO, MatrixNetwork.age(future, now), "a clock a little ahead is not an error");
        assertNull(MatrixNetwork.age(JSON.readTree("{}"), now), "neither: not taken at all, never as fresh");
        assertNull(MatrixNetwork.age(JSON.readTree("{\"unsigned\":{\"age\":\"old\"}}"), now));
    }
}
