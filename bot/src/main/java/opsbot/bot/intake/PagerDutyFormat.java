package opsbot.bot.intake;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import opsbot.bot.alerts.Event;
import opsbot.config.Severity;

import java.util.HexFormat;
import java.util.UUID;

/**
 * {@code POST /api/v1/pagerduty}: the PagerDuty Events API v2 body, so anything that can page PagerDuty can page
 * opsbot. {@code dedup_key} is the alert's key (generated for a trigger without one, and answered, as PagerDuty
 * does); {@code payload.source} is the host when it looks like one.
 */
final class PagerDutyFormat {
    static final String NAME = "pagerduty";

    /** The event and the dedup_key to answer with. */
    record Parsed(Event event, String dedupKey) {
    }

    private PagerDutyFormat() {
    }

    /** {@code routing_key}, which authenticates the request like a bearer token; null when absent. */
    static String routingKey(ObjectNode o) throws Rejected {
        return Fields.string(o, "routing_key", "routing_key", false);
    }

    static Parsed parse(ObjectNode o, String source) throws Rejected {
        String action = Fields.string(o, "event_action", "event_action", true);
        String dedup = Fields.line(Fields.string(o, "dedup_key", "dedup_key", false), "dedup_key", Fields.KEY);
        switch (action) {
            case "trigger" -> {
                ObjectNode p = Fields.object(o, "payload", "payload", true);
                String summary = Fields.line(Fields.string(p, "summary", "payload.summary", true), "payload.summary",
                        Fields.SUMMARY);
                String from = Fields.line(Fields.string(p, "source", "payload.source", true), "payload.source", 1024);
                String sevWord = Fields.string(p, "severity", "payload.severity", true);
                Severity severity = Severity.of(sevWord);
                if (severity == null || !sevWord.equals(severity.word())) {
                    throw Rejected.field("payload.severity", "payload.severity must be critical, error, warning or info");
                }
                String host = Fields.hostOrNull(from);
                String key = dedup != null ? dedup : generatedKey();
                Event e = new Event(source, NAME, Event.Action.FIRING, severity, key, host, summary,
                        details(p, host == null ? from : null), Fields.time(p, "timestamp", "payload.timestamp"));
                return new Parsed(e, key);
            }
            case "acknowledge", "resolve" -> {
                if (dedup == null) {
                    throw Rejected.field("dedup_key", "dedup_key is missing (" + action + " names the alert by it)");
                }
                // Only the key matters: the alert keeps the severity and summary of its trigger.
                Event.Action a = action.equals("resolve") ? Event.Action.RESOLVED : Event.Action.ACKNOWLEDGED;
                return new Parsed(new Event(source, NAME, a, Severity.INFO, dedup, null,
                        action.equals("resolve") ? "resolved" : "acknowledged", null, null), dedup);
            }
            default -> throw Rejected.field("event_action", "event_action must be trigger, acknowledge or resolve");
        }
    }

    /** PagerDuty's key shape: 32 hex digits. */
    static String generatedKey() {
        UUID u = UUID.randomUUID();
        return HexFormat.of().toHexDigits(u.getMostSignificantBits()) + HexFormat.of().toHexDigits(u.getLeastSignificantBits());
    }

    /** component, group, class, a source that is no host name, and custom_details (as JSON), cut at the bound. */
    private static String details(ObjectNode p, String source) throws Rejected {
        StringBuilder b = new StringBuilder();
        if (source != null) b.append("source: ").append(source).append('\n');
        for (String f : new String[] {"component", "group", "class"}) {
            String v = Fields.string(p, f, "payload." + f, false);
            if (v != null && !v.isBlank()) b.append(f).append(": ").append(v.strip()).append('\n');
        }
        JsonNode custom = p.get("custom_details");
        if (custom != null && !custom.isNull()) {
            try {
                b.append(custom.isTextual() ? custom.textValue() : Fields.JSON.writeValueAsString(custom));
            } catch (JsonProcessingException e) {
                throw Rejected.field("payload.custom_details", "payload.custom_details cannot be read");
            }
        }
        return Fields.details(b.toString().strip());
    }
}
