package opsbot.bot.intake;

import com.fasterxml.jackson.databind.node.ObjectNode;
import opsbot.bot.alerts.Event;
import opsbot.config.Severity;

import java.util.Iterator;
import java.util.Set;

/** {@code POST /api/v1/events}: {@code {source, severity, host?, summary, details?, key?, time?}}, our own format. */
final class EventsFormat {
    static final String NAME = "events";
    private static final Set<String> FIELDS = Set.of("source", "severity", "host", "summary", "details", "key", "time");

    private EventsFormat() {
    }

    /** @param source the authenticated source, which the body's {@code source} must name */
    static Event parse(ObjectNode o, String source) throws Rejected {
        // Our own format, so strict: a misspelt optional field ("hots") would otherwise vanish unnoticed.
        for (Iterator<String> names = o.fieldNames(); names.hasNext(); ) {
            String n = names.next();
            if (!FIELDS.contains(n)) {
                throw Rejected.field(Fields.cut(n, 64), "unknown field " + Fields.cut(n, 64) + "; the fields are "
                        + "source, severity, host, summary, details, key, time");
            }
        }
        String claimed = Fields.line(Fields.string(o, "source", "source", true), "source", 64);
        if (!claimed.equals(source)) {
            throw new Rejected(403, "source", "source " + claimed + " is not the source this token or signature"
                    + " belongs to (" + source + ")", "source", 0);
        }
        Severity severity = severity(Fields.string(o, "severity", "severity", true), "severity");
        String host = Fields.host(Fields.string(o, "host", "host", false), "host");
        String summary = Fields.line(Fields.string(o, "summary", "summary", true), "summary", Fields.SUMMARY);
        String details = Fields.details(Fields.string(o, "details", "details", false));
        String key = Fields.line(Fields.string(o, "key", "key", false), "key", Fields.KEY);
        return new Event(source, NAME, Event.Action.FIRING, severity, key != null ? key : derivedKey(host, summary),
                host, summary, details, Fields.time(o, "time", "time"));
    }

    /** Without a key, the same host and summary are the same alert (16 hex digits, FNV-1a). */
    static String derivedKey(String host, String summary) {
        return Fingerprint.of((host == null ? "" : host) + "\u0000" + summary);
    }

    static Severity severity(String word, String path) throws Rejected {
        Severity s = Severity.of(word);
        if (s == null) {
            throw Rejected.field(path, path + " must be info, warning, error or critical, not "
                    + Fields.cut(word.strip(), 32));
        }
        return s;
    }
}
