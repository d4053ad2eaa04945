package opsbot.bot.matrix;

import com.fasterxml.jackson.databind.JsonNode;
import opsbot.bot.chat.ChatNetwork;
import opsbot.bot.chat.Inbound;
import opsbot.bot.chat.Message;
import opsbot.commands.model.Sanitize;
import com.fasterxml.jackson.databind.node.ObjectNode;
import opsbot.config.MatrixConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Matrix rooms as a chat network: one /sync long-poll loop, identity from the sender's user ID.
 *
 * <p>The sync token is kept through {@code loadToken}/{@code saveToken} (the store), saved before the
 * events it covers are handed on: a restart resumes where it stopped and never replays a command. On the very first
 * start there is no token; the first sync then only marks the position, so nothing said before the bot
 * arrived is taken as a command. Rooms are named as configured (ID or alias), so channel trust and
 * replies use the operator's names.
 */
public final class MatrixNetwork implements ChatNetwork {
    private static final Logger log = LoggerFactory.getLogger(MatrixNetwork.class);
    private static final String TOKEN_KEY = "matrix.since";
    private static final String ACCESS_KEY = "matrix.access-token";
    /**
     * Only what the bot acts on: messages in rooms, and memberships, to see where its own join falls
     * (invites come through regardless). No presence, receipts, typing or account data: a phone-sized bot
     * on a busy homeserver should not parse them all day.
     */
    private static final String FILTER = "{\"presence\":{\"types\":[]},\"account_data\":{\"types\":[]},"
            + "\"room\":{\"timeline\":{\"types\":[\"m.room.message\",\"m.room.member\"],\"limit\":50},\"ephemeral\":{\"types\":[]},"
            + "\"account_data\":{\"types\":[]},\"state\":{\"lazy_load_members\":true}}}";

    private static final String GAP_FILTER = "{\"types\":[\"m.room.message\",\"m.room.member\"]}";
    private static final int GAP_PAGES = 10;
    private static final int GAP_PAGE_SIZE = 100;

    /** How long after a failed join a configured room is tried again (an invite is taken at once). */
    private static final Duration REJOIN = Duration.ofMinutes(5);

    private final MatrixConfig cfg;
    private final MatrixClient client;
    private final Function<String, String> loadToken;
    private final BiConsumer<String, String> saveToken;
    private final Map<String, String> nameById = new ConcurrentHashMap<>();
    private final Map<String, String> idByName = new ConcurrentHashMap<>();
    private final Map<String, Long> nextJoin = new ConcurrentHashMap<>();
    /** Thread root → the newest event we posted in it, for the reply fallback of thread-unaware clients. */
    private final Map<String, String> latestInThread = new ConcurrentHashMap<>();
    private volatile boolean running = true;
    private volatile Thread loop;

    public MatrixNetwork(MatrixConfig cfg, Function<String, String> loadToken, BiConsumer<String, String> saveToken) {
        this.cfg = cfg;
        this.client = new MatrixClient(URI.create(cfg.homeserver()));
        this.loadToken = loadToken;
        this.saveToken = saveToken;
    }

    @Override
    public String name() {
        return "matrix";
    }

    @Override
    public String selfName() {
        String id = client.userId();
        return id == null ? "opsbot" : id.substring(1, id.indexOf(':') > 0 ? id.indexOf(':') : id.length());
    }

    /** Whether the bot has joined the configured room (by its configured name) and is syncing. */
    public boolean isJoined(String room) {
        return idByName.containsKey(room);
    }

    @Override
    public void start(Consumer<Inbound> inbox) {
        loop = Thread.ofPlatform().name("matrix-sync").daemon().start(() -> run(inbox));
    }

