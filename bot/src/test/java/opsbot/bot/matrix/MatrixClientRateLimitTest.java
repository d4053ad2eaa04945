package opsbot.bot.matrix;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/** 429 handling and transaction IDs, against a scripted homeserver on loopback (Synapse's limits are raised in testenv). */
class MatrixClientRateLimitTest {
    private HttpServer server;

    @AfterEach
    void stop() {
        if (server != null) server.stop(0);
    }

    @Test
    void waitsRetryAfterAndRetriesWithTheSameTransactionId() throws Exception {
        List<String> paths = new CopyOnWriteArrayList<>();
        List<Long> times = new CopyOnWriteArrayList<>();
        AtomicInteger calls = new AtomicInteger();
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/_matrix/client/v3/rooms/", ex -> {
            paths.add(ex.getRequestURI().getRawPath());
            times.add(System.nanoTime());
            boolean limited = calls.incrementAndGet() == 1;
            byte[] body = (limited ? "{\"errcode\":\"M_LIMIT_EXCEEDED\",\"retry_after_ms\":300}"
                    : "{\"event_id\":\"$ev1\"}").getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(limited ? 429 : 200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        MatrixClient c = new MatrixClient(URI.create("http://127.0.0.1:" + server.getAddress().getPort()));
        assertEquals("$ev1", c.send("!room:localhost", "m.notice", "pong", null));
        assertEquals(2, paths.size());
        assertEquals(paths.get(0), paths.get(1), "the retry reuses the transaction ID, so the send lands once");
        assertTrue(paths.get(0).contains("/send/m.room.message/opsbot-"), paths.get(0));
        assertTrue((times.get(1) - times.get(0)) / 1e6 >= 290, "waited retry_after_ms");
        c.send("!room:localhost", "m.notice", "again", null);
        assertNotEquals(paths.get(1), paths.get(2), "a new send gets a new transaction ID");
    }

    @Test
    void errorsCarryStatusAndErrcode() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            byte[] body = "{\"errcode\":\"M_FORBIDDEN\",\"error\":\"Invalid password\"}".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(403, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        MatrixClient c = new MatrixClient(URI.create("http://127.0.0.1:" + server.getAddress().getPort()));
        MatrixClient.MatrixException e = assertThrows(MatrixClient.MatrixException.class, () -> c.login("alice", "wrong"));
        assertEquals(403, e.status);
        assertEquals("M_FORBIDDEN", e.errcode);
    }
}
