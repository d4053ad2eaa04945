package opsbot.bot.matrix;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A thin Matrix client-server API (v3) client on java.net.http and Jackson: just what a bot needs.
 * Sends carry transaction IDs, so a retried send is applied once; {@code 429} answers are honoured by
 * waiting {@code retry_after_ms} and trying again.
 */
public final class MatrixClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_RATE_LIMIT_RETRIES = 5;

    private final URI base;
    private final HttpClient http;
    private final String txnPrefix = "opsbot-" + Long.toString(System.currentTimeMillis(), 36) + "-";
    private final AtomicLong txnCounter = new AtomicLong();
    private volatile String accessToken;
    private volatile String userId;

    public MatrixClient(URI homeserver) {
        this.base = homeserver;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    /** An error answer from the homeserver: HTTP status and the Matrix {@code errcode}. */
    public static final class MatrixException extends IOException {
        public final int status;
        public final String errcode;

        MatrixException(int status, String errcode, String error) {
            super(status + " " + errcode + ": " + error);
            this.status = status;
            this.errcode = errcode;
        }
    }

    public String userId() {
        return userId;
    }

    public String accessToken() {
        return accessToken;
    }

    /** Password login; keeps the access token and the user ID the server answers with. */
    public void login(String user, String password) throws IOException, InterruptedException {
        ObjectNode body = JSON.createObjectNode().put("type", "m.login.password").put("password", password)
                .put("initial_device_display_name", "opsbot");
        body.putObject("identifier").put("type", "m.id.user").put("user", user);
        JsonNode r = call("POST", "/_matrix/client/v3/login", body, Duration.ofSeconds(30), false);
        accessToken = r.path("access_token").asText();
        userId = r.path("user_id").asText();
    }

    /** Uses an existing access token; asks the server whose it is. */
    public void useToken(String token) throws IOException, InterruptedException {
        accessToken = token;
        try {
            userId = call("GET", "/_matrix/client/v3/account/whoami", null, Duration.ofSeconds(30), true).path("user_id").asText();
        } catch (IOException | InterruptedException | RuntimeException e) {
            accessToken = null; // not known to work: the next attempt starts over
            throw e;
        }
    }

    /** Ends this access token's session on the server (tests; an admin revoking the bot's device). */
    public void logout() throws IOException, InterruptedException {
        call("POST", "/_matrix/client/v3/logout", JSON.createObjectNode(), Duration.ofSeconds(30), true);
        accessToken = null;
    }

    /** Drops the access token, so the next use starts with a login. */
    public void forgetToken() {
        accessToken = null;
    }

    /** Joins (or accepts an invite to) a room by ID or alias; returns the room ID. */
    public String join(String roomIdOrAlias) throws IOException, InterruptedException {
        return call("POST", "/_matrix/client/v3/join/" + enc(roomIdOrAlias), JSON.createObjectNode(),
                Duration.ofSeconds(30), true).path("room_id").asText();
    }

    /** The room an alias ({@code #ops:example.org}) points to. */
    public String resolveAlias(String alias) throws IOException, InterruptedException {
        return call("GET", "/_matrix/client/v3/directory/room/" + enc(alias), null, Duration.ofSeconds(30), true)
                .path("room_id").asText();
    }

    /** Invites a user to a room (tests and setup). */
    public void invite(String roomId, String userId) throws IOException, InterruptedException {
        call("POST", "/_matrix/client/v3/rooms/" + enc(roomId) + "/invite",
                JSON.createObjectNode().put("user_id", userId), Duration.ofSeconds(30), true);
    }

    /** Creates a room (tests and setup), returns its ID. */
    public String createRoom(String name, String... invite) throws IOException, InterruptedException {
        return createRoomWithAlias(name, null, invite);
    }

    /** Creates a room with a local alias ({@code #alias:server}) as well. */
    public String createRoomWithAlias(String name, String aliasLocalpart, String... invite) throws IOException, InterruptedException {
        ObjectNode body = JSON.createObjectNode().put("name", name).put("preset", "private_chat");
        if (aliasLocalpart != null) body.put("room_alias_name", aliasLocalpart);
        var inv = body.putArray("invite");
        for (String u : invite) inv.add(u);
        return call("POST", "/_matrix/client/v3/createRoom", body, Duration.ofSeconds(30), true).path("room_id").asText();
    }

    /**
     * One {@code /sync} long-poll. The HTTP timeout is longer than the server's, so an idle poll ends with
     * the server's empty answer, not a client-side timeout.
     *
     * @param since null for an initial sync
     */
    public JsonNode sync(String since, Duration serverTimeout, String filter) throws IOException, InterruptedException {
        StringBuilder path = new StringBuilder("/_matrix/client/v3/sync?timeout=").append(serverTimeout.toMillis());
        if (since != null) path.append("&since=").append(enc(since));
        if (filter != null) path.append("&filter=").append(enc(filter));
        return call("GET", path.toString(), null, serverTimeout.plusSeconds(30), true);
    }

    /**
     * One page of a room's history, newest first ({@code dir=b}), from {@code from} back towards {@code to}
     * (both may be sync tokens). The answer's {@code end} continues the paging; no {@code end} means done.
     */
    public JsonNode messagesBefore(String roomId, String from, String to, int limit, String filter)
            throws IOException, InterruptedException {
        StringBuilder path = new StringBuilder("/_matrix/client/v3/rooms/").append(enc(roomId))
                .append("/messages?dir=b&limit=").append(limit).append("&from=").append(enc(from));
        if (to != null) path.append("&to=").append(enc(to));
        if (filter != null) path.append("&filter=").append(enc(filter));
        return call("GET", path.toString(), null, Duration.ofSeconds(30), true);
    }

    /**
     * Sends a message (plain body, optional HTML) and returns the event ID.
     *
     * @param msgtype {@code m.notice} for the bot's own output (other bots ignore notices), {@code m.text} for people
     */
    public String send(String roomId, String msgtype, String body, String html) throws IOException, InterruptedException {
        return sendEvent(roomId, "m.room.message", message(msgtype, body, html));
    }

    /** The content of an {@code m.room.message}: plain body, and HTML when given. */
    public static ObjectNode message(String msgtype, String body, String html) {
        ObjectNode content = JSON.createObjectNode().put("msgtype", msgtype).put("body", body);
        if (html != null) content.put("format", "org.matrix.custom.html").put("formatted_body", html);
        return content;
    }

    /**
     * Makes {@code content} a reply in the thread hanging from {@code root}. {@code latest} is the thread's
     * newest event: clients without threads show the message as a plain reply to it ({@code is_falling_back}).
     */
    public static ObjectNode inThread(ObjectNode content, String root, String latest) {
        ObjectNode rel = content.putObject("m.relates_to");
        rel.put("rel_type", "m.thread").put("event_id", root).put("is_falling_back", true);
        rel.putObject("m.in_reply_to").put("event_id", latest == null ? root : latest);
        return content;
    }

    /** Reacts to an event with an emoji ({@code m.reaction}, an {@code m.annotation}). */
    public String react(String roomId, String eventId, String key) throws IOException, InterruptedException {
        ObjectNode content = JSON.createObjectNode();
        content.putObject("m.relates_to").put("rel_type", "m.annotation").put("event_id", eventId).put("key", key);
        return sendEvent(roomId, "m.reaction", content);
    }

    /** Sends any room event with a fresh transaction ID; a retry after 429 reuses it, so it lands once. */
    public String sendEvent(String roomId, String type, ObjectNode content) throws IOException, InterruptedException {
        return sendEvent(roomId, type, content, txnPrefix + txnCounter.incrementAndGet());
    }

    /**
     * Sends with a caller-chosen transaction ID: sending again with the same ID (a retry after a timeout
     * whose request did land) gives back the same event instead of a second message.
     */
    public String sendEvent(String roomId, String type, ObjectNode content, String txn) throws IOException, InterruptedException {
        return call("PUT", "/_matrix/client/v3/rooms/" + enc(roomId) + "/send/" + enc(type) + "/" + enc(txn),
                content, Duration.ofSeconds(30), true).path("event_id").asText();
    }

    private JsonNode call(String method, String path, JsonNode body, Duration timeout, boolean auth)
            throws IOException, InterruptedException {
        for (int attempt = 0; ; attempt++) {
            HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(timeout)
                    .header("Accept", "application/json");
            if (auth) b.header("Authorization", "Bearer " + accessToken);
            if (body != null) {
                b.header("Content-Type", "application/json")
                        .method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
            } else {
                b.method(method, HttpRequest.BodyPublishers.noBody());
            }
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            JsonNode json = r.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(r.body());
            if (r.statusCode() == 429 && attempt < MAX_RATE_LIMIT_RETRIES) {
                long wait = json.path("retry_after_ms").asLong(1000);
                Thread.sleep(Math.min(Math.max(wait, 50), 60_000));
                continue;
            }
            if (r.statusCode() / 100 != 2) {
                throw new MatrixException(r.statusCode(), json.path("errcode").asText("M_UNKNOWN"), json.path("error").asText(""));
            }
            return json;
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
