package opsbot.bot.duty;

import opsbot.config.DutyConfig;
import org.junit.jupiter.api.Test;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

/** The rotation without a store: turns, handoffs, DST, and overrides. */
class RosterTest {
    private static final ZoneId OSLO = ZoneId.of("Europe/Oslo");

    private static Roster weekly() {
        return new Roster(new DutyConfig(DutyConfig.Rotation.WEEKLY, "09:00", DayOfWeek.MONDAY, OSLO,
                LocalDate.of(2026, 1, 5), List.of("alice", "bob", "carol"), null, null, null, null), OSLO);
    }

    private static Roster daily(String handoff) {
        return new Roster(new DutyConfig(DutyConfig.Rotation.DAILY, handoff, null, OSLO,
                LocalDate.of(2026, 1, 5), List.of("alice", "bob"), null, null, null, null), OSLO);
    }

    private static Instant at(String utc) {
        return Instant.parse(utc);
    }

    @Test
    void weeklyTurnsChangeAtTheHandoffInTheDutyZoneAndTheNextInTheListIsSecondary() {
        Roster r = weekly();
        // 2026-01-05 is the anchor: alice's turn begins at 09:00 Oslo (08:00 UTC in winter)
        Roster.Turn before = r.rotation(at("2026-01-05T07:59:59Z"));
        assertEquals(List.of("carol", "alice"), List.of(before.primary(), before.secondary()), "the turn before the anchor");
        assertEquals(at("2026-01-05T08:00:00Z"), before.until());
        Roster.Turn first = r.rotation(at("2026-01-05T08:00:00Z"));
        assertEquals(List.of("alice", "bob"), List.of(first.primary(), first.secondary()));
        assertEquals(at("2026-01-12T08:00:00Z"), first.until());
        Roster.Turn midweek = r.rotation(at("2026-01-15T03:00:00Z"));
        assertEquals(List.of("bob", "carol"), List.of(midweek.primary(), midweek.secondary()));
        Roster.Turn third = r.rotation(at("2026-01-19T08:00:00Z"));
        assertEquals(List.of("carol", "alice"), List.of(third.primary(), third.secondary()), "the list wraps around");
        assertEquals("alice", r.rotation(at("2026-01-26T08:00:00Z")).primary());
    }

    @Test
    void handoffsAcrossDstStayAtNineOsloTime() {
        Roster r = weekly();
        // Clocks go forward on Sunday 2026-03-29: the Monday handoff after it is at 07:00 UTC, the one before at 08:00.
        Roster.Turn t = r.rotation(at("2026-03-28T12:00:00Z"));
        assertEquals(at("2026-03-30T07:00:00Z"), t.until());
        assertEquals(t.primary(), r.rotation(at("2026-03-30T06:59:59Z")).primary(), "not yet handed over at 08:59 CEST");
        assertNotEquals(t.primary(), r.rotation(at("2026-03-30T07:00:00Z")).primary());
        // and back on 2026-10-25
        assertEquals(at("2026-10-26T08:00:00Z"), r.rotation(at("2026-10-24T12:00:00Z")).until());
        // weeks count by dates, not 168-hour blocks: the turn of 2026-03-23 is the 11th week after the anchor
        assertEquals("carol", r.rotation(at("2026-03-23T08:00:00Z")).primary());
        assertEquals("alice", r.rotation(at("2026-03-30T07:00:00Z")).primary());
    }

    @Test
    void aDailyHandoffInsideTheSkippedHourHappensWhenTheClocksChange() {
        Roster r = daily("02:30"); // 02:30 does not exist in Oslo on 2026-03-29
        Instant gap = at("2026-03-29T01:00:00Z"); // 03:00 CEST, the moment clocks jumped
        Roster.Turn before = r.rotation(at("2026-03-29T00:30:00Z"));
        assertEquals(gap.plusSeconds(1800), before.until(), "moved forward with the clocks: 03:30 CEST");
        Roster.Turn after = r.rotation(gap.plusSeconds(1800));
        assertNotEquals(before.primary(), after.primary());
        assertEquals(at("2026-03-30T00:30:00Z"), after.until(), "02:30 CEST the next day");
    }

    @Test
    void anOverrideRulesUntilItsEndThenTheRotationAgain() {
        Roster r = weekly();
        Instant now = at("2026-01-06T10:00:00Z");
        Roster.Override o = new Roster.Override(1, "carol", "alice", now, at("2026-01-06T17:00:00Z"), "give", "alice");
        Roster.Turn t = r.at(now, Optional.of(o));
        assertEquals(List.of("carol", "alice"), List.of(t.primary(), t.secondary()));
        assertEquals(o.until(), t.until());
        assertSame(o, t.override());
        assertEquals("alice", r.at(o.until(), Optional.empty()).primary());
        assertEquals(Optional.of("carol"), r.inRotation(" CAROL "));
        assertEquals(Optional.empty(), r.inRotation("dave"));
        assertEquals("weekly at Monday 09:00 Europe/Oslo", r.describe());
    }
}
