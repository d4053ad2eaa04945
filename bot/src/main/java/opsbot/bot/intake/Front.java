package opsbot.bot.intake;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import opsbot.bot.alerts.Event;
import opsbot.bot.metrics.Metrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Semaphore;

/**
 * Every request: route, authenticate, bound, parse, store, answer. The checks run cheapest first, and a body is
 * only read once the headers passed (a bearer token, the content type, a Content-Length within the limit), and
 * never past {@code maxBody + 1} bytes. A request is answered 2xx only after its events are committed.
 */
final class Front implements HttpHandler {
    private static final Logger log = LoggerFactory.getLogger(Front.class);
    static final String EVENTS = "/api/v1/events";
    static final String ALERTMANAGER = "/api/v1/alertmanager";
    static final String PAGERDUTY = "/api/v1/pagerduty";
    /** The most of a refused body read (and thrown away) after the answer, so that the client hears it. */
    static final long DRAIN = 16L << 20;

    private final Auth auth;
    private final int maxBody;
    private final EventLog events;
    private final Health health;
    private final Metrics metrics;
    private final Semaphore permits;
    private final Duration storeWait;

    Front(Auth auth, int maxBody, EventLog events, Health health, Metrics metrics, int handlers, Duration storeWait) {
        this.auth = auth;
        this.maxBody = maxBody;
        this.events = events;
        this.health = health;
        this.metrics = metrics;
        this.permits = new Semaphore(handlers);
        this.storeWait = storeWait;
    }

