package opsbot.bot.e2e;

import opsbot.bot.testkit.TestEnv;
import opsbot.commands.model.Binder;
import opsbot.commands.model.Inventory;
import opsbot.commands.model.LookupException;
import opsbot.commands.model.Plan;
import opsbot.commands.model.Planner;
import opsbot.commands.parse.Tokenizer;
import opsbot.commands.ssh.ExecResult;
import opsbot.commands.ssh.JschExecutor;
import opsbot.config.CommandSpec;
import opsbot.config.OpsbotConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Hostile values of every argument type, through the real {@code /bin/sh} (dash) of the test account on the
 * test sshd: the remote side must receive exactly the value as one argument, and nothing else may run.
 * {@code printf '[%s]\n' …} prints each argument it got on a line of its own, bracketed, so the output is the
 * argv. These tests fail if {@code ShellQuote.quote} were the identity function (checked by hand).
 */
@Tag("e2e")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TemplateShellEndToEndTest {
    /** A file a redirection smuggled in would create; unique, so no earlier run's leftover can matter. */
    private static final String PWNED = "/tmp/opsbot-pwned-" + java.util.UUID.randomUUID();

    /** What chat can send that a shell would love to interpret. Newlines and controls are refused earlier. */
    private static final List<String> HOSTILE = List.of(
            ";echo INJECTED;", "$(id)", "`id`", "'", "\"", "it's \"quoted\"", "'; echo INJECTED; '", "*", "/etc/*",
            "~", "~root", "$HOME", "${PATH}", "\\", "\\'", "a|echo INJECTED", "a&&echo INJECTED", "x>" + PWNED,
            "<x", "(x)", "{a,b}", "#not-a-comment", "!!", "%s%n", "=ls", "a  b", "ü€✓ 日本語 🚀", "\u00a0nbsp",
            "$((1+1))", "$'\\x41'", "IFS=x", "a\\;b", "2", "007");

    private TestEnv env;
    private OpsbotConfig cfg;
    private Inventory inventory;
    private JschExecutor ssh;

    @BeforeAll
    void start() throws Exception {
        env = new TestEnv();
        String base = env.yaml(java.nio.file.Files.createTempDirectory("opsbot-tpl"), "localhost", "opsbot");
        String commands = base.substring(0, base.indexOf("commands:\n")) + """
                commands:
                  - {name: h, kind: read, role: viewer, args: [{name: v, type: host}], on: {host: admin1}, run: "printf '[%s]\\\\n' {v}"}
                  - {name: hs, kind: read, role: viewer, args: [{name: v, type: hosts}], on: {host: admin1}, run: "printf '[%s]\\\\n' {v}"}
                  - {name: e, kind: read, role: viewer, args: [{name: v, type: enum, values: [start, stop, re-load.x]}], on: {host: admin1}, run: "printf '[%s]\\\\n' {v}"}
                  - {name: d, kind: read, role: viewer, args: [{name: v, type: duration}], on: {host: admin1}, run: "printf '[%s]\\\\n' {v}"}
                  - {name: t, kind: read, role: viewer, args: [{name: v, type: text}], on: {host: admin1}, run: "printf '[%s]\\\\n' {v}"}
                  - {name: mix, kind: read, role: viewer, args: [{name: a, type: enum, values: [start]}, {name: v, type: text}], on: {host: admin1}, run: "printf '[%s]\\\\n' {a} --opt={v} {v}"}
                  - {name: fo, kind: read, role: viewer, args: [{name: v, type: text}], on: {host: admin1}, run: "utils/FailOver.pl -- {v}"}
                """ + base.substring(base.indexOf("storage:"));
        cfg = env.load("templates.yml", commands);
        inventory = new Inventory(cfg.hosts());
        ssh = new JschExecutor(cfg.ssh());
    }

    @AfterAll
    void stop() {
        if (ssh != null) ssh.close();
    }

    private CommandSpec spec(String name) {
        return cfg.commands().stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow();
    }

    /** Binds one value (as one quoted chat word, so the chat tokenizer does not get in the way) and runs it. */
    private String runWith(String command, String... values) throws Exception {
        List<Tokenizer.Word> words = new ArrayList<>();
        for (String v : values) words.add(new Tokenizer.Word(v, true));
        return run(new Planner(inventory).plan(new Binder(inventory).bind(spec(command), words)));
    }

    private String run(Plan plan) {
        assertEquals(1, plan.steps().size());
        ExecResult r = ssh.run(plan.steps().get(0).host(), plan.steps().get(0).commandLine());
        ExecResult.Exited e = assertInstanceOf(ExecResult.Exited.class, r, () -> r.brief());
        assertEquals(0, e.status(), () -> "stderr: " + e.stderr());
        assertEquals("", e.stderr());
        return e.stdout();
    }

    private static String argv(String... args) {
        StringBuilder b = new StringBuilder();
        for (String a : args) b.append('[').append(a).append("]\n");
        return b.toString();
    }

    @Test
    void textArrivesAsExactlyOneArgumentAndRunsNothing() throws Exception {
        for (String v : HOSTILE) {
            String out = runWith("t", v);
            assertEquals(argv(v), out, "value " + v);
        }
        assertFalse(java.nio.file.Files.exists(java.nio.file.Path.of(PWNED)), "a redirection ran");
    }

    @Test
    void textTypedInChatTheWayPeopleTypeIt() throws Exception {
        // Through the chat tokenizer, as the dispatcher does: the words of the rest of the line, joined.
        String out = run(new Planner(inventory).plan(new Binder(inventory).bind(spec("t"),
                Tokenizer.split(";echo INJECTED; $(id) `id` *"))));
        assertEquals(argv(";echo INJECTED; $(id) `id` *"), out);
    }

    @Test
    void textAsAnOptionValueAndAsAWordInOneLine() throws Exception {
        for (String v : HOSTILE) {
            assertEquals(argv("start", "--opt=" + v, v), runWith("mix", "start", v), "value " + v);
        }
    }

    @Test
    void optionsFromChatAreRefusedUnlessTheTemplateEndsOptionsFirst() throws Exception {
        for (String v : List.of("--include=/etc/shadow", "-f/etc/ssh/ssh_host_ed25519_key", "-", "--")) {
            LookupException e = assertThrows(LookupException.class, () -> runWith("t", v));
            assertTrue(e.getMessage().contains("may not start with '-'"), e.getMessage());
        }
        // After "--" the same values are plain operands; the fake tool logs the argv it received.
        env.clearCalls();
        runWith("fo", "--include=/etc/shadow");
        runWith("fo", "-f/etc/ssh/ssh_host_ed25519_key");
        runWith("fo", ";echo INJECTED;");
        assertEquals(List.of("FailOver.pl [--] [--include=/etc/shadow]", "FailOver.pl [--] [-f/etc/ssh/ssh_host_ed25519_key]",
                "FailOver.pl [--] [;echo INJECTED;]"), env.calls());
        env.clearCalls();
    }

    @Test
    void newlinesAndControlsNeverReachTheHost() {
        for (String v : List.of("a\nb", "a\rb", "a\u0000b", "a\u001b[2Jb", "a\u2028b")) {
            LookupException e = assertThrows(LookupException.class, () -> runWith("t", v));
            assertTrue(e.getMessage().contains("control characters"), e.getMessage());
        }
    }

    @Test
    void hostsAreInventoryNamesWhateverWasTyped() throws Exception {
        assertEquals(argv("compute1"), runWith("h", "c1"));
        assertEquals(argv("compute1", "compute4"), runWith("hs", "@compute"));
        assertEquals(argv("compute4", "admin1"), runWith("hs", "c4,admin1"));
        for (String v : List.of(";echo INJECTED;", "$(id)", "c1;id", "c1,$(id)", "@compute;id", "-oProxyCommand=id", "*", "~")) {
            assertThrows(LookupException.class, () -> runWith("h", v), v);
            assertThrows(LookupException.class, () -> runWith("hs", v), v);
        }
    }

    @Test
    void enumValuesAreTheConfigsWords() throws Exception {
        assertEquals(argv("stop"), runWith("e", "sto"));
        assertEquals(argv("re-load.x"), runWith("e", "RE-LOAD.X"));
        for (String v : List.of("stop;id", "$(id)", "-stop", "*", "s*")) {
            assertThrows(LookupException.class, () -> runWith("e", v), v);
        }
    }

    @Test
    void durationsAreWholeSecondsRoundedUp() throws Exception {
        assertEquals(argv("1"), runWith("d", "500ms"));
        assertEquals(argv("2"), runWith("d", "1001ms"));
        assertEquals(argv("5400"), runWith("d", "1h30m"));
        for (String v : List.of("1s;id", "$(id)", "-5s", "5", "1e3s")) {
            assertThrows(LookupException.class, () -> runWith("d", v), v);
        }
    }
}
