package opsbot.bot.schedule;

import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

/** Due times as people read them: in their own zone and in UTC, {@code 04:12 Europe/Oslo, 02:12 UTC}. */
public final class Times {
    private static final DateTimeFormatter HM = DateTimeFormatter.ofPattern("HH:mm");
    private static final DateTimeFormatter DAY_HM = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm");

    private Times() {
    }

    /**
     * {@code at} in {@code zone} and in UTC; with the date where it is not {@code now}'s date in that zone
     * (a follow-up tomorrow, or one missed yesterday). Only UTC once when the zone is UTC.
     */
    public static String both(Instant at, ZoneId zone, Instant now) {
        String local = one(at, zone, now) + " " + zone.getId();
        if (zone.getRules().getOffset(at).equals(ZoneOffset.UTC) && isUtc(zone)) {
            return one(at, ZoneOffset.UTC, now) + " UTC";
        }
        return local + ", " + one(at, ZoneOffset.UTC, now) + " UTC";
    }

    private static boolean isUtc(ZoneId zone) {
        return zone.normalized().equals(ZoneOffset.UTC);
    }

    private static String one(Instant at, ZoneId zone, Instant now) {
        ZonedDateTime z = at.atZone(zone);
        return (z.toLocalDate().equals(now.atZone(zone).toLocalDate()) ? HM : DAY_HM).format(z);
    }

    static String clock(LocalTime t) {
        return HM.format(t);
    }
}
