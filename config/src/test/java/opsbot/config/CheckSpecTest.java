package opsbot.config;

import org.junit.jupiter.api.Test;
import org.quartz.CronExpression;

import java.text.ParseException;
import java.time.DayOfWeek;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Date;
import java.util.TimeZone;

import static org.junit.jupiter.api.Assertions.*;

class CheckSpecTest {
    @Test
    void unixCronBecomesQuartzCron() {
        assertEquals("0 */10 * * * ?", CheckSpec.quartzCron("*/10 * * * *"));
        assertEquals("0 30 4 ? * MON-FRI", CheckSpec.quartzCron(" 30  4 * * 1-5 "));
        assertEquals("0 0 0 1 * ?", CheckSpec.quartzCron("0 0 1 * *"));
        assertEquals("0 0 12 ? * SUN,SAT,SUN", CheckSpec.quartzCron("0 12 * * 0,6,7"));
        assertEquals("0 0 12 ? * */2", CheckSpec.quartzCron("0 12 * * */2"), "a step stays a number");
        assertEquals("0 0 12 ? * mon-fri", CheckSpec.quartzCron("0 12 * * mon-fri"), "Quartz reads names in any case");
        assertEquals("0 0 0 * * ?", CheckSpec.quartzCron("@daily"));
        assertEquals("0 */10 * * * ?", CheckSpec.quartzCron("0 */10 * * * ?"), "Quartz's own form stays");
        assertEquals("0 0 12 * * ? 2030", CheckSpec.quartzCron("0 0 12 * * ? 2030"));
    }

    /** Unix counts Sunday as 0 (and 7), Quartz as 1: the conversion must keep the days, not the numbers. */
    @Test
    void weekdaysMeanTheSameDays() throws ParseException {
        assertDays("0 12 * * 1-5", DayOfWeek.MONDAY, DayOfWeek.TUESDAY, DayOfWeek.WEDNESDAY, DayOfWeek.THURSDAY, DayOfWeek.FRIDAY);
        assertDays("0 12 * * 0", DayOfWeek.SUNDAY);
        assertDays("0 12 * * 5-7", DayOfWeek.FRIDAY, DayOfWeek.SATURDAY, DayOfWeek.SUNDAY);
        assertDays("0 12 * * 6,0", DayOfWeek.SATURDAY, DayOfWeek.SUNDAY);
    }

    private static void assertDays(String unix, DayOfWeek... expected) throws ParseException {
        CronExpression c = new CronExpression(CheckSpec.quartzCron(unix));
        ZoneId utc = ZoneId.of("UTC");
        c.setTimeZone(TimeZone.getTimeZone(utc));
        java.util.Set<DayOfWeek> seen = java.util.EnumSet.noneOf(DayOfWeek.class);
        Date t = Date.from(ZonedDateTime.of(2030, 1, 1, 0, 0, 0, 0, utc).toInstant());
        for (int i = 0; i < 14; i++) {
            t = c.getNextValidTimeAfter(t);
            seen.add(t.toInstant().atZone(utc).getDayOfWeek());
        }
        assertEquals(java.util.EnumSet.copyOf(java.util.List.of(expected)), seen, unix);
    }
}
