package opsbot.config;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class CheckConfigTest {
    @TempDir
    Path dir;
    private LoadFixture f;

    @BeforeEach
    void setUp() {
        f = new LoadFixture(dir);
    }

    /** Lines 19-23. */
    private static final String CHECK = LoadFixture.BASE + """
            checks:
              - name: spamassassin
                run: "salint @compute"
                every: 10m
                report: ["#OPS"]
            """;

    @Test
    void noPersonMayBeNamedLikeTheBotsOwnCheckIdentities() throws IOException {
        String r = f.only(LoadFixture.BASE.replace("{name: alice,", "{name: \"check:spamassassin\","));
        assertTrue(r.startsWith("2: person name check:spamassassin contains ':'"), r);
    }

    @Test
    void aCheckLoadsWithDefaults() throws IOException {
        OpsbotConfig c = f.loaded(CHECK);
        CheckSpec s = c.checks().get(0);
        assertEquals(new CheckSpec("spamassassin", "", "salint @compute", Duration.ofMinutes(10), null, null,
                List.of("#OPS"), 2), s);
        assertNull(s.quartzCron());
        assertEquals(ZoneId.of("UTC"), s.zone(c.bot()));
        CheckSpec cron = f.loaded(CHECK.replace("every: 10m", "cron: \"30 4 * * 1-5\"\n    zone: Europe/Oslo\n    fail-after: 3"))
                .checks().get(0);
        assertEquals("0 30 4 ? * MON-FRI", cron.quartzCron());
        assertEquals(ZoneId.of("Europe/Oslo"), cron.zone(c.bot()));
        assertEquals(3, cron.failAfter());
        f.loaded(CHECK.replace("every: 10m", "cron: \"0 */10 * * * ?\"")); // Quartz's own form, with seconds
    }

    @Test
    void theProblemsReportSaysFileLineAndHint() throws IOException {
        String report = f.invalid(CHECK.replace("salint @compute", "srv @compute stop")).report();
        assertTrue(report.contains("opsbot.yml:21: check spamassassin runs srv, a change command: checks only read"
                + " [/checks/0/run]\n    hint: a check runs unasked and over and over; declare a kind: read command for it"), report);
    }

    @Test
    void aCheckRunsADeclaredReadCommandOnKnownGroups() throws IOException {
        assertEquals("21: check spamassassin runs lint, which is not a declared command"
                        + " | the line starts with a command's name or alias, as typed in chat: srv {host} stop",
                f.only(CHECK.replace("salint @compute", "lint @compute")));
        assertEquals("21: check spamassassin runs hosts, a built-in command | a step runs a declared command (under commands)",
                f.only(CHECK.replace("salint @compute", "hosts @compute")));
        assertEquals("21: no host is in group computer | add the group to some hosts, or fix the name",
                f.only(CHECK.replace("salint @compute", "salint c1,@computer")));
        assertEquals("21: check spamassassin has a placeholder or brace: checks have no parameters"
                        + " | name the hosts: run: \"salint @compute\"",
                f.only(CHECK.replace("salint @compute", "salint {host}")));
        assertEquals("20: check spamassassin has no run line | a read command as typed in chat, e.g. run: \"salint @compute\"",
                f.only(CHECK.replace("    run: \"salint @compute\"\n", "")));
    }

    @Test
    void aCheckHasExactlyOneScheduleAndNotTooOften() throws IOException {
        assertEquals("20: check spamassassin needs exactly one of every and cron | every: 10m, or cron: \"*/10 * * * *\"",
                f.only(CHECK.replace("every: 10m", "every: 10m\n    cron: \"* * * * *\"")));
        assertEquals("20: check spamassassin needs exactly one of every and cron | every: 10m, or cron: \"*/10 * * * *\"",
                f.only(CHECK.replace("    every: 10m\n", "")));
        assertEquals("22: every of 5s is below 10s | a check logs into hosts each time; e.g. every: 10m",
                f.only(CHECK.replace("every: 10m", "every: 5s")));
        String hint = "5 fields: minute hour day month weekday, e.g. \"*/10 * * * *\" or \"30 4 * * mon-fri\";"
                + " or Quartz's 6-7 fields, starting with seconds";
        assertEquals("22: bad cron 61 * * * *: Minute and Second values must be between 0 and 59 | " + hint,
                f.only(CHECK.replace("every: 10m", "cron: \"61 * * * *\"")));
        assertTrue(f.only(CHECK.replace("every: 10m", "cron: \"every ten minutes\"")).startsWith("22: bad cron every ten minutes: "));
        assertEquals("22: cron 0 0 30 2 * never fires | " + hint, f.only(CHECK.replace("every: 10m", "cron: \"0 0 30 2 *\"")));
        assertEquals("22: cron * * * * * ? fires more often than every 10s"
                        + " | a check logs into hosts each time; e.g. \"*/10 * * * *\"",
                f.only(CHECK.replace("every: 10m", "cron: \"* * * * * ?\"")));
        assertEquals("22: cron 0 4 1 * mon restricts both day of month and day of week, which cron reads as either"
                        + " and Quartz cannot | keep one of the two *, or make two checks",
                f.only(CHECK.replace("every: 10m", "cron: \"0 4 1 * mon\"")));
    }

    @Test
    void aCheckReportsToChannelsTheBotJoins() throws IOException {
        assertEquals("23: check spamassassin reports to #elsewhere, which the bot does not join"
                        + " | name a channel of irc.channels or a room of matrix.rooms",
                f.only(CHECK.replace("[\"#OPS\"]", "[\"#OPS\", \"#elsewhere\"]")));
        assertEquals("23: check spamassassin reports nowhere | report: [\"#ops\"] (a channel or room the bot joins)",
                f.only(CHECK.replace("[\"#OPS\"]", "[]")));
    }

    @Test
    void namesAndFailAfter() throws IOException {
        String two = CHECK + "  - {name: spamassassin, run: \"salint c4\", every: 1h, report: [\"#ops\"]}\n";
        assertEquals("24: duplicate check spamassassin | each check once", f.only(two));
        assertEquals("20: bad check name: Spam Assassin | lower-case letters, digits, - and _",
                f.only(CHECK.replace("name: spamassassin", "name: Spam Assassin")));
        assertEquals("24: fail-after must be 1..100 | 2: one blip is not a page",
                f.only(CHECK + "    fail-after: 0\n"));
        assertEquals("24: fail-after must be 1..100 | 2: one blip is not a page",
                f.only(CHECK + "    fail-after: 101\n"));
    }

    @Test
    void aZoneOnAnIntervalCheckIsAWarning() throws IOException {
        ConfigLoader.Result.Loaded l = assertInstanceOf(ConfigLoader.Result.Loaded.class,
                f.load(CHECK + "    zone: Europe/Oslo\n"));
        assertEquals(List.of(dir.resolve("opsbot.yml") + ":24: warning: zone only applies to cron, not to every"
                + " [/checks/0/zone]\n    hint: remove zone"), l.warnings());
    }
}
