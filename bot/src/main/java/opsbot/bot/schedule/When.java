package opsbot.bot.schedule;

import opsbot.config.Durations;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.zone.ZoneOffsetTransition;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * When something typed in chat should happen: a delay ({@code 30m}, {@code 1h30m}) or a clock time in the
 * asker's zone ({@code 04:15}, {@code 4:15}: the next time the clock shows it). A clock time that does not
 * exist (the hour skipped when clocks go forward) or exists twice (the hour repeated when they go back) is
 * said so, with what will happen, in {@link Due#note}.
 */
public final class When {
    /** The longest delay a follow-up may have: further ahead it belongs in a calendar, not a chat bot. */
    public static final Duration MAX_AHEAD = Duration.ofDays(30);
    private static final Pattern CLOCK = Pattern.compile("([01]?\\d|2[0-3])[:.]([0-5]\\d)");

    private When() {
    }

    /** Parsed: the instant, and a sentence about a DST change when there is one (else null). */
    public record Due(Instant at, String note) {
    }

    /**
     * Parses {@code word} at {@code now} in {@code zone}.
     *
     * @throws IllegalArgumentException with a one-line reason for chat
     */
    public static Due parse(String word, Instant now, ZoneId zone) {
        String w = word.strip();
        Matcher m = CLOCK.matcher(w);
        if (m.matches()) {
            return clock(LocalTime.of(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))), now, zone);
        }
        Duration d;
        try {
            d = Durations.parse(w);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("\"" + shown(w) + "\" is not a time: say a delay (30m, 1h30m) or a clock time (04:15)");
        }
        if (d.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("too soon: " + w + " (at least 1s)");
        }
        if (d.compareTo(MAX_AHEAD) > 0) {
            throw new IllegalArgumentException("too far ahead: " + w + " (at most " + Durations.format(MAX_AHEAD) + ")");
        }
        return new Due(now.plus(d), null);
    }

    /** The next time the clock in {@code zone} shows {@code t}, after {@code now}. */
    static Due clock(LocalTime t, Instant now, ZoneId zone) {
        LocalDate day = now.atZone(zone).toLocalDate();
        for (int i = 0; i < 3; i++, day = day.plusDays(1)) {
            LocalDateTime local = LocalDateTime.of(day, t);
            List<ZoneOffset> offsets = zone.getRules().getValidOffsets(local);
            if (offsets.isEmpty()) { // skipped: clocks went forward over it
                ZoneOffsetTransition gap = zone.getRules().getTransition(local);
                Instant at = gap.getInstant();
                if (!at.isAfter(now)) {
                    continue;
                }
                return new Due(at, Times.clock(t) + " does not exist on " + day + " in " + zone.getId()
                        + " (clocks go from " + Times.clock(gap.getDateTimeBefore().toLocalTime()) + " to "
                        + Times.clock(gap.getDateTimeAfter().toLocalTime()) + "); it will be at "
                        + Times.clock(gap.getDateTimeAfter().toLocalTime()) + ", when the clocks change");
            }
            Instant first = ZonedDateTime.ofLocal(local, zone, offsets.get(0)).toInstant();
            if (offsets.size() == 2) { // repeated: clocks went back over it
                Instant earlier = first;
                Instant later = ZonedDateTime.ofLocal(local, zone, offsets.get(1)).toInstant();
                if (earlier.isAfter(now) || later.isAfter(now)) {
                    Instant at = earlier.isAfter(now) ? earlier : later;
                    return new Due(at, Times.clock(t) + " happens twice on " + day + " in " + zone.getId()
                            + " (clocks go back); it will be at the " + (at.equals(earlier) ? "first" : "second")
                            + ", " + Times.clock(at.atZone(ZoneOffset.UTC).toLocalTime()) + " UTC");
                }
                continue;
            }
            if (first.isAfter(now)) {
                return new Due(first, null);
            }
        }
        throw new IllegalStateException("no next " + t + " in " + zone); // unreachable: every day has its times
    }

    private static String shown(String w) {
        return w.length() > 20 ? w.substring(0, 20) + "…" : w;
    }
}
