package opsbot.bot.intake;

import com.fasterxml.jackson.core.JsonProcessingException;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** An HTTP answer: status, body and its type, extra headers. */
record Reply(int status, String contentType, byte[] body, Map<String, String> headers) {
    static final String JSON_TYPE = "application/json";

    static Reply json(int status, Map<String, ?> body) {
        try {
            return new Reply(status, JSON_TYPE, Fields.JSON.writeValueAsBytes(body), Map.of());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * {@code {"status":"accepted","events":[ids]}}, the answer to nearly every request of a storm, written
     * directly: numbers and fixed words only, so nothing needs escaping (Jackson's writer took a tenth of a request).
     */
    static Reply accepted(int status, java.util.List<Long> ids) {
        StringBuilder b = new StringBuilder(40 + 12 * ids.size()).append("{\"status\":\"accepted\",\"events\":[");
        for (int i = 0; i < ids.size(); i++) {
            if (i > 0) b.append(',');
            b.append(ids.get(i).longValue());
        }
        return new Reply(status, JSON_TYPE, b.append("]}").toString().getBytes(StandardCharsets.US_ASCII), Map.of());
    }

    static Reply text(int status, String contentType, String body) {
        return new Reply(status, contentType, body.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    /** The JSON error for a refusal; PagerDuty's own error fields too on its endpoint, for its clients. */
    static Reply error(Rejected r, boolean pagerDuty) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (pagerDuty) {
            m.put("status", r.status == 400 ? "invalid event" : "error");
            m.put("message", r.getMessage());
            m.put("errors", java.util.List.of(r.getMessage()));
        }
        m.put("error", r.getMessage());
        if (r.field != null) m.put("field", r.field);
        Reply reply = json(r.status, m);
        Map<String, String> h = new LinkedHashMap<>();
        if (r.status == 401) h.put("WWW-Authenticate", "Bearer realm=\"opsbot\"");
        if (r.retryAfter > 0) h.put("Retry-After", Integer.toString(r.retryAfter));
        if (r.status == 413) h.put("Connection", "close"); // the rest of the body is never read
        return reply.with(h);
    }

    Reply with(Map<String, String> more) {
        Map<String, String> h = new LinkedHashMap<>(headers);
        h.putAll(more);
        return new Reply(status, contentType, body, h);
    }
}
