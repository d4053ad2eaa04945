package opsbot.bot.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import opsbot.bot.matrix.MatrixClient;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** A test user's view of one Matrix room: long-poll syncs from "now", every event kept, waits for one. */
public final class MatrixRoom {
    public static final String BOT = "@opsbot:localhost";
    private final MatrixClient c;
    private final String room;
    private final List<JsonNode> seen = new ArrayList<>();
    private String since;

    public MatrixRoom(MatrixClient c, String room) throws Exception {
        this.c = c;
        this.room = room;
        this.since = c.sync(null, Duration.ZERO, "{\"room\":{\"timeline\":{\"limit\":0}}}").path("next_batch").asText();
    }

    /** The first event (seen before or arriving within {@code max}) that matches. */
    public JsonNode await(String what, Predicate<JsonNode> p, Duration max) throws Exception {
        long end = System.nanoTime() + max.toNanos();
        while (true) {
            for (JsonNode ev : seen) {
                if (p.test(ev)) return ev;
            }
            if (System.nanoTime() > end) {
                throw new AssertionError("not seen in " + room + " within " + max + ": " + what + "; saw: "
                        + seen.stream().map(e -> e.path("sender").asText() + " " + e.path("type").asText() + " "
                        + e.path("content").path("body").asText()).toList());
            }
            JsonNode s = c.sync(since, Duration.ofSeconds(2), null);
            since = s.path("next_batch").asText();
            s.path("rooms").path("join").path(room).path("timeline").path("events").forEach(seen::add);
        }
    }

    /** Every event seen so far, in the room's order (those taken by {@link #botSays} excepted). */
    public List<JsonNode> seen() {
        return List.copyOf(seen);
    }

    /** Whether a matching event has been seen so far (without waiting for more). */
    public boolean saw(Predicate<JsonNode> p) {
        return seen.stream().anyMatch(p);
    }

    /** The bot's next message whose body contains {@code text} (and that was not matched before). */
    public String botSays(String text) throws Exception {
        JsonNode ev = await("the bot saying '" + text + "'", e -> e.path("sender").asText().equals(BOT)
                && e.path("content").path("body").asText().contains(text), Duration.ofSeconds(20));
        seen.remove(ev);
        return ev.path("content").path("body").asText();
    }

    public static boolean inThread(JsonNode ev, String root) {
        JsonNode rel = ev.path("content").path("m.relates_to");
        return rel.path("rel_type").asText().equals("m.thread") && rel.path("event_id").asText().equals(root);
    }
}
