package opsbot.config;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class RunbookConfigTest {
    @TempDir
    Path dir;
    private LoadFixture f;

    @BeforeEach
    void setUp() {
        f = new LoadFixture(dir);
    }

    /** Lines 19-35. */
    private static final String RUNBOOK = LoadFixture.BASE + """
            runbooks:
              - name: reinstall
                aliases: [ri]
                params:
                  - {name: host, type: host}
                steps:
                  - run: "fo -a {host}"
                  - run: "srv {host} stop"
                    continue-on-failure: true
                  - run: "reboot {host}"
                    expect-disconnect: true
                  - until: ssh-reachable
                    on: "{host}"
                  - wait: 30m
                  - ask: "Is {host} back in the pool? ({host.pair} took over)"
                  - run: "service {host} start"
                  - report
            """;

    @Test
    void aRunbookLoadsIntoTypedStepsWithDefaults() throws IOException {
        RunbookSpec r = f.loaded(RUNBOOK).runbooks().get(0);
        assertEquals("reinstall", r.name());
        assertEquals(List.of("ri"), r.aliases());
        assertEquals(Role.ADMIN, r.role(), "runbooks chain change commands: admin unless said otherwise");
        assertEquals(CommandSpec.ArgType.HOST, r.param("host").type());
        assertEquals(List.of(
                new RunbookStep.Run("fo -a {host}", false, false),
                new RunbookStep.Run("srv {host} stop", true, false),
                new RunbookStep.Run("reboot {host}", false, true),
                new RunbookStep.Until(RunbookStep.Condition.SSH_REACHABLE, "{host}", Duration.ofMinutes(1), Duration.ofMinutes(60)),
                new RunbookStep.Wait(Duration.ofMinutes(30)),
                new RunbookStep.Ask("Is {host} back in the pool? ({host.pair} took over)"),
                new RunbookStep.Run("service {host} start", false, false),
                new RunbookStep.Report()), r.steps());
        assertEquals("service", ((RunbookStep.Run) r.steps().get(6)).command());
    }

    @Test
    void placeholdersAreFilledAsParameterOrPair() {
        String line = RunbookSpec.fill("Is {host} back? ({host.pair} took over, $1 \\ safe)",
                p -> p.pair() ? "compute1" : "compute4");
        assertEquals("Is compute4 back? (compute1 took over, $1 \\ safe)", line);
        assertEquals(List.of(new RunbookSpec.Placeholder("host", false), new RunbookSpec.Placeholder("host", true)),
                RunbookSpec.placeholders("{host} {host.pair}"));
    }

    @Test
    void theProblemsReportSaysFileLineAndHint() throws IOException {
        String report = f.invalid(RUNBOOK.replace("srv {host} stop", "srv {hots} stop")).report();
        assertTrue(report.contains("opsbot.yml:26: unknown placeholder {hots} in runbook reinstall [/runbooks/0/steps/1/run]"
                + "\n    hint: declare it under params, or fix the name; declared: [host]"), report);
    }

    @Test
    void placeholdersMustNameParametersAndBeWholeWordsInCommandLines() throws IOException {
        assertEquals("33: unknown placeholder {host.pir} in runbook reinstall | {host} is the value, {host.pair} the pair of a host",
                f.only(RUNBOOK.replace("{host.pair} took", "{host.pir} took")));
        assertEquals("26: placeholder {host} must be a word of its own | e.g. srv {host} stop",
                f.only(RUNBOOK.replace("srv {host} stop", "srv x{host} stop")));
        assertEquals("26: stray brace in srv {host} stop} | placeholders look like {host} or {host.pair}",
                f.only(RUNBOOK.replace("srv {host} stop", "srv {host} stop}")));
        assertEquals("27: {target.pair}: only a host parameter has a pair | declare target with type: host",
                f.only(RUNBOOK.replace("- {name: host, type: host}", "- {name: host, type: host}\n      - {name: target, type: hosts, optional: true}")
                        .replace("srv {host} stop", "srv {target.pair} stop")));
    }

    @Test
    void aRunStepRunsADeclaredCommandOnly() throws IOException {
        assertEquals("25: runbook reinstall runs restart, which is not a declared command"
                        + " | the line starts with a command's name or alias, as typed in chat: srv {host} stop",
                f.only(RUNBOOK.replace("fo -a {host}", "restart {host}")));
        assertEquals("25: runbook reinstall runs note, a built-in command | a step runs a declared command (under commands)",
                f.only(RUNBOOK.replace("fo -a {host}", "note {host}")));
        assertEquals("25: runbook reinstall runs runbook reinstall: runbooks do not start runbooks"
                        + " | copy its steps, or run it by hand after this one",
                f.only(RUNBOOK.replace("fo -a {host}", "ri {host}")));
        assertEquals("25: no host is in group computer | add the group to some hosts, or fix the name",
                f.only(RUNBOOK.replace("fo -a {host}", "srv @computer stop")));
        assertEquals("25: run step without a command line | as typed in chat, e.g. run: \"srv {host} stop\"",
                f.only(RUNBOOK.replace("fo -a {host}", " ")));
    }

    @Test
    void aStepIsExactlyOneThing() throws IOException {
        assertEquals("25: a step does one thing: run and wait are both given | make them two steps",
                f.only(RUNBOOK.replace("- run: \"fo -a {host}\"", "- {run: \"fo -a {host}\", wait: 30m}")));
        assertEquals("25: a step needs one of run, wait, until or ask | a step is one of run: \"CMD ARGS\", wait: 30m,"
                        + " until: ssh-reachable (with on:, every:, at-most:), ask: \"QUESTION\", or the word report",
                f.only(RUNBOOK.replace("- run: \"fo -a {host}\"", "- {continue-on-failure: true}")));
        assertEquals("32: every belongs to until steps, not to wait steps | remove it, or move it to the step it is meant for",
                f.only(RUNBOOK.replace("- wait: 30m", "- {wait: 30m, every: 1m}")));
        assertTrue(f.only(RUNBOOK.replace("- report", "- reprot")).startsWith("35: unknown step 'reprot' | a step is one of"));
        assertEquals("25: unknown key 'colour' (known here: ask, at-most, continue-on-failure, every, expect-disconnect, on, run,"
                        + " until, wait) | see the configuration reference in README.md",
                f.only(RUNBOOK.replace("- run: \"fo -a {host}\"", "- {run: \"fo -a {host}\", colour: blue}")));
        assertEquals("25: unknown key 'runn' (known here: ask, at-most, continue-on-failure, every, expect-disconnect, on, run,"
                        + " until, wait) | see the configuration reference in README.md",
                f.only(RUNBOOK.replace("- run: \"fo -a {host}\"", "- {runn: \"fo -a {host}\"}")));
        assertEquals("30: bad value 'pingable': expected one of [ssh-reachable] | see the configuration reference in README.md",
                f.only(RUNBOOK.replace("until: ssh-reachable", "until: pingable")));
        assertEquals("20: runbook reinstall has no steps | e.g. steps: [{run: \"srv {host} stop\"}, report]",
                f.only(RUNBOOK.substring(0, RUNBOOK.indexOf("    steps:"))));
    }

    @Test
    void waitsAndPollsHaveSaneDurations() throws IOException {
        assertEquals("32: wait must be positive | e.g. wait: 30m", f.only(RUNBOOK.replace("wait: 30m", "wait: 0s")));
        assertEquals("32: wait of 192h is beyond 168h | e.g. wait: 30m", f.only(RUNBOOK.replace("wait: 30m", "wait: 8d")));
        assertTrue(f.only(RUNBOOK.replace("wait: 30m", "wait: soon"))
                .startsWith("32: bad value 'soon': expected a duration such as 30s, 5m or 1h30m"));
        String until = RUNBOOK.replace("on: \"{host}\"", "on: \"{host}\"\n        every: 2h");
        assertEquals("32: every (2h) must be shorter than at-most (1h) | try several times: e.g. every: 1m, at-most: 60m",
                f.only(until));
        assertEquals("33: at-most must be positive | e.g. at-most: 60m",
                f.only(until.replace("every: 2h", "every: 2h\n        at-most: 0s")));
    }

    @Test
    void anUntilStepPollsOneHost() throws IOException {
        OpsbotConfig c = f.loaded(RUNBOOK.replace("on: \"{host}\"", "on: c4"));
        assertEquals("c4", ((RunbookStep.Until) c.runbooks().get(0).steps().get(3)).on());
        f.loaded(RUNBOOK.replace("on: \"{host}\"", "on: \"{host.pair}\""));
        assertEquals("31: unknown host compute9 | a host name or alias, or a host parameter: on: \"{host}\"",
                f.only(RUNBOOK.replace("on: \"{host}\"", "on: compute9")));
        assertEquals("31: on: must be one host: a host parameter or a host name | e.g. on: \"{host}\" with {host} of type host",
                f.only(RUNBOOK.replace("on: \"{host}\"", "on: \"{host} {host}\"")));
        assertEquals("30: until step without on: the host to try | e.g. on: \"{host}\"",
                f.only(RUNBOOK.replace("        on: \"{host}\"\n", "")));
    }

    @Test
    void namesAreUniqueAcrossCommandsRunbooksAndBuiltins() throws IOException {
        assertEquals("20: duplicate name or alias srv (runbook srv and command srv) | a name must mean one command or runbook",
                f.only(RUNBOOK.replace("name: reinstall", "name: srv")));
        assertEquals("21: duplicate name or alias service (runbook reinstall and command srv) | a name must mean one command or runbook",
                f.only(RUNBOOK.replace("aliases: [ri]", "aliases: [service]")));
        assertEquals("20: remind is a built-in command | choose another name",
                f.only(RUNBOOK.replace("name: reinstall", "name: remind")));
        assertEquals("21: bad runbook name or alias: R-I | lower-case letters, digits, - and _",
                f.only(RUNBOOK.replace("aliases: [ri]", "aliases: [R-I]")));
        for (String word : List.of("remind", "in", "followups", "cancel", "run", "snooze", "runbook", "checks")) {
            assertTrue(CommandSpec.RESERVED_NAMES.contains(word), word);
        }
    }

    @Test
    void aStepNeedingAHigherRoleThanTheRunbookIsAWarning() throws IOException {
        String yaml = RUNBOOK.replace("aliases: [ri]", "aliases: [ri]\n    role: operator");
        ConfigLoader.Result.Loaded l = assertInstanceOf(ConfigLoader.Result.Loaded.class, f.load(yaml));
        assertEquals(List.of(dir.resolve("opsbot.yml") + ":29: warning: runbook reinstall (role operator) runs reboot,"
                + " which needs admin: started by someone with less, it stops at this step [/runbooks/0/steps/2/run]"
                + "\n    hint: give the runbook role: admin"), l.warnings());
        assertEquals(List.of(), ((ConfigLoader.Result.Loaded) f.load(RUNBOOK)).warnings());
    }
}
