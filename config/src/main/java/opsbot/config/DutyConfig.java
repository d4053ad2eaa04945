package opsbot.config;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.List;

/**
 * Who is on duty: {@code people} take turns, one period each (a day, or a week from {@code handoff-day}),
 * handing over at {@code handoff} in {@code zone}. The one whose turn it is is primary, the next in the list
 * secondary. {@code !duty take} and {@code !duty give} override this until a time or the next handoff.
 *
 * <p>Alerts at or above {@code pageAt} mention the primary. Unacknowledged, they mention the primary again
 * after {@code repeatAfter}, the secondary after {@code secondaryAfter}, and everyone in the rotation after
 * {@code everyoneAfter} (all counted from when the alert fired).
 *
 * <p>{@code pagesPerMinute}: page lines one channel or room gets in any 60 seconds (default 3); the steps that
 * fire past it are summed up in one line when the minute has room, so a storm of alerts never floods.
 *
 * @param start the date of a handoff at which the first person's turn began (anchor of the rotation)
 */
public record DutyConfig(Rotation rotation, String handoff, DayOfWeek handoffDay, ZoneId zone, LocalDate start,
                         List<String> people, Severity pageAt, Duration repeatAfter, Duration secondaryAfter,
                         Duration everyoneAfter, Integer pagesPerMinute) {
    public enum Rotation { DAILY, WEEKLY }

    /** Page lines per channel or room in any 60 seconds, unless the config says. */
    public static final int PAGES_PER_MINUTE = 3;

    /** Without {@code pages-per-minute} (its default). */
    public DutyConfig(Rotation rotation, String handoff, DayOfWeek handoffDay, ZoneId zone, LocalDate start,
                      List<String> people, Severity pageAt, Duration repeatAfter, Duration secondaryAfter,
                      Duration everyoneAfter) {
        this(rotation, handoff, handoffDay, zone, start, people, pageAt, repeatAfter, secondaryAfter, everyoneAfter, null);
    }

    public DutyConfig {
        rotation = rotation == null ? Rotation.WEEKLY : rotation;
        handoff = handoff == null ? "09:00" : handoff;
        handoffDay = handoffDay == null ? DayOfWeek.MONDAY : handoffDay;
        start = start == null ? LocalDate.of(2026, 1, 5) : start; // a Monday
        people = people == null ? List.of() : List.copyOf(people);
        pageAt = pageAt == null ? Severity.CRITICAL : pageAt;
        repeatAfter = repeatAfter == null ? Duration.ofMinutes(10) : repeatAfter;
        secondaryAfter = secondaryAfter == null ? Duration.ofMinutes(20) : secondaryAfter;
        everyoneAfter = everyoneAfter == null ? Duration.ofMinutes(30) : everyoneAfter;
        pagesPerMinute = pagesPerMinute == null ? PAGES_PER_MINUTE : pagesPerMinute;
    }

    /** The clock time of {@link #handoff}, or null when it is not one (the config check says so). */
    public LocalTime handoffTime() {
        try {
            String h = handoff.strip();
            return LocalTime.parse(h.length() == 4 ? "0" + h : h);
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
    }

    public ZoneId zone(BotConfig bot) {
        return zone != null ? zone : bot.timezone();
    }

    /** The handoff that began the turn running at {@code at}. */
    public ZonedDateTime turnStart(ZonedDateTime at) {
        LocalTime t = handoffTime();
        ZonedDateTime s = at.toLocalDate().atTime(t).atZone(at.getZone());
        if (s.isAfter(at)) s = s.minusDays(1);
        if (rotation == Rotation.WEEKLY) {
            while (s.getDayOfWeek() != handoffDay) s = s.minusDays(1);
        }
        return s.toLocalDate().atTime(t).atZone(at.getZone()); // again from the date: DST-safe
    }

    /** Index into {@link #people} of the primary in the turn that began at {@code turnStart}. */
    public int turnIndex(ZonedDateTime turnStart) {
        long days = java.time.temporal.ChronoUnit.DAYS.between(start, turnStart.toLocalDate());
        long turns = rotation == Rotation.WEEKLY ? Math.floorDiv(days, 7) : days;
        return (int) Math.floorMod(turns, people.size());
    }
}
