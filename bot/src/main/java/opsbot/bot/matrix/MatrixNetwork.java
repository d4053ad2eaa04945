package opsbot.bot.matrix;

import com.fasterxml.jackson.databind.JsonNode;
import opsbot.bot.chat.ChatNetwork;
import opsbot.bot.chat.Inbound;
import opsbot.commands.policy.Identity;
import opsbot.bot.chat.Message;
import opsbot.commands.model.Sanitize;
import com.fasterxml.jackson.databind.node.ObjectNode;
import opsbot.config.MatrixConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
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
    /**
     * How much of a gap is read back, newest first: at most this many events and bytes (of event JSON). A
     * page of 50 events is at most ~3.3 MB (events are limited to 64 KB), so the first page always fits.
     */
    static final int GAP_EVENTS = 1000;
    static final long GAP_BYTES = 4L << 20;
    static final int GAP_PAGE_SIZE = 50;

    /** How long after a failed join a configured room is tried again (an invite is taken at once). */
    private static final Duration REJOIN = Duration.ofMinutes(5);

    private final MatrixConfig cfg;
    private final MatrixClient client;
    private final Clock clock;
    private final Function<String, String> loadToken;
    private final BiConsumer<String, String> saveToken;
    private final Map<String, String> nameById = new ConcurrentHashMap<>();
    private final Map<String, String> idByName = new ConcurrentHashMap<>();
    private final Map<String, Long> nextJoin = new ConcurrentHashMap<>();
    /** Thread root → the newest event we posted in it, for the reply fallback of thread-unaware clients. */
    private final Map<String, String> latestInThread = new ConcurrentHashMap<>();
    private volatile boolean running = true;
    /** The last /sync answered (cleared when one fails): what the intake's health check reports. */
    private volatile boolean syncing;
    private volatile Thread loop;

    public MatrixNetwork(MatrixConfig cfg, Function<String, String> loadToken, BiConsumer<String, String> saveToken) {
        this(cfg, loadToken, saveToken, Clock.systemUTC());
    }

    /** {@code clock} judges the age of an event that does not carry the homeserver's own age of it. */
    public MatrixNetwork(MatrixConfig cfg, Function<String, String> loadToken, BiConsumer<String, String> saveToken,
                         Clock clock) {
        this.cfg = cfg;
        this.clock = clock;
        this.client = new MatrixClient(URI.create(cfg.homeserver()));
        this.loadToken = loadToken;
        this.saveToken = saveToken;
    }

    /** Its own reader thread: waiting holds nothing up but the reading itself. */
    @Override
    public boolean readerMayWait() {
        return true;
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

    @Override
    public boolean connected() {
        return syncing && running;
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
                    syncing = true;
                    deliver(s, from, inbox);
                    backoff = 1000;
                }
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                syncing = false;
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
                readGap(room.getKey(), timeline.path("prev_batch").asText(), from, ev -> hand(name, ev, inbox));
            }
            for (JsonNode ev : events.subList(start, events.size())) {
                hand(name, ev, inbox);
            }
        });
    }

    /**
     * One timeline event to the dispatcher, if it is something a person said: a new {@code m.text} message.
     * Not the bot's own, not notices (other bots talking), and never an edit ({@code m.replace}): an edit's
     * body is whatever the editing client put there, with or without the usual "* " prefix, and a command is
     * what was typed as a new message, not what an old one was changed into.
     */
    private void hand(String room, JsonNode ev, Consumer<Inbound> inbox) {
        if (!ev.path("type").asText().equals("m.room.message")) return;
        String sender = ev.path("sender").asText();
        if (sender.equals(client.userId())) return;
        JsonNode content = ev.path("content");
        if (!content.path("msgtype").asText().equals("m.text")) return; // notices are other bots talking
        JsonNode rel = content.path("m.relates_to");
        if (rel.path("rel_type").asText().equals("m.replace") || content.has("m.new_content")) {
            log.info("matrix: {} edited a message in {}; edits are neither commands nor notes", sender, room);
            return;
        }
        Duration delay = age(ev, clock.instant());
        if (delay == null) {
            log.warn("matrix: an event from {} in {} has neither an age nor a timestamp; ignored", sender, room);
            return;
        }
        String nick = sender.substring(1, sender.indexOf(':') > 0 ? sender.indexOf(':') : sender.length());
        String thread = rel.path("rel_type").asText().equals("m.thread") ? rel.path("event_id").asText(null) : null;
        inbox.accept(new Inbound(name(), room, nick, new Identity.MatrixUser(sender), content.path("body").asText(),
                ev.path("event_id").asText(null), thread, delay));
    }

    /**
     * How long ago an event was sent: the homeserver's own {@code unsigned.age} when it gives one (no trust
     * in two clocks agreeing), else {@code origin_server_ts} against the bot's clock; null when the event
     * has neither (it is then not taken at all: never as fresh).
     */
    static Duration age(JsonNode ev, Instant now) {
        JsonNode age = ev.path("unsigned").path("age");
        if (age.isIntegralNumber()) {
            return Duration.ofMillis(Math.max(0, age.asLong()));
        }
        JsonNode ts = ev.path("origin_server_ts");
        if (ts.isIntegralNumber()) {
            Duration d = Duration.between(Instant.ofEpochMilli(ts.asLong()), now);
            return d.isNegative() ? Duration.ZERO : d;
        }
        return null;
    }

    /**
     * The messages a limited sync left out (more than the timeline limit were said since {@code from}, as
     * after the bot was away), handed to {@code each} oldest first. They are delivered with their age:
     * commands among them are too old to run, but notes written in an incident thread meanwhile are not lost.
     *
     * <p>Bounded by {@link #GAP_EVENTS} and {@link #GAP_BYTES}, newest first, so a bot away for a week does
     * not page through the week; and never more than one page in memory: the walk back keeps only the token
     * each page was read from (and stops at the bot's own join), then each page is read again, oldest first,
     * and handed on. When the bound cuts, the log and one line in the room say so.
     */
    private void readGap(String roomId, String prevBatch, String from, Consumer<JsonNode> each) {
        List<String> pages = new ArrayList<>();
        String joinId = null;
        boolean cut = false;
        int count = 0;
        long bytes = 0;
        try {
            String page = prevBatch;
            while (page != null) {
                if (count >= GAP_EVENTS) {
                    cut = !client.messagesBefore(roomId, page, from, 1, GAP_FILTER).path("chunk").isEmpty();
                    break;
                }
                JsonNode r = client.messagesBefore(roomId, page, from, Math.min(GAP_PAGE_SIZE, GAP_EVENTS - count), GAP_FILTER);
                JsonNode chunk = r.path("chunk");
                if (chunk.isEmpty()) break;
                long size = chunk.toString().getBytes(StandardCharsets.UTF_8).length;
                if (bytes + size > GAP_BYTES) {
                    cut = true;
                    break;
                }
                pages.add(page);
                count += chunk.size();
                bytes += size;
                for (JsonNode ev : chunk) { // newest first: the newest join of the bot's is where the gap starts
                    if (isOwnJoin(ev)) {
                        joinId = ev.path("event_id").asText();
                        break;
                    }
                }
                if (joinId != null) break;
                page = r.path("end").asText(null);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (Exception e) {
            log.warn("matrix: cannot read the messages missed in {}: {}", roomId, e.toString());
            if (pages.isEmpty()) return; // else: what was found is still handed on
            cut = true;
        }
        if (cut) {
            log.warn("matrix: more was said in {} while away than is read back ({} messages, {} KB); older ones are"
                    + " not read", roomId, count, bytes >> 10);
            try {
                client.send(roomId, "m.notice", "More was said here while I was away than I read back: I read the newest "
                        + count + " messages (" + (bytes >> 10) + " KB); anything older was not seen. Repeat what still"
                        + " matters.", null);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                log.warn("matrix: cannot say so in {}: {}", roomId, e.toString());
            }
        }
        boolean skipping = joinId != null;
        for (int k = pages.size() - 1; k >= 0; k--) {
            List<JsonNode> chunk = new ArrayList<>(GAP_PAGE_SIZE);
            try {
                client.messagesBefore(roomId, pages.get(k), from, GAP_PAGE_SIZE, GAP_FILTER).path("chunk").forEach(chunk::add);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                log.warn("matrix: cannot read the messages missed in {} again: {}; {} older pages were handed on, the"
                        + " newer ones are lost", roomId, e.toString(), pages.size() - 1 - k);
                return;
            }
            Collections.reverse(chunk);
            for (JsonNode ev : chunk) {
                if (skipping) {
                    skipping = !ev.path("event_id").asText().equals(joinId); // up to and with the bot's join
                    continue;
                }
                each.accept(ev);
            }
        }
    }

    /**
     * Where in {@code events} the bot's own join ends: a room joined just now comes with its recent history
     * (rooms usually let members read what was said before they joined), and none of that is meant for the
     * bot. 0 when the batch holds no join of the bot's.
     */
    private int afterOwnJoin(List<JsonNode> events) {
        int start = 0;
        for (int k = 0; k < events.size(); k++) {
            if (isOwnJoin(events.get(k))) {
                start = k + 1;
            }
        }
        return start;
    }

    private boolean isOwnJoin(JsonNode ev) {
        return ev.path("type").asText().equals("m.room.member") && ev.path("state_key").asText().equals(client.userId())
                && ev.path("content").path("membership").asText().equals("join")
                && !ev.path("unsigned").path("prev_content").path("membership").asText().equals("join"); // not a profile change
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

    /**
     * A real mention: the user ID in the body (clients without HTML highlight it), a pill in the HTML, and
     * {@code m.mentions} (added by {@link #post} for every pill of the bot's own HTML).
     */
    @Override
    public Message mention(Identity who, String lastNick, String text) {
        if (!(who instanceof Identity.MatrixUser u)) {
            return ChatNetwork.super.mention(who, lastNick, text);
        }
        return new Message(u.userId() + ": " + text, "<a href=\"" + PILL + esc(u.userId()) + "\">" + esc(u.userId())
                + "</a>: " + esc(text).replace("\n", "<br>"));
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /** Where a pill links: {@code https://matrix.to/#/@user:server}. */
    static final String PILL = "https://matrix.to/#/";
    private static final java.util.regex.Pattern PILLS = java.util.regex.Pattern.compile(
            "<a href=\"" + java.util.regex.Pattern.quote(PILL) + "(@[^\"<>&\\s]+)\">");

    /** The users the bot's own HTML pills name (user text in it is escaped: only the bot writes a pill). */
    static List<String> pilled(String html) {
        if (html == null) return List.of();
        java.util.regex.Matcher m = PILLS.matcher(html);
        List<String> out = new java.util.ArrayList<>();
        while (m.find()) {
            if (!out.contains(m.group(1))) out.add(m.group(1));
        }
        return out;
    }

    @Override
    public boolean hasThreads() {
        return true;
    }

    @Override
    public String post(String target, Message message, String thread, String key) {
        if (client.accessToken() == null) {
            throw new PostFailed("not logged in to the homeserver (yet)", null);
        }
        if (!idByName.containsKey(target) && !nameById.containsKey(target)) {
            throw new PostFailed("not in " + target + " (yet)", null);
        }
        String roomId = idByName.getOrDefault(target, target);
        Message fitted = EventSize.fit(message); // too large for one event: cut with a marker, not refused and lost
        ObjectNode content = MatrixClient.message("m.notice", fitted.plain(), fitted.html());
        List<String> mentioned = pilled(fitted.html());
        if (!mentioned.isEmpty()) {
            mentioned.forEach(content.putObject("m.mentions").putArray("user_ids")::add);
        }
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