    private void run(Consumer<Inbound> inbox) {
        long backoff = 1000;
        while (running) {
            try {
                if (client.accessToken() == null) {
                    logIn();
                }
                String since = loadToken.apply(TOKEN_KEY);
                if (since == null) {
                    since = client.sync(null, Duration.ZERO, "{\"room\":{\"timeline\":{\"limit\":0}}}").path("next_batch").asText();
                    saveToken.accept(TOKEN_KEY, since);
                }
                while (running) {
                    joinConfigured(); // cheap once joined; a room not joinable yet is retried from here
                    JsonNode s = client.sync(since, cfg.syncTimeout(), FILTER);
                    String from = since;
                    // Token first, then the events: a crash in between loses a line (retyped) rather than
                    // running a confirmed command twice.
                    since = s.path("next_batch").asText(since);
                    saveToken.accept(TOKEN_KEY, since);
                    deliver(s, from, inbox);
                    backoff = 1000;
                }
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                if (!running) return;
                if (e instanceof MatrixClient.MatrixException m && m.status == 401) {
                    // The token was revoked (devices logged out by an admin, or expired): with a password,
                    // log in again; a configured token can only be fixed by the operator.
                    client.forgetToken();
                    if (cfg.accessToken() == null) {
                        saveToken.accept(ACCESS_KEY, "");
                        log.warn("matrix: the access token is no longer valid ({}); logging in again in {} ms",
                                m.getMessage(), backoff);
                    } else {
                        log.error("matrix: the configured access-token is refused ({}); set a valid one", m.getMessage());
                    }
                } else {
                    log.warn("matrix: {}; retrying in {} ms", e.toString(), backoff);
                }
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException ie) {
                    return;
                }
                backoff = Math.min(backoff * 2, 60_000);
            }
        }
    }

    /**
     * A configured token, else the token of an earlier password login kept in the store (one device for
     * the bot, not one per restart), else a password login, whose token is then kept.
     */
    private void logIn() throws Exception {
        if (cfg.accessToken() != null) {
            client.useToken(cfg.accessToken());
        } else {
            String kept = loadToken.apply(ACCESS_KEY);
            boolean reused = false;
            if (kept != null && !kept.isEmpty()) {
                try {
                    client.useToken(kept);
                    reused = true;
                } catch (MatrixClient.MatrixException e) {
                    if (e.status != 401) throw e;
                    log.info("matrix: the kept access token was revoked; logging in again");
                }
            }
            if (!reused) {
                client.login(cfg.user(), cfg.password());
                saveToken.accept(ACCESS_KEY, client.accessToken());
            }
        }
        log.info("matrix: logged in as {}", client.userId());
    }

    /**
     * Joins each configured room not joined yet. A room the bot may not join (not invited yet, a typo) is
     * logged and tried again later; it does not hold up the rooms that work. Only the homeserver being
     * unreachable ends the attempt (the caller backs off).
     */
    private void joinConfigured() throws IOException, InterruptedException {
        for (String room : cfg.rooms()) {
            if (idByName.containsKey(room) || System.nanoTime() < nextJoin.getOrDefault(room, Long.MIN_VALUE)) {
                continue;
            }
            try {
                joined(room, client.join(room));
            } catch (MatrixClient.MatrixException e) {
                nextJoin.put(room, System.nanoTime() + REJOIN.toNanos());
                log.warn("matrix: cannot join {} ({}); an invite is accepted when it comes, and joining is tried"
                        + " again in {} min", room, e.getMessage(), REJOIN.toMinutes());
            }
        }
    }

    private void joined(String room, String id) {
        idByName.put(room, id);
        nameById.put(id, room);
        log.info("matrix: joined {} ({})", room, id);
    }

    /** An invite to a configured room (by ID, or by an alias that points to it) is accepted; others ignored. */
    private void acceptInvite(String roomId) {
        for (String room : cfg.rooms()) {
            if (idByName.containsKey(room)) continue;
            try {
                if (room.equals(roomId) || room.startsWith("#") && client.resolveAlias(room).equals(roomId)) {
                    client.join(roomId);
                    joined(room, roomId);
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                log.warn("matrix: invite to {}: cannot join it as {}: {}", Sanitize.forLog(roomId), room, e.toString());
            }
        }
        log.info("matrix: ignored an invite to {}, which is not a configured room", Sanitize.forLog(roomId));
    }

    private void deliver(JsonNode sync, String from, Consumer<Inbound> inbox) {
        sync.path("rooms").path("invite").fieldNames().forEachRemaining(id -> {
            if (!nameById.containsKey(id)) acceptInvite(id);
        });
        sync.path("rooms").path("join").properties().forEach(room -> {
            String name = nameById.get(room.getKey());
            if (name == null) {
                return; // not a configured room
            }
            JsonNode timeline = room.getValue().path("timeline");
            List<JsonNode> events = new ArrayList<>();
            timeline.path("events").forEach(events::add);
            int start = afterOwnJoin(events);
            if (start == 0 && timeline.path("limited").asBoolean(false) && timeline.hasNonNull("prev_batch")) {
                // (with the bot's join in this batch, whatever came before it is not for the bot anyway)
                List<JsonNode> missed = gap(room.getKey(), timeline.path("prev_batch").asText(), from);
                events.addAll(0, missed);
                start = afterOwnJoin(events);
            }
            for (JsonNode ev : events.subList(start, events.size())) {
                if (!ev.path("type").asText().equals("m.room.message")) continue;
                String sender = ev.path("sender").asText();
                if (sender.equals(client.userId())) continue;
                JsonNode content = ev.path("content");
                String msgtype = content.path("msgtype").asText();
                if (!msgtype.equals("m.text")) continue; // notices are other bots talking
                String nick = sender.substring(1, sender.indexOf(':') > 0 ? sender.indexOf(':') : sender.length());
                JsonNode rel = content.path("m.relates_to");
                String thread = rel.path("rel_type").asText().equals("m.thread") ? rel.path("event_id").asText(null) : null;
                // The server's own age of the event: no trust in two clocks agreeing.
                Duration delay = Duration.ofMillis(ev.path("unsigned").path("age").asLong(0));
                inbox.accept(new Inbound(name(), name, nick, sender, content.path("body").asText(),
                        ev.path("event_id").asText(null), thread, delay));
            }
        });
    }

    /**
     * The messages a limited sync left out (more than the timeline limit were said since {@code from}, as
     * after the bot was away), oldest first. They are delivered with their age: commands among them are
     * too old to run, but notes written in an incident thread meanwhile are not lost. Bounded, so a bot
     * away for a week does not page through the week.
     */
    private List<JsonNode> gap(String roomId, String prevBatch, String from) {
        List<JsonNode> missed = new ArrayList<>();
        String page = prevBatch;
        try {
            for (int i = 0; i < GAP_PAGES && page != null; i++) {
                JsonNode r = client.messagesBefore(roomId, page, from, GAP_PAGE_SIZE, GAP_FILTER);
                r.path("chunk").forEach(missed::add);
                page = r.path("chunk").isEmpty() ? null : r.path("end").asText(null);
            }
            if (page != null) {
                log.warn("matrix: more than {} messages missed in {}; older ones are not read", missed.size(), roomId);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.warn("matrix: cannot read the messages missed in {}: {}", roomId, e.toString());
        }
        Collections.reverse(missed);
        return missed;
    }

    /**
     * Where in {@code events} the bot's own join ends: a room joined just now comes with its recent history
     * (rooms usually let members read what was said before they joined), and none of that is meant for the
     * bot. 0 when the batch holds no join of the bot's.
     */
    private int afterOwnJoin(List<JsonNode> events) {
        int start = 0;
        for (int k = 0; k < events.size(); k++) {
            JsonNode ev = events.get(k);
            if (ev.path("type").asText().equals("m.room.member") && ev.path("state_key").asText().equals(client.userId())
                    && ev.path("content").path("membership").asText().equals("join")
                    && !ev.path("unsigned").path("prev_content").path("membership").asText().equals("join")) {
                start = k + 1; // a join, not a profile change
            }
        }
        return start;
    }

    /** Lines as one message, or several in order where one would pass the event size limit ({@link EventSize}). */
    @Override
    public void send(String target, List<String> lines) {
        String roomId = idByName.getOrDefault(target, target);
        try {
            for (String body : EventSize.bodies(lines)) {
                client.send(roomId, "m.notice", body, null);
            }
        } catch (Exception e) {
            log.warn("matrix: cannot send to {}: {}", Sanitize.forLog(target), e.toString());
        }
    }

    @Override
    public void reply(Inbound to, List<String> lines) {
        if (to.thread() == null || to.isPrivate()) {
            send(to.replyTarget(), lines);
            return;
        }
        try {
            for (String body : EventSize.bodies(lines)) {
                post(to.replyTarget(), Message.plain(body), to.thread(), null);
            }
        } catch (PostFailed e) {
            log.warn("matrix: cannot reply in a thread in {}: {}", Sanitize.forLog(to.replyTarget()), e.getMessage());
        }
    }

    @Override
    public boolean hasThreads() {
        return true;
    }

    @Override
    public String post(String target, Message message, String thread, String key) {
        String roomId = idByName.getOrDefault(target, target);
        Message fitted = EventSize.fit(message); // too large for one event: cut with a marker, not refused and lost
        ObjectNode content = MatrixClient.message("m.notice", fitted.plain(), fitted.html());
        if (thread != null) {
            MatrixClient.inThread(content, thread, latestInThread.get(thread));
        }
        try {
            String id = key == null ? client.sendEvent(roomId, "m.room.message", content)
                    : client.sendEvent(roomId, "m.room.message", content, "opsbot-" + key);
            if (thread != null) latestInThread.put(thread, id);
            return id;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PostFailed("interrupted", e);
        } catch (Exception e) {
            throw new PostFailed(e.toString(), e);
        }
    }

    @Override
    public void react(String target, String messageId, String emoji) {
        try {
            client.react(idByName.getOrDefault(target, target), messageId, emoji);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.warn("matrix: cannot react in {}: {}", target, e.toString());
        }
    }

    @Override
    public void close() {
        running = false;
        Thread t = loop;
        if (t != null) t.interrupt();
    }
}
