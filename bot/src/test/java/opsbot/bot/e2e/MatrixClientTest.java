package opsbot.bot.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import opsbot.bot.matrix.MatrixClient;
import opsbot.bot.testkit.TestEnv;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.*;

/** The thin Matrix client against the real Synapse started by testenv/synapse-up.sh. */
@Tag("e2e")
class MatrixClientTest {
    private static final URI HS = URI.create("http://127.0.0.1:8008");

    @Test
    void twoUsersTalkInARoomThroughLongPollSync() throws Exception {
        String pw = new TestEnv().password();
        MatrixClient alice = new MatrixClient(HS), bob = new MatrixClient(HS);
        alice.login("alice", pw);
        bob.login("bob", pw);
        assertEquals("@alice:localhost", alice.userId());
        String room = alice.createRoom("ops-test", bob.userId());
        assertEquals(room, bob.join(room), "accepting the invite by joining");
        String since = bob.sync(null, Duration.ZERO, null).path("next_batch").asText();

        String sent = alice.send(room, "m.text", "!ping", null);
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        JsonNode found = null;
        while (found == null && System.nanoTime() < end) {
            JsonNode s = bob.sync(since, Duration.ofSeconds(5), null);
            since = s.path("next_batch").asText();
            for (JsonNode ev : s.path("rooms").path("join").path(room).path("timeline").path("events")) {
                if (ev.path("event_id").asText().equals(sent)) found = ev;
            }
        }
        assertNotNull(found, "bob's long-poll sync delivered alice's message");
        assertEquals("@alice:localhost", found.path("sender").asText());
        assertEquals("!ping", found.path("content").path("body").asText());

        MatrixClient again = new MatrixClient(HS);
        again.useToken(alice.accessToken());
        assertEquals("@alice:localhost", again.userId(), "an access token alone identifies the account");
    }

    @Test
    void wrongPasswordIsForbidden() {
        MatrixClient c = new MatrixClient(HS);
        MatrixClient.MatrixException e = assertThrows(MatrixClient.MatrixException.class, () -> c.login("alice", "wrong"));
        assertEquals(403, e.status);
        assertEquals("M_FORBIDDEN", e.errcode);
    }
}
