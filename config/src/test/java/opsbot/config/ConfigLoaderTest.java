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
        Files.writeString(dir.resolve("key"), "k");
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
        ConfigLoader.Result r = new ConfigLoader(Map.of("OPSBOT_IRC_PASSWORD", "x")::get, false)
                .load("opsbot.yml", text, null);
        if (r instanceof ConfigLoader.Result.Invalid i) {
            fail(i.report());
        }
        OpsbotConfig c = ((ConfigLoader.Result.Loaded) r).config();
        assertEquals(9, c.hosts().size());
        assertTrue(c.commands().stream().anyMatch(x -> x.name().equals("fo")));
        assertEquals(Duration.ofSeconds(60), c.bot().staleAfter());
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
        ConfigLoader.Result r = load(yaml);
        // Secrets resolve before binding: an unresolved one stops there, with its line.
        List<Problem> p = ((ConfigLoader.Result.Invalid) r).problems();
        assertEquals(1, p.size());
        assertTrue(p.get(0).message().contains("NOPE"));
        assertEquals(10, p.get(0).line());

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
}
