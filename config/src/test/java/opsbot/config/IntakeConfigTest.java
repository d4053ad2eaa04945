package opsbot.config;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class IntakeConfigTest {
    @TempDir
    Path dir;
    private LoadFixture f;

    @BeforeEach
    void setUp() {
        f = new LoadFixture(dir);
    }

    /** Lines 19-33. */
    private static final String INTAKE = LoadFixture.BASE + """
            intake:
              sources:
                - {name: backup, token: 0123456789abcdef0123}
                - {name: alertmanager, hmac-secret: 0123456789abcdef0123456789abcdef}
              routes:
                - {source: "backup", to: ["#ops"], min-severity: warning}
                - {source: "*", host: "imap*", to: ["#OPS"], lines-per-minute: 5}
              expected:
                - {source: backup, by: "3:15", zone: Europe/Oslo, grace: 30m}
                - {source: alertmanager, every: 24h}
            duty:
              people: [alice]
              rotation: daily
              handoff: "08:30"
              zone: Asia/Tokyo
              start: 2026-11-02
              handoff-day: Tuesday
            """;

    @Test
    void intakeAndDutyLoadWithDefaults() throws IOException {
        OpsbotConfig c = f.loaded(INTAKE);
        IntakeConfig in = c.intake();
        assertEquals("127.0.0.1", in.host());
        assertEquals(8089, in.port());
        assertEquals(1024 * 1024, in.maxBody());
        assertEquals(Severity.ERROR, in.incidentAt());
        assertEquals(Severity.CRITICAL, in.openIncidentAt());
        assertEquals(Duration.ofHours(1), in.dedupWindow());
        assertEquals(new RouteSpec("backup", "*", Severity.WARNING, List.of("#ops"), 10), in.routes().get(0));
        assertEquals(LocalTime.of(3, 15), in.expected().get(0).byTime());
        assertEquals(Duration.ofMinutes(15), in.expected().get(1).grace());
        assertEquals("0123456789abcdef0123", in.source("backup").token());
        assertFalse(in.source("backup").toString().contains("0123"), "a source prints no secret");
        DutyConfig d = c.duty();
        assertEquals(DutyConfig.Rotation.DAILY, d.rotation());
        assertEquals(LocalTime.of(8, 30), d.handoffTime());
        assertEquals(Severity.CRITICAL, d.pageAt());
        assertEquals(LocalDate.of(2026, 11, 2), d.start());
        assertEquals(DayOfWeek.TUESDAY, d.handoffDay());
        assertEquals(List.of(Duration.ofMinutes(10), Duration.ofMinutes(20), Duration.ofMinutes(30)),
                List.of(d.repeatAfter(), d.secondaryAfter(), d.everyoneAfter()));
        assertEquals(DutyConfig.PAGES_PER_MINUTE, d.pagesPerMinute());
    }

    @Test
    void pagesPerMinuteIsOneToTwenty() throws IOException {
        String with = INTAKE.replace("handoff-day: Tuesday\n", "handoff-day: Tuesday\n  pages-per-minute: PPM\n");
        assertEquals(5, f.loaded(with.replace("PPM", "5")).duty().pagesPerMinute());
        for (String bad : List.of("0", "21")) {
            String report = f.invalid(with.replace("PPM", bad)).report();
            assertTrue(report.contains("pages-per-minute must be 1..20"), report);
        }
    }

    @Test
    void routesMatchSourceHostAndSeverityByGlob() {
        RouteSpec r = new RouteSpec("back*", "imap?", Severity.ERROR, List.of("#ops"), null);
        assertTrue(r.matches("backup", "IMAP3", Severity.CRITICAL));
        assertFalse(r.matches("backup", "imap3", Severity.WARNING), "below the route's severity");
        assertFalse(r.matches("backup", "imap33", Severity.ERROR), "? is one character");
        assertFalse(r.matches("backup", null, Severity.ERROR), "a host pattern needs a host");
        assertFalse(r.matches("audit", "imap3", Severity.ERROR));
        assertTrue(new RouteSpec(null, null, null, List.of("#ops"), null).matches("audit", null, Severity.INFO));
    }

    @Test
    void everyMistakeIsSaidWithItsLine() throws IOException {
        String bad = INTAKE
                .replace("{name: backup, token: 0123456789abcdef0123}", "{name: backup, token: short}")
                .replace("hmac-secret: 0123456789abcdef0123456789abcdef", "token: short2")
                .replace("to: [\"#OPS\"], lines-per-minute: 5", "to: [\"#nowhere\"], lines-per-minute: 500")
                .replace("by: \"3:15\"", "by: \"25:00\"")
                .replace("people: [alice]", "people: [alice, mallory]")
                .replace("start: 2026-11-02", "start: 2026-13-02");
        String report = f.invalid(bad).report();
        for (String want : List.of(
                "opsbot.yml:21: the token of source backup must have at least 16 characters",
                "opsbot.yml:22: the token of source alertmanager must have at least 16 characters",
                "opsbot.yml:25: route says to #nowhere, which the bot does not join",
                "opsbot.yml:25: lines-per-minute must be 1..60",
                "opsbot.yml:27: by must be a clock time like \"03:15\", not 25:00",
                "opsbot.yml:30: mallory is not in people",
                "opsbot.yml:34: bad value '2026-13-02'")) {
            assertTrue(report.contains(want), want + " in\n" + report);
        }
    }

    @Test
    void aSharedTokenAnUndeclaredSourceAndAPublicListenAreCaught() throws IOException {
        String bad = INTAKE.replace("hmac-secret: 0123456789abcdef0123456789abcdef", "token: 0123456789abcdef0123")
                .replace("source: \"backup\", to", "source: \"bakup\", to")
                .replace("intake:\n", "intake:\n  listen: 0.0.0.0:8089\n");
        ConfigLoader.Result.Invalid r = f.invalid(bad);
        String report = r.report();
        assertTrue(report.contains("source alertmanager has the token of another source"), report);
        assertTrue(report.contains("route for source bakup, which is not declared"), report);
        assertTrue(report.contains("warning: the intake listens on 0.0.0.0, not loopback"), report);
    }

    @Test
    void portZeroMeansAnyFreePortAndANegativeOneIsRefused() throws IOException {
        assertEquals(0, f.loaded(INTAKE.replace("intake:\n", "intake:\n  listen: 127.0.0.1:0\n")).intake().port());
        assertTrue(f.invalid(INTAKE.replace("intake:\n", "intake:\n  listen: 127.0.0.1:-1\n")).report()
                .contains("listen must be host:port"));
    }

    @Test
    void theRotationHandsOverAtItsTimeInItsZone() {
        ZoneId oslo = ZoneId.of("Europe/Oslo");
        DutyConfig weekly = new DutyConfig(null, "09:00", DayOfWeek.MONDAY, oslo, LocalDate.of(2026, 11, 2),
                List.of("alice", "bob", "carol"), null, null, null, null);
        ZonedDateTime sundayNight = ZonedDateTime.of(2026, 11, 29, 23, 0, 0, 0, oslo);
        ZonedDateTime start = weekly.turnStart(sundayNight);
        assertEquals(ZonedDateTime.of(2026, 11, 23, 9, 0, 0, 0, oslo), start);
        assertEquals(0, weekly.turnIndex(ZonedDateTime.of(2026, 11, 2, 9, 0, 0, 0, oslo)));
        assertEquals(3 % 3, weekly.turnIndex(start), "the fourth week since the anchor is alice's again");
        ZonedDateTime mondayTen = ZonedDateTime.of(2026, 11, 30, 10, 0, 0, 0, oslo);
        assertEquals(1, weekly.turnIndex(weekly.turnStart(mondayTen)), "handed to bob at 09:00 Monday");
        DutyConfig daily = new DutyConfig(DutyConfig.Rotation.DAILY, "09:00", null, oslo, LocalDate.of(2026, 11, 2),
                List.of("alice", "bob"), null, null, null, null);
        assertEquals(ZonedDateTime.of(2026, 11, 29, 9, 0, 0, 0, oslo), daily.turnStart(sundayNight));
        assertEquals(27 % 2, daily.turnIndex(daily.turnStart(sundayNight)));
    }
}
