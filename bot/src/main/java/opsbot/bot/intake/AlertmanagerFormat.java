package opsbot.bot.intake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import opsbot.bot.alerts.Event;
import opsbot.config.Severity;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code POST /api/v1/alertmanager}: the Prometheus Alertmanager webhook (version 4). Every alert becomes one
 * event keyed by its fingerprint (or the same hash computed from its labels), so a redelivered group folds
 * into the same alerts; {@code groupKey} is never parsed (newer releases make it an opaque hash).
 *
 * <p>Alertmanager drops what gets a 4xx, so only a payload that is not Alertmanager's shape is refused; text it
 * sends (annotations) is made one line and cut visibly rather than refused, and an {@code instance} that is no host
 * name leaves the host empty.
 */
final class AlertmanagerFormat {
    static final String NAME = "alertmanager";
    private static final String ZERO_TIME = "0001-01-01T00:00:00Z";

    private AlertmanagerFormat() {
    }

    static List<Event> parse(ObjectNode o, String source) throws Rejected {
        String version = Fields.string(o, "version", "version", false);
        if (version != null && !version.equals("4")) {
            throw Rejected.field("version", "version " + Fields.cut(version, 16) + " is not the webhook version 4");
        }
        String groupStatus = Fields.string(o, "status", "status", false);
        JsonNode alerts = o.get("alerts");
        if (alerts == null || alerts.isNull()) {
            throw Rejected.field("alerts", "alerts is missing");
        }
        if (!alerts.isArray()) {
            throw Rejected.field("alerts", "alerts must be an array, not " + Fields.kind(alerts));
        }
        List<Event> out = new ArrayList<>(alerts.size() + 1);
        for (int i = 0; i < alerts.size(); i++) {
            String at = "alerts[" + i + "]";
            JsonNode a = alerts.get(i);
            if (!a.isObject()) {
                throw Rejected.field(at, at + " must be an object, not " + Fields.kind(a));
            }
            out.add(alert((ObjectNode) a, at, groupStatus, source));
        }
        JsonNode truncated = o.get("truncatedAlerts");
        if (truncated != null && !truncated.isNull() && !truncated.canConvertToLong()) {
            throw Rejected.field("truncatedAlerts", "truncatedAlerts must be a number, not " + Fields.kind(truncated));
        }
        long left = truncated == null ? 0 : truncated.asLong();
        if (left > 0) {
            out.add(leftOut(o, left, source));
        }
        return out;
    }

    private static Event alert(ObjectNode a, String at, String groupStatus, String source) throws Rejected {
        Map<String, String> labels = Fields.strings(a, "labels", at + ".labels");
        Map<String, String> annotations = Fields.strings(a, "annotations", at + ".annotations");
        String status = Fields.string(a, "status", at + ".status", false);
        if (status == null) status = groupStatus;
        Event.Action action;
        if ("firing".equals(status)) {
            action = Event.Action.FIRING;
        } else if ("resolved".equals(status)) {
            action = Event.Action.RESOLVED;
        } else {
            throw Rejected.field(at + ".status", at + ".status must be firing or resolved");
        }
        String fingerprint = Fields.string(a, "fingerprint", at + ".fingerprint", false);
        String key = fingerprint != null && !fingerprint.isBlank() && fingerprint.length() <= Fields.KEY
                && fingerprint.chars().noneMatch(Character::isISOControl) ? fingerprint.strip() : Fingerprint.of(labels);
        String summary = firstOf(annotations.get("summary"), annotations.get("description"), labels.get("alertname"));
        summary = summary == null ? "alert " + key : summary;
        StringBuilder details = new StringBuilder();
        String description = annotations.get("description");
        if (description != null && !description.isBlank() && !description.strip().equals(summary.strip())) {
            details.append(description.strip()).append('\n');
        }
        details.append("labels: ");
        new TreeMap<>(labels).forEach((k, v) -> details.append(k).append('=').append(v).append(' '));
        Instant starts = time(a, "startsAt", at);
        Instant ends = time(a, "endsAt", at);
        return new Event(source, NAME, action, severity(labels.get("severity")), key, host(labels),
                Fields.lenientLine(summary, Fields.SUMMARY), Fields.details(details.toString().strip()),
                action == Event.Action.RESOLVED && ends != null ? ends : starts);
    }

    /** One warning for the alerts Alertmanager left out, keyed by receiver and group: a resend folds into it. */
    private static Event leftOut(ObjectNode o, long n, String source) throws Rejected {
        String receiver = Fields.string(o, "receiver", "receiver", false);
        String groupKey = Fields.string(o, "groupKey", "groupKey", false);
        String key = "truncated-" + Fingerprint.of((receiver == null ? "" : receiver) + "\u0000"
                + (groupKey == null ? "" : groupKey));
        String summary = n + " alerts left out by max_alerts" + (receiver == null ? "" : " of receiver "
                + Fields.lenientLine(receiver, 200));
        return new Event(source, NAME, Event.Action.FIRING, Severity.WARNING, key, null,
                Fields.lenientLine(summary, Fields.SUMMARY), "Alertmanager sent only part of the group; see "
                + "Alertmanager itself for the rest", null);
    }

    private static Instant time(ObjectNode a, String name, String at) throws Rejected {
        String t = Fields.string(a, name, at + "." + name, false);
        return t == null || t.isBlank() || t.equals(ZERO_TIME) ? null : Fields.time(t, at + "." + name);
    }

    /** labels.severity in our four words; a label we do not know is a warning (never dropped, never a page). */
    static Severity severity(String label) {
        if (label == null) return Severity.WARNING;
        return switch (label.strip().toLowerCase(Locale.ROOT)) {
            case "critical", "crit", "page", "emergency", "emerg", "alert", "fatal", "disaster" -> Severity.CRITICAL;
            case "error", "err", "high", "major", "severe" -> Severity.ERROR;
            case "info", "information", "informational", "notice", "low", "none", "ok", "debug" -> Severity.INFO;
            default -> Severity.WARNING; // warning, warn, medium, minor, and anything unknown
        };
    }

    /** {@code instance} (or {@code host}) without scheme, path and port: {@code compute4:9100} is compute4. */
    static String host(Map<String, String> labels) {
        String h = labels.get("instance");
        if (h == null) h = labels.get("host");
        if (h == null) return null;
        h = h.strip();
        int scheme = h.indexOf("://");
        if (scheme >= 0) h = h.substring(scheme + 3);
        int slash = h.indexOf('/');
        if (slash >= 0) h = h.substring(0, slash);
        if (h.startsWith("[")) {
            int close = h.indexOf(']');
            h = close < 0 ? h : h.substring(1, close);
        } else if (h.indexOf(':') == h.lastIndexOf(':') && h.indexOf(':') >= 0) {
            h = h.substring(0, h.indexOf(':')); // one colon: host:port; more: a bare IPv6 address
        }
        return Fields.hostOrNull(h);
    }

    private static String firstOf(String... s) {
        for (String x : s) {
            if (x != null && !x.isBlank()) return x;
        }
        return null;
    }
}
