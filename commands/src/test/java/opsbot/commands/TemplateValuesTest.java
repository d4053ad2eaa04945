package opsbot.commands;

import opsbot.commands.model.Binder;
import opsbot.commands.model.Inventory;
import opsbot.commands.model.LookupException;
import opsbot.commands.model.Planner;
import opsbot.commands.parse.Tokenizer;
import opsbot.config.CommandSpec;
import opsbot.config.ConfigLoader;
import opsbot.config.OpsbotConfig;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** What values may become in a remote command line: no options smuggled in as text, durations never 0. */
class TemplateValuesTest {
    private static final OpsbotConfig CFG = load("""
            hosts:
              - {name: admin1, address: 10.0.0.10, groups: [admin]}
            ssh: {user: opsbot, private-key: k, known-hosts: kh}
            commands:
              - {name: grep, kind: read, role: viewer, args: [{name: pat, type: text}], on: {host: admin1}, run: "grep -r {pat} /var/log"}
              - {name: grepsafe, kind: read, role: viewer, args: [{name: pat, type: text}], on: {host: admin1}, run: "grep -r -- {pat} /var/log"}
              - {name: grepopt, kind: read, role: viewer, args: [{name: pat, type: text}], on: {host: admin1}, run: "grep -r --regexp={pat} /var/log"}
              - {name: twice, kind: read, role: viewer, args: [{name: pat, type: text}], on: {host: admin1}, run: "grep -- {pat} /a; grep {pat} /b"}
              - {name: mode, kind: read, role: viewer, args: [{name: m, type: enum, values: [fast, slow]}], on: {host: admin1}, run: "tool {m}"}
              - {name: find, kind: read, role: viewer, args: [{name: dir, type: text}], on: {host: admin1}, run: "find -- {dir} -maxdepth 1"}
              - {name: echo, kind: read, role: viewer, args: [{name: x, type: text}], on: {host: admin1}, run: "echo {x} >/tmp/f"}
              - {name: sleep, kind: read, role: viewer, args: [{name: d, type: duration}], on: {host: admin1}, run: "sleep {d}"}
            """);

    private static OpsbotConfig load(String yaml) {
        ConfigLoader.Result r = new ConfigLoader(Map.<String, String>of()::get, false).load("t.yml", yaml, null);
        if (r instanceof ConfigLoader.Result.Invalid i) throw new AssertionError(i.report());
        return ((ConfigLoader.Result.Loaded) r).config();
    }

    private final Inventory inv = new Inventory(CFG.hosts());

    private static CommandSpec spec(String name) {
        return CFG.commands().stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow();
    }

    private String line(String cmd, String args) throws Exception {
        return new Planner(inv).plan(new Binder(inv).bind(spec(cmd), Tokenizer.split(args))).steps().get(0).commandLine();
    }

    private String refusal(String cmd, String args) {
        return assertThrows(LookupException.class, () -> line(cmd, args)).getMessage();
    }

    @Test
    void textStartingWithADashIsRefusedWhereTheToolWouldReadAnOption() throws Exception {
        assertEquals("grep: pat may not start with '-': the tool would take it as an option (usage: grep PAT…)",
                refusal("grep", "--include=/etc/shadow"));
        assertTrue(refusal("grep", "-f/etc/ssh/ssh_host_ed25519_key").contains("may not start with '-'"));
        assertTrue(refusal("grep", "\"-x\"").contains("may not start with '-'"), "quoting it in chat changes nothing");
        assertTrue(refusal("twice", "-x").contains("may not start with '-'"), "one unsafe use is enough");
        assertEquals("grep -r 'a -b' /var/log", line("grep", "a -b"), "a dash later in the text is harmless");
    }

    @Test
    void afterDoubleDashOrAsAnOptionValueADashIsJustText() throws Exception {
        assertEquals("grep -r -- --include=/etc/shadow /var/log", line("grepsafe", "--include=/etc/shadow"));
        assertEquals("grep -r --regexp=-f/etc/x /var/log", line("grepopt", "-f/etc/x"));
    }

    /** find takes -delete as its expression even after "--": there, "--" protects nothing. */
    @Test
    void findsDoubleDashDoesNotLetADashThrough() throws Exception {
        assertTrue(refusal("find", "-delete").contains("dir may not start with '-'"));
        assertEquals("find -- /srv -maxdepth 1", line("find", "/srv"));
    }

    /** A value of digits is quoted, so it can never become a file descriptor number (2>/tmp/f). */
    @Test
    void digitsAreQuoted() throws Exception {
        assertEquals("echo '2' >/tmp/f", line("echo", "2"));
    }

    @Test
    void durationsRoundUpToWholeSeconds() throws Exception {
        assertEquals("sleep '1'", line("sleep", "500ms"));
        assertEquals("sleep '2'", line("sleep", "1500ms"));
        assertEquals("sleep '1'", line("sleep", "1ms"));
        assertEquals("sleep '5400'", line("sleep", "1h30m"));
        assertEquals("sleep '0'", line("sleep", "0s"), "only an explicit zero is zero");
    }

    @Test
    void enumValuesAreTheConfigsOwnWords() throws Exception {
        assertEquals("tool slow", line("mode", "sl"));
        assertTrue(refusal("mode", "-fast").contains("m must be one of fast|slow"));
    }

    /** A template that never went through check-config (built in code) is still not run. */
    @Test
    void anUnsafeTemplateIsNotPlannedEvenIfItSkippedTheCheck() throws Exception {
        CommandSpec bad = new CommandSpec("log", List.of(), "", null, null, null, List.of(),
                List.of(new CommandSpec.ArgSpec("why", CommandSpec.ArgType.TEXT, null, null, null)),
                new CommandSpec.Target("admin1", null, null, null), "logger -t ops 'fo: {why}'");
        LookupException e = assertThrows(LookupException.class,
                () -> new Planner(inv).plan(new Binder(inv).bind(bad, Tokenizer.split(";echo INJECTED;"))));
        assertTrue(e.getMessage().startsWith("log: not run, its template is unsafe ({why} is inside single quotes"), e.getMessage());
    }
}
