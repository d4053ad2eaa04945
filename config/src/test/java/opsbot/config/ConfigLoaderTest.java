package opsbot.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ConfigLoaderTest {
    @TempDir
    Path dir;

    private static final String MINIMAL = """
            people:
              - {name: alice, irc-account: alice, role: operator}
            channels:
              "#ops": ops
            hosts:
              - {name: admin1, address: 10.0.0.10}
              - {name: compute1, address: 10.0.1.1, pair: compute4, groups: [compute], aliases: [c1]}
              - {name: compute4, address: 10.0.2.1, pair: compute1, groups: [compute], aliases: [c4]}
            ssh:
              user: opsbot
              private-key: key
              known-hosts: known_hosts
            commands:
              - name: fo
                flags: [{flag: K, help: dead}]
                args: [{name: host, type: host}]
                on: {host: admin1}
                run: "utils/FailOver.pl {flags} {host}"
            """;

    private ConfigLoader.Result load(String yaml) throws IOException {
        Files.writeString(dir.resolve("key"), TestKeys.openssh("none"));
        Files.writeString(dir.resolve("known_hosts"), "");
        Path f = dir.resolve("opsbot.yml");
        Files.writeString(f, yaml);
        return new ConfigLoader(Map.of("PW", "s3cret")::get, true).load(f);
    }

    private List<Problem> problems(String yaml) throws IOException {
        ConfigLoader.Result r = load(yaml);
        assertInstanceOf(ConfigLoader.Result.Invalid.class, r, "expected problems");
        return ((ConfigLoader.Result.Invalid) r).problems();
    }

    @Test
    void minimalConfigLoadsWithDefaultsAndResolvedPaths() throws IOException {
        OpsbotConfig c = ((ConfigLoader.Result.Loaded) load(MINIMAL)).config();
        assertEquals(Role.OPERATOR, c.people().get(0).role());
        assertEquals(Trust.OPS, c.trustOf("#ops"));
        assertEquals(Trust.SHARED, c.trustOf("#elsewhere"), "unknown channels are shared");
        assertEquals(dir.resolve("key").toString(), c.ssh().privateKey());
        assertEquals(Duration.ofSeconds(5), c.ssh().connectTimeout());
        CommandSpec fo = c.commands().get(0);
        assertEquals(Kind.CHANGE, fo.kind(), "commands are change commands unless declared read");
        assertTrue(fo.confirm(), "change commands confirm by default");
        assertEquals(22, c.hosts().get(0).port());
    }

    @Test
    void bundledExampleIsValid() throws IOException {
        String text = new String(getClass().getResourceAsStream("/opsbot/examples/opsbot.yml").readAllBytes());
        ConfigLoader.Result r = new ConfigLoader(Map.of("OPSBOT_IRC_PASSWORD", "x", "OPSBOT_BACKUP_TOKEN", "backup-token-0123456789", "OPSBOT_ALERTMANAGER_TOKEN", "am-token-0123456789")::get, false)
                .load("opsbot.yml", text, null);
        if (r instanceof ConfigLoader.Result.Invalid i) {
            fail(i.report());
        }
        OpsbotConfig c = ((ConfigLoader.Result.Loaded) r).config();
        assertEquals(9, c.hosts().size());
        assertTrue(c.commands().stream().anyMatch(x -> x.name().equals("fo")));
        assertEquals(Duration.ofSeconds(60), c.bot().staleAfter());
        assertEquals(Duration.ofMinutes(10), c.bot().lateGrace());
        assertEquals(java.time.ZoneId.of("Europe/Oslo"), c.people().get(0).zone(c.bot()));
        assertEquals(java.time.ZoneId.of("Europe/Berlin"), c.people().get(1).zone(c.bot()), "bob has bot.timezone");
        // The seed runbook of issue 9, step by step.
        RunbookSpec ri = c.runbooks().get(0);
        assertEquals(List.of("reinstall", "ri"), List.of(ri.name(), ri.aliases().get(0)));
        assertEquals(List.of("fo -a {host}", "srv {host} stop", "grub {host}", "reboot {host}", "until", "srv {host} start",
                "fo -m {host}", "report"), ri.steps().stream().map(x -> switch (x) {
                    case RunbookStep.Run run -> run.line();
                    case RunbookStep.Until u -> "until";
                    case RunbookStep.Report rep -> "report";
                    default -> x.toString();
                }).toList());
        assertTrue(((RunbookStep.Run) ri.steps().get(1)).continueOnFailure());
        assertTrue(((RunbookStep.Run) ri.steps().get(3)).expectDisconnect());
        assertEquals(List.of("salint @compute", "leap @admin,@bladecentre1,@bladecentre2", "kdump @admin,@bladecentre1,@bladecentre2"),
                c.checks().stream().map(CheckSpec::run).toList());
        assertEquals(java.util.Set.copyOf(c.hosts()), java.util.Set.copyOf(c.hosts().stream()
                .filter(h -> h.groups().stream().anyMatch(List.of("admin", "bladecentre1", "bladecentre2")::contains)).toList()),
                "the every-host checks cover every host");
    }

    @Test
    void aPersonsTimezoneIsAnIanaZoneAndDefaultsToTheBots() throws IOException {
        OpsbotConfig c = ((ConfigLoader.Result.Loaded) load(MINIMAL.replace("role: operator}",
                "role: operator, timezone: America/New_York}") + "bot: {timezone: Europe/Oslo}\n")).config();
        assertEquals(java.time.ZoneId.of("America/New_York"), c.people().get(0).timezone());
        assertEquals(java.time.ZoneId.of("America/New_York"), c.people().get(0).zone(c.bot()));
        Person plain = new Person("bob", "bob", null, Role.ADMIN);
        assertNull(plain.timezone());
        assertEquals(java.time.ZoneId.of("Europe/Oslo"), plain.zone(c.bot()));
        ConfigLoader.Result.Invalid r = (ConfigLoader.Result.Invalid) load(MINIMAL.replace("role: operator}",
                "role: operator, timezone: Mars/Olympus}"));
        assertEquals(1, r.problems().size(), r.report());
        assertTrue(r.report().contains("opsbot.yml:2: bad value 'Mars/Olympus': expected a time zone such as Europe/Berlin"
                + " [/people/0/timezone]\n    hint: an IANA zone ID such as Europe/Oslo, America/New_York or UTC"
                + " (timedatectl list-timezones)"), r.report());
    }

    @Test
    void lateGraceIsAtMostADay() throws IOException {
        assertEquals(Duration.ofMinutes(10), ((ConfigLoader.Result.Loaded) load(MINIMAL)).config().bot().lateGrace());
        assertEquals(Duration.ZERO, ((ConfigLoader.Result.Loaded) load(MINIMAL + "bot: {late-grace: 0s}\n")).config().bot().lateGrace());
        ConfigLoader.Result.Invalid r = (ConfigLoader.Result.Invalid) load(MINIMAL + "bot: {late-grace: 2d}\n");
        assertEquals(1, r.problems().size(), r.report());
        assertTrue(r.report().contains("opsbot.yml:19: late-grace of 48h is beyond a day [/bot/late-grace]\n"
                + "    hint: a follow-up a day late is better announced as missed than run unasked; e.g. 10m"), r.report());
    }

    @Test
    void aDatabaseOtherThanH2IsRefusedAtCheckTime() throws IOException {
        List<Problem> p = problems(MINIMAL + "storage: {jdbc-url: \"jdbc:postgresql://127.0.0.1/opsbot\"}\n");
        assertEquals(List.of("only H2 databases are supported so far (PostgreSQL is planned)"),
                p.stream().map(Problem::message).toList());
    }

    @Test
    void theStoresUserPasswordAndChainKeyMustBeWorthHaving() throws IOException {
        List<Problem> p = problems(MINIMAL + "storage: {path: db/opsbot, user: sa, password: short, chain-key: also-short}\n");
        assertEquals(List.of("the database user must not be empty or sa (H2's default admin)",
                "the database password must have at least 16 characters",
                "the chain key must have at least 32 characters"), p.stream().map(Problem::message).toList());
        assertEquals(List.of("with jdbc-url the incident chain's key has no data directory to live in"),
                problems(MINIMAL + "storage: {jdbc-url: \"jdbc:h2:file:/srv/opsbot\"}\n").stream().map(Problem::message).toList());
        StorageConfig st = ((ConfigLoader.Result.Loaded) load(MINIMAL
                + "storage: {path: db/opsbot, user: ops, password: 0123456789abcdef, chain-key: \"" + "k".repeat(32) + "\"}\n"))
                .config().storage();
        assertEquals("k".repeat(32), st.chainKey());
        assertTrue(st.path().endsWith("/db/opsbot"), st.path());
    }

    @Test
    void staleAfterMustBePositive() throws IOException {
        assertEquals(Duration.ofSeconds(60), ((ConfigLoader.Result.Loaded) load(MINIMAL)).config().bot().staleAfter());
        List<Problem> p = problems(MINIMAL + "bot: {stale-after: 0s}\n");
        assertEquals(List.of("stale-after must be positive"), p.stream().map(Problem::message).toList());
    }

    @Test
    void unknownPairIsReportedWithItsLine() throws IOException {
        List<Problem> p = problems(MINIMAL.replace("pair: compute4, groups", "pair: compute9, groups"));
        assertEquals(1, p.size(), p.toString());
        assertTrue(p.get(0).message().contains("compute9"));
        assertEquals(7, p.get(0).line());
    }

    @Test
    void templateNamingUndeclaredArgument() throws IOException {
        List<Problem> p = problems(MINIMAL.replace("{flags} {host}", "{flags} {hots}"));
        assertTrue(p.get(0).message().contains("{hots}"), p.toString());
        assertEquals(18, p.get(0).line());
    }

    @Test
    void missingKeyFileDuplicateAliasAndBadSecretAreAllReported() throws IOException {
        String yaml = MINIMAL.replace("private-key: key", "private-key: nokey")
                .replace("aliases: [c4]", "aliases: [c1]")
                .replace("user: opsbot", "user: ${env:NOPE}");
        // An unresolved secret does not hide the rest.
        List<Problem> p = problems(yaml);
        assertEquals(3, p.size(), p.toString());
        assertTrue(p.stream().anyMatch(x -> x.message().equals("environment variable NOPE is not set") && x.line() == 10), p.toString());

        p = problems(yaml.replace("${env:NOPE}", "${env:PW}"));
        assertEquals(2, p.size(), p.toString());
        assertTrue(p.stream().anyMatch(x -> x.message().contains("duplicate alias c1") && x.line() == 8), p.toString());
        assertTrue(p.stream().anyMatch(x -> x.message().contains("nokey") && x.line() == 11), p.toString());
    }

    @Test
    void unknownKeyAndBadEnumAreBindingProblems() throws IOException {
        List<Problem> p = problems(MINIMAL.replace("ssh:", "shh: {}\nssh:"));
        assertTrue(p.get(0).message().contains("unknown key 'shh'"), p.toString());
        p = problems(MINIMAL.replace("role: operator", "role: god"));
        assertTrue(p.get(0).message().contains("one of [viewer, operator, admin]"), p.toString());
        assertEquals(2, p.get(0).line());
    }

    @Test
    void duplicateKeyAndBrokenYaml() throws IOException {
        assertTrue(problems(MINIMAL + "ssh: {}\n").get(0).message().contains("duplicate key"));
        Problem p = problems("hosts: [\n  {name: a\n").get(0);
        assertTrue(p.message().startsWith("not valid YAML"), p.toString());
    }

    @Test
    void secretsFromFiles() throws IOException {
        Files.writeString(dir.resolve("pw"), "from-file\n");
        String yaml = MINIMAL.replace("user: opsbot", "user: ${file:" + dir.resolve("pw") + "}");
        OpsbotConfig c = ((ConfigLoader.Result.Loaded) load(yaml)).config();
        assertEquals("from-file", c.ssh().user());
    }

    @Test
    void reportFormatsFileLineAndHint() throws IOException {
        ConfigLoader.Result.Invalid r = (ConfigLoader.Result.Invalid) load(MINIMAL.replace("compute4, groups", "compute9, groups"));
        String report = r.report();
        assertTrue(report.contains("opsbot.yml:7: unknown host in pair"), report);
        assertTrue(report.contains("hint: declare compute9"), report);
    }

    @Test
    void everyProblemInOneRunInPlainWords() throws IOException {
        String yaml = MINIMAL
                .replace("role: operator}", "role: god}")                                   // line 2: bad enum
                .replace("address: 10.0.0.10}", "address: 10.0.0.10, port: twenty-two}")    // line 6: wrong type
                .replace("  user: opsbot", "  user: ${env:NOPE}")                          // line 10: unset secret
                .replace("aliases: [c4]", "aliases: [c1]")                                 // line 8: duplicate alias
                .replace("on: {host: admin1}", "on: {host: admin1}\n    colour: blue")        // line 18: unknown key
                .replace("{flags} {host}", "{flags} '{host}'")                             // line 19: unsafe template
                + "bot: {page-lines: lots, confirm-timeout: soon}\n"                      // line 20: two wrong types
                + "irc: {server: irc.example.net, nick: opsbot, sasl: {account: a, password: b}, channels: \"#ops\"}\n"; // line 21
        List<Problem> p = problems(yaml);
        String all = p.stream().map(x -> x.line() + ": " + x.message()).reduce("", (a, b) -> a + b + "\n");
        assertAll(
                () -> assertTrue(all.contains("2: bad value 'god': expected one of [viewer, operator, admin]"), all),
                () -> assertTrue(all.contains("6: bad value 'twenty-two': expected a whole number"), all),
                () -> assertTrue(all.contains("8: duplicate alias c1"), all),
                () -> assertTrue(all.contains("10: environment variable NOPE is not set"), all),
                () -> assertTrue(all.contains("18: unknown key 'colour' (known here: aliases, args, confirm, flags, help, kind, name, on, role, run)"), all),
                () -> assertTrue(all.contains("19: unsafe template of fo: {host} is inside single quotes"), all),
                () -> assertTrue(all.contains("20: bad value 'lots': expected a whole number"), all),
                () -> assertTrue(all.contains("20: bad value 'soon': expected a duration such as 30s, 5m or 1h30m"
                        + " (not a duration: 'soon' (use e.g. 30s, 5m, 1h30m))"), all),
                () -> assertTrue(all.contains("21: expected a list, found '#ops'"), all),
                () -> assertEquals(9, p.size(), all));
        for (Problem x : p) {
            assertFalse(x.message().matches("(?s).*(java\\.|`|Cannot deserialize|token|JsonToken).*"), "parser words: " + x.message());
        }
    }

    @Test
    void brokenYamlIsExplainedNotQuoted() throws IOException {
        Problem p = problems("hosts: [\n  {name: a\n").get(0);
        assertEquals("not valid YAML: a { … } mapping is not closed, or lacks a comma", p.message());
        p = problems("ssh:\n\tuser: x\n").get(0);
        assertEquals("not valid YAML: a tab character: YAML indents with spaces only", p.message());
        assertEquals(2, p.line());
    }

    @Test
    void theTemplateFromTheIssueIsRefusedWithItsLine() throws IOException {
        String yaml = MINIMAL.replace("args: [{name: host, type: host}]",
                "args: [{name: host, type: host}, {name: why, type: text}]")
                .replace("run: \"utils/FailOver.pl {flags} {host}\"", "run: \"logger -t ops 'fo: {why}'\"");
        ConfigLoader.Result.Invalid r = (ConfigLoader.Result.Invalid) load(yaml);
        assertEquals(1, r.problems().size(), r.report());
        assertTrue(r.report().contains("opsbot.yml:18: unsafe template of fo: {why} is inside single quotes"), r.report());
        assertTrue(problems(MINIMAL.replace("{flags} {host}", "{flags} {host}; sh -c {host}")).get(0).message()
                .contains("runs sh, which can run its input, a file or its operands as code"));
        assertTrue(problems(MINIMAL.replace("{flags} {host}", "--x={flags} {host}")).get(0).message()
                .contains("{flags} can be several words and cannot follow --option="));
    }

    @Test
    void keyFilesThatAreNoUsableKeyAreRefused() throws IOException {
        Files.writeString(dir.resolve("pub"), "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB x@y\n");
        Files.writeString(dir.resolve("locked"), TestKeys.openssh("aes256-ctr"));
        Files.writeString(dir.resolve("junk"), "k");
        assertEquals("private key " + dir.resolve("pub") + " is a public key: give the private key (the file without .pub)",
                problems(MINIMAL.replace("private-key: key", "private-key: pub")).get(0).message());
        assertTrue(problems(MINIMAL.replace("private-key: key", "private-key: locked")).get(0).message()
                .endsWith("is protected by a passphrase, which opsbot cannot type"));
        Problem junk = problems(MINIMAL.replace("private-key: key", "private-key: junk")).get(0);
        assertTrue(junk.message().endsWith("is not an SSH private key (it should start with -----BEGIN OPENSSH PRIVATE KEY-----)"));
        assertEquals(11, junk.line());
    }

    @Test
    void aChangeAnyViewerMayRunUnconfirmedIsRefused() throws IOException {
        String yaml = MINIMAL.replace("  - name: fo\n", "  - name: fo\n    role: viewer\n    confirm: false\n");
        List<Problem> p = problems(yaml);
        assertEquals(List.of("command fo lets any viewer make a change without confirming"), p.stream().map(Problem::message).toList());
        assertEquals(16, p.get(0).line());
        assertInstanceOf(ConfigLoader.Result.Loaded.class, load(yaml.replace("confirm: false", "confirm: true")));
        assertInstanceOf(ConfigLoader.Result.Loaded.class, load(yaml.replace("confirm: false", "confirm: false\n    kind: read")));
    }

    @Test
    void absurdValuesAreRefused() throws IOException {
        String yaml = MINIMAL.replace("  known-hosts: known_hosts\n", """
                  known-hosts: known_hosts
                  output-cap: 100000000
                  command-timeout: 2d
                  connect-timeout: 25h
                  keepalive: 0s
                  max-parallel: 0
                """) + "bot: {page-lines: 0, confirm-timeout: 3d}\nirc: {server: localhost, tls: false, nick: x, sasl: {account: a, password: b},"
                + " channels: [\"#ops\"], reconnect-max: 0s, rate-limit: -1}\n";
        List<String> p = problems(yaml).stream().map(Problem::message).toList();
        assertEquals(List.of(
                "output-cap above 8 MiB: every running command may hold twice that in memory",
                "keepalive must be positive: without it a dead host keeps its pooled session",
                "connect-timeout of 25h is beyond a day",
                "command-timeout of 48h is beyond a day",
                "max-parallel must be 1..256",
                "page-lines must be between 1 and 50",
                "confirm-timeout of 72h is beyond a day",
                "rate-limit must be positive (lines per second)",
                "reconnect-max must be positive").stream().sorted().toList(), p.stream().sorted().toList());
        assertEquals("output-cap below 1024 bytes hides too much",
                problems(MINIMAL.replace("  known-hosts: known_hosts\n", "  known-hosts: known_hosts\n  output-cap: 100\n")).get(0).message());
    }

    @Test
    void trustEntriesThatDifferOnlyInCaseAreRefused() throws IOException {
        List<Problem> p = problems(MINIMAL.replace("\"#ops\": ops", "\"#ops\": ops\n  \"#OPS\": shared"));
        assertEquals(List.of("channels #ops and #OPS differ only in case"), p.stream().map(Problem::message).toList());
        assertEquals(5, p.get(0).line());
    }

    @Test
    void trustForAChannelTheBotNeverJoinsIsAWarningNotAFailure() throws IOException {
        String yaml = MINIMAL.replace("\"#ops\": ops", "\"#ops\": ops\n  \"#opz\": ops")
                + "irc: {server: irc.example.net, nick: opsbot, sasl: {account: a, password: b}, channels: [\"#OPS\"]}\n";
        ConfigLoader.Result r = load(yaml);
        ConfigLoader.Result.Loaded l = assertInstanceOf(ConfigLoader.Result.Loaded.class, r);
        assertEquals(List.of(dir.resolve("opsbot.yml") + ":5: warning: trust is given to #opz, but the bot joins no such"
                + " channel or room [/channels/#opz]\n    hint: add it to irc.channels or matrix.rooms, or fix the name"), l.warnings());
        // With a real problem as well, the warning still comes with the report.
        ConfigLoader.Result.Invalid i = (ConfigLoader.Result.Invalid) load(yaml.replace("pair: compute4, groups", "pair: compute9, groups"));
        assertTrue(i.report().contains(":5: warning: trust is given to #opz"), i.report());
    }

    @Test
    void theExampleDoesNotSuggestADatabaseThatDoesNotWorkYet() throws IOException {
        String text = new String(getClass().getResourceAsStream("/opsbot/examples/opsbot.yml").readAllBytes());
        assertFalse(text.toLowerCase(java.util.Locale.ROOT).contains("postgres"), "the example suggests PostgreSQL");
    }
}
