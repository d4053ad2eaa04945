package opsbot.bot.schedule;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WhenTest {
    private static final ZoneId OSLO = ZoneId.of("Europe/Oslo");

    @Test
    void delaysCountFromNow() {
        Instant now = Instant.parse("2026-11-29T02:00:00Z");
        assertEquals(now.plus(Duration.ofMinutes(90)), When.parse("1h30m", now, OSLO).at());
        assertNull(When.parse("30m", now, OSLO).note());
    }

    @Test
    void aClockTimeIsTheNextTimeTheAskersClockShowsIt() {
        Instant now = Instant.parse("2026-11-29T02:00:00Z"); // 03:00 in Oslo
        assertEquals(Instant.parse("2026-11-29T03:15:00Z"), When.parse("04:15", now, OSLO).at());
        assertEquals(Instant.parse("2026-11-30T01:30:00Z"), When.parse("2:30", now, OSLO).at(), "past today: tomorrow");
        assertEquals(Instant.parse("2026-11-29T04:15:00Z"), When.parse("04:15", now, ZoneOffset.UTC).at());
    }

    @Test
    void aTimeTheClocksSkipIsSaidAndHappensWhenTheyChange() {
        Instant now = Instant.parse("2027-03-27T22:00:00Z"); // Oslo goes 02:00 -> 03:00 at 01:00Z on 2027-03-28
        When.Due d = When.parse("02:30", now, OSLO);
        assertEquals(Instant.parse("2027-03-28T01:00:00Z"), d.at());
        assertTrue(d.note().contains("does not exist on 2027-03-28 in Europe/Oslo"), d.note());
        assertTrue(d.note().contains("03:00"), d.note());
    }

    @Test
    void aTimeTheClocksRepeatIsSaidAndTheFirstIsTaken() {
        Instant now = Instant.parse("2026-10-24T22:00:00Z"); // Oslo goes 03:00 -> 02:00 at 01:00Z on 2026-10-25
        When.Due d = When.parse("02:30", now, OSLO);
        assertEquals(Instant.parse("2026-10-25T00:30:00Z"), d.at());
        assertTrue(d.note().contains("happens twice"), d.note());
        assertTrue(d.note().contains("first, 00:30 UTC"), d.note());
        When.Due second = When.parse("02:30", Instant.parse("2026-10-25T00:45:00Z"), OSLO);
        assertEquals(Instant.parse("2026-10-25T01:30:00Z"), second.at());
        assertTrue(second.note().contains("second"), second.note());
    }

    @Test
    void nonsenseAndExtremesAreOneLineRefusals() {
        Instant now = Instant.parse("2026-11-29T02:00:00Z");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> When.parse("soon", now, OSLO)).getMessage()
                .contains("not a time"));
        assertThrows(IllegalArgumentException.class, () -> When.parse("25:00", now, OSLO));
        assertThrows(IllegalArgumentException.class, () -> When.parse("500ms", now, OSLO));
        assertThrows(IllegalArgumentException.class, () -> When.parse("60d", now, OSLO));
    }

    @Test
    void dueTimesShowTheAskersZoneAndUtc() {
        Instant now = Instant.parse("2026-11-29T01:00:00Z");
        Instant at = Instant.parse("2026-11-29T03:12:00Z");
        assertEquals("04:12 Europe/Oslo, 03:12 UTC", Times.both(at, OSLO, now));
        assertEquals("03:12 UTC", Times.both(at, ZoneId.of("UTC"), now));
        assertEquals("2026-11-30 04:12 Europe/Oslo, 2026-11-30 03:12 UTC",
                Times.both(at.plus(Duration.ofDays(1)), OSLO, now));
    }
}