    @Override
    public void handle(HttpExchange x) {
        try (x) {
            Reply r;
            if (!permits.tryAcquire()) {
                r = refuse(Rejected.busy("too many requests at once; try again", 1), false);
            } else {
                try {
                    r = route(x);
                } finally {
                    permits.release();
                }
            }
            send(x, r);
            if (r.status() >= 400) {
                discardRest(x);
            }
        } catch (IOException e) {
            log.debug("intake: {} {}: {}", x.getRequestMethod(), x.getRequestURI().getPath(), e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.error("intake: {} {} failed", x.getRequestMethod(), x.getRequestURI().getPath(), e);
            try {
                send(x, Reply.json(500, Map.of("error", "internal error (logged)")));
            } catch (IOException | RuntimeException ignored) {
                // the answer may have started already; the exchange closes either way
            }
        }
    }

    private Reply route(HttpExchange x) throws IOException, InterruptedException {
        String path = x.getRequestURI().getPath();
        String method = x.getRequestMethod();
        return switch (path) {
            case EVENTS, ALERTMANAGER, PAGERDUTY -> method.equals("POST") ? post(x, path)
                    : refuse(new Rejected(405, "method", method + " is not allowed here; use POST", null, 0), false)
                    .with(Map.of("Allow", "POST"));
            case "/healthz", "/metrics" -> !method.equals("GET")
                    ? refuse(new Rejected(405, "method", method + " is not allowed here; use GET", null, 0), false)
                    .with(Map.of("Allow", "GET"))
                    : path.equals("/healthz") ? health() : Reply.text(200, Metrics.contentType(), metrics.scrape());
            default -> refuse(new Rejected(404, "path", "no such endpoint; the intake takes POST " + EVENTS + ", "
                    + ALERTMANAGER + ", " + PAGERDUTY + ", and GET /healthz, /metrics", null, 0), false);
        };
    }

    private Reply health() throws InterruptedException {
        Health.Report h = health.check();
        return Reply.json(h.ok() ? 200 : 503, h.json());
    }

    private Reply post(HttpExchange x, String path) throws IOException, InterruptedException {
        boolean pd = path.equals(PAGERDUTY);
        try {
            Headers h = x.getRequestHeaders();
            Auth.Claim claim = auth.claim(h);
            String source = switch (claim) {
                case Auth.Bearer b -> auth.token(b.token()); // refused before the body is read
                case Auth.None n when !pd -> auth.verify(n, null);
                default -> null;
            };
            mediaType(h.getFirst("Content-Type"));
            byte[] body = read(x, h);
            if (claim instanceof Auth.Signed) {
                source = auth.verify(claim, body);
                auth.notReplayed(claim);
            }
            ObjectNode o = Fields.parse(body);
            if (source == null) { // PagerDuty without headers: its routing_key is the token
                String key = PagerDutyFormat.routingKey(o);
                if (key == null || key.isBlank()) {
                    throw Rejected.auth("no credentials: routing_key is missing");
                }
                source = auth.token(key);
            }
            List<Event> parsed;
            Map<String, Object> answer = new LinkedHashMap<>();
            int status;
            String format;
            switch (path) {
                case EVENTS -> {
                    parsed = List.of(EventsFormat.parse(o, source));
                    format = EventsFormat.NAME;
                    status = 202;
                }
                case ALERTMANAGER -> {
                    parsed = AlertmanagerFormat.parse(o, source);
                    format = AlertmanagerFormat.NAME;
                    status = 200;
                }
                default -> {
                    PagerDutyFormat.Parsed p = PagerDutyFormat.parse(o, source);
                    parsed = List.of(p.event());
                    format = PagerDutyFormat.NAME;
                    status = 202;
                    answer.put("status", "success");
                    answer.put("message", "Event processed");
                    answer.put("dedup_key", p.dedupKey());
                }
            }
            List<Long> ids = parsed.isEmpty() ? List.of() : store(parsed);
            auth.stored(claim);
            metrics.eventsReceived.labelValues(source, format).inc(parsed.size());
            return pd ? Reply.json(status, answer) : Reply.accepted(status, ids);
        } catch (Rejected r) {
            log.debug("intake: {} refused ({}): {}", path, r.status, r.getMessage());
            return refuse(r, pd);
        }
    }

    private List<Long> store(List<Event> parsed) throws Rejected, InterruptedException {
        EventLog.Pending p = events.offer(parsed);
        if (p == null) {
            throw Rejected.busy("the intake's queue is full; nothing was stored, try again", 1);
        }
        return events.await(p, storeWait);
    }

    private Reply refuse(Rejected r, boolean pd) {
        metrics.eventsRejected.labelValues(r.reason).inc();
        return Reply.error(r, pd);
    }

    /** application/json, with a UTF-8 charset or none; else 415. */
    private static void mediaType(String contentType) throws Rejected {
        if (contentType != null) {
            String[] parts = contentType.split(";");
            boolean json = parts[0].strip().equalsIgnoreCase(Reply.JSON_TYPE);
            boolean utf8 = true;
            for (int i = 1; i < parts.length; i++) {
                String p = parts[i].strip().toLowerCase(Locale.ROOT);
                if (p.startsWith("charset=")) {
                    String cs = p.substring(8).replace("\"", "");
                    utf8 = cs.equals("utf-8") || cs.equals("utf8");
                }
            }
            if (json && utf8) return;
        }
        throw new Rejected(415, "media-type", "Content-Type must be application/json (UTF-8), not "
                + (contentType == null ? "missing" : Fields.cut(contentType, 64)), null, 0);
    }

    /** The body, at most maxBody bytes: a longer one is refused without reading (or buffering) the rest. */
    private byte[] read(HttpExchange x, Headers h) throws Rejected, IOException {
        String length = h.getFirst("Content-Length");
        long declared = -1;
        if (length != null) {
            try {
                declared = Long.parseLong(length.strip());
            } catch (NumberFormatException e) {
                throw new Rejected(400, "size", "Content-Length is not a number", null, 0);
            }
            if (declared > maxBody) throw tooLarge();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(declared < 0 ? 8192 : declared, 65536));
        byte[] buf = new byte[8192];
        InputStream in = x.getRequestBody();
        int total = 0;
        for (int n; (n = in.read(buf, 0, Math.min(buf.length, maxBody + 1 - total))) > 0; ) {
            total += n;
            if (total > maxBody) throw tooLarge();
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }

    private Rejected tooLarge() {
        return new Rejected(413, "size", "the body is larger than " + maxBody + " bytes", null, 0);
    }

    /**
     * After a refusal, what is left of the body is read and thrown away (up to {@link #DRAIN} bytes, never kept)
     * before the connection closes. A client may be sending it already (the JDK server says "100 Continue" to
     * curl before the intake sees the request), and closing on unread data resets the connection: the client
     * would see "connection reset" instead of the 413 or 401. Past the bound the connection is just closed.
     */
    private static void discardRest(HttpExchange x) {
        byte[] buf = new byte[16384];
        try {
            InputStream in = x.getRequestBody();
            long left = DRAIN;
            for (int n; left > 0 && (n = in.read(buf, 0, (int) Math.min(buf.length, left))) > 0; ) {
                left -= n;
            }
        } catch (IOException e) {
            // the client went away: nothing to tell it
        }
    }

    private static void send(HttpExchange x, Reply r) throws IOException {
        Headers h = x.getResponseHeaders();
        h.set("Content-Type", r.contentType());
        r.headers().forEach(h::set);
        x.sendResponseHeaders(r.status(), r.body().length == 0 ? -1 : r.body().length);
        if (r.body().length > 0) {
            // Flushed, not closed: closing the answer would also close (and cut off) the request body, which
            // discardRest still reads; the exchange's close at the end of handle() closes both.
            OutputStream out = x.getResponseBody();
            out.write(r.body());
            out.flush();
        }
    }
}
