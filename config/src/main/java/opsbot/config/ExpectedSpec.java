package opsbot.config;

import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneId;

/**
 * A source that must report: at least once {@code every} interval, or every day {@code by} a clock time in a
 * zone. It is armed from the config at start (a source that never reported at all is missed too), and when
 * it is late by more than {@code grace}, one "missing report" alert is raised for the source (routed like its
 * events, at {@code severity}); its next event clears it.
 *
 * @param source   a declared source's name
 * @param every    the longest time between two events; exactly one of {@code every} and {@code by}
 * @param by       a clock time ({@code "03:15"}) by which an event must have come, every day
 * @param zone     the zone of {@code by}, or null for {@code bot.timezone}
 * @param grace    how late is still fine (default 15m)
 * @param severity the missing report's severity (default error)
 */
public record ExpectedSpec(String source, Duration every, String by, ZoneId zone, Duration grace, Severity severity) {
    public static final Duration DEFAULT_GRACE = Duration.ofMinutes(15);

    public ExpectedSpec {
        grace = grace == null ? DEFAULT_GRACE : grace;
        severity = severity == null ? Severity.ERROR : severity;
    }

    /** The clock time of {@code by}, or null (not given or not a time; the config check says which). */
    public LocalTime byTime() {
        if (by == null) return null;
        try {
            return LocalTime.parse(by.strip().length() == 4 ? "0" + by.strip() : by.strip());
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
    }

    public ZoneId zone(BotConfig bot) {
        return zone != null ? zone : bot.timezone();
    }
}
