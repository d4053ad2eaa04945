package opsbot.bot.alerts;

import opsbot.config.Severity;

import java.time.Instant;

/**
 * One report as it came in, whatever its wire format: a fact, stored append-only before the sender hears yes.
 * Alerts (state: open, acknowledged, resolved) are folded from events.
 *
 * @param source  the declared source that posted it (authenticated, never taken from the body alone)
 * @param format  the wire format: {@code events}, {@code alertmanager}, {@code pagerduty}, or {@code expected}
 *                (the bot's own missing-report alert)
 * @param action  what the event says about its alert
 * @param key     names the alert within the source: the sender's {@code key}, Alertmanager's fingerprint,
 *                PagerDuty's {@code dedup_key}; never null (the intake derives one: source, host and summary)
 * @param host    the host it is about, or null
 * @param details more text (bounded by the intake), or null
 * @param time    when it happened by the sender's clock, or null
 */
public record Event(String source, String format, Action action, Severity severity, String key, String host,
                    String summary, String details, Instant time) {
    public enum Action { FIRING, ACKNOWLEDGED, RESOLVED }

    public Event {
        if (source == null || format == null || action == null || severity == null || key == null || summary == null) {
            throw new IllegalArgumentException("event without source, format, action, severity, key or summary");
        }
    }
}
