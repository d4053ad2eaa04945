package opsbot.bot;

import opsbot.bot.incident.Actor;
import opsbot.bot.incident.IncidentStore;
import opsbot.bot.store.Store;
import opsbot.config.StorageConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.*;

class MainTest {
    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {
    }

    private static Run run(String stdin, String... args) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = Main.run(args, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void notifyIsASubcommandWithItsOwnUsage() throws Exception {
        Run missing = run("", "notify", "disk full");
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("opsbot notify: --source is missing"), missing.err());
        Run help = run("", "notify", "--help");
        assertEquals(0, help.code());
        assertTrue(help.out().startsWith("usage: opsbot notify --source NAME"), help.out());
    }

    @Test
    void demoShowsConfirmationAndDryRunPlan() throws Exception {
        Run r = run("!help\n!fo -K compute4\n!y\n", "demo");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("<opsbot> you may run here: fo(failover)"), r.out());
        assertTrue(r.out().contains("<opsbot> confirm with !y within 60s: admin1: utils/FailOver.pl -K compute4"), r.out());
        assertTrue(r.out().contains("<opsbot> dry-run: would run on admin1 (10.0.0.10): utils/FailOver.pl -K compute4"), r.out());
    }

    @Test
    void demoHasTheExamplesDutyRotation() throws Exception {
        Run r = run("!duty\n", "demo");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("<opsbot> ") && r.out().contains("primary") && r.out().contains("alice")
                && r.out().contains("bob"), r.out());
    }

    /** Piped input that ends only once the output shows {@code until} (or after 20s), like {@code (printf …; sleep 4) |}. */
    @Test
    void demoShowsAReminderFiring() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        byte[] lines = "!remind 2s check compute4\n!followups\n".getBytes(StandardCharsets.UTF_8);
        java.io.InputStream stdin = new java.io.InputStream() {
            private int at;

            @Override
            public int read() {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0];
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (at < lines.length) {
                    int n = Math.min(len, lines.length - at);
                    System.arraycopy(lines, at, b, off, n);
                    at += n;
                    return n;
                }
                long end = System.nanoTime() + java.time.Duration.ofSeconds(20).toNanos();
                while (!out.toString(StandardCharsets.UTF_8).contains("reminder F1") && System.nanoTime() < end) {
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return -1;
                    }
                }
                return -1;
            }
        };
        int code = Main.run(new String[]{"demo"}, stdin, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String o = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
        assertTrue(o.matches("(?s).*<opsbot> F1 at (\\d{4}-\\d\\d-\\d\\d )?\\d\\d:\\d\\d Europe/Berlin, (\\d{4}-\\d\\d-\\d\\d )?\\d\\d:\\d\\d UTC: check compute4\n.*"), o);
        // !followups answered (F1 listed, unless it had already fired on a slow machine)
        assertTrue(o.contains("<opsbot> F1 · ") || o.contains("<opsbot> no pending follow-ups"), o);
        assertTrue(o.contains("<opsbot> you: reminder F1: check compute4\n"), o);
    }

    @Test
    void checkConfigListsEveryProblemWithItsLine() throws Exception {
        Path f = dir.resolve("bad.yml");
        Files.writeString(f, """
                hosts:
                  - {name: compute1, address: 10.0.1.1, pair: compute9}
                ssh: {user: opsbot, private-key: nokey, known-hosts: noknown}
                """);
        Run r = run("", "check-config", f.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains(f + ":2: unknown host in pair"), r.err());
        assertTrue(r.err().contains(f + ":3: private key " + dir.resolve("nokey") + " does not exist"), r.err());
        assertTrue(r.err().contains("3 problems"), r.err());
    }

    @Test
    void refusesToRunOnAnInvalidConfig() throws Exception {
        Path f = dir.resolve("bad.yml");
        Files.writeString(f, "irc: {server: irc.example.net, nick: opsbot}\nbogus: 1\n");
        Run r = run("", "run", "--config", f.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("unknown key 'bogus'"), r.err());
        assertTrue(r.err().contains("not starting"), r.err());
    }

    /** Several problems of different kinds (YAML types, a secret, a template, a key file): all of them, once. */
    @Test
    void checkConfigReportsEveryProblemInOneRun() throws Exception {
        Files.writeString(dir.resolve("key.pub"), "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB opsbot@example\n");
        Files.writeString(dir.resolve("known"), "");
        Path f = dir.resolve("bad.yml");
        Files.writeString(f, """
                irc: {server: irc.example.net, port: sixty, nick: opsbot, sasl: {account: opsbot, password: "${env:OPSBOT_TEST_UNSET_VAR}"}, channels: ["#ops"]}
                channels: {"#ops": ops, "#OPS": shared, "#elsewhere": ops}
                hosts: [{name: admin1, address: 10.0.0.10}]
                ssh: {user: opsbot, private-key: key.pub, known-hosts: known, keepalive: 0s, command-timeout: 2d}
                commands:
                  - name: log
                    role: viewer
                    kind: change
                    confirm: false
                    args: [{name: why, type: text}]
                    on: {host: admin1}
                    run: "logger -t ops 'fo: {why}'"
                """);
        Run r = run("", "check-config", f.toString());
        assertEquals(1, r.code());
        String e = r.err();
        assertAll(
                () -> assertTrue(e.contains(f + ":1: bad value 'sixty': expected a whole number"), e),
                () -> assertTrue(e.contains(f + ":1: environment variable OPSBOT_TEST_UNSET_VAR is not set"), e),
                () -> assertTrue(e.contains(f + ":2: channels #ops and #OPS differ only in case"), e),
                () -> assertTrue(e.contains(f + ":2: warning: trust is given to #elsewhere, but the bot joins no such channel"), e),
                () -> assertTrue(e.contains(f + ":4: private key " + dir.resolve("key.pub") + " is a public key"), e),
                () -> assertTrue(e.contains(f + ":4: keepalive must be positive"), e),
                () -> assertTrue(e.contains(f + ":4: command-timeout of 48h is beyond a day"), e),
                () -> assertTrue(e.contains(f + ":9: command log lets any viewer make a change without confirming"), e),
                () -> assertTrue(e.contains(f + ":12: unsafe template of log: {why} is inside single quotes"), e),
                () -> assertTrue(e.contains("8 problems"), e),
                () -> assertFalse(e.contains("Exception") || e.contains("java."), e));
    }

    @Test
    void checkConfigWarnsWithoutFailing() throws Exception {
        Files.writeString(dir.resolve("key"), "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n");
        Files.writeString(dir.resolve("known"), "");
        Path f = dir.resolve("ok.yml");
        Files.writeString(f, """
                channels: {"#ops": ops}
                hosts: [{name: admin1, address: 10.0.0.10}]
                ssh: {user: opsbot, private-key: key, known-hosts: known}
                """);
        Run r = run("", "check-config", f.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains(f + ":1: warning: trust is given to #ops, but the bot joins no such channel or room"), r.err());
        assertTrue(r.out().contains("ok (1 hosts"), r.out());
    }

    @Test
    void checkConfigAcceptsAValidFile() throws Exception {
        Files.writeString(dir.resolve("key"), "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n");
        Files.writeString(dir.resolve("known"), "");
        Path f = dir.resolve("ok.yml");
        Files.writeString(f, """
                hosts: [{name: admin1, address: 10.0.0.10}]
                ssh: {user: opsbot, private-key: key, known-hosts: known}
                commands:
                  - {name: slots, kind: read, role: viewer, on: {host: admin1}, run: audit_slots}
                """);
        Run r = run("", "check-config", f.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("ok (1 hosts, 1 commands, 0 people)"), r.out());
    }

    @Test
    void usageErrorsExitTwo() throws Exception {
        assertEquals(2, run("").code());
        assertEquals(2, run("", "frobnicate").code());
        assertEquals(2, run("", "check-config").code());
    }

    @Test
    void incidentCommandLineSaysWhatIsWrongInOneLine() throws Exception {
        assertEquals(2, run("", "incident").code());
        assertEquals(2, run("", "incident", "export").code(), "export needs a number");
        Run notANumber = run("", "incident", "export", "seven", "--config", "x.yml");
        assertEquals(2, notANumber.code());
        assertEquals("opsbot: not an incident number: seven\n", notANumber.err());
        Run noConfig = run("", "incident", "verify", "--config", dir.resolve("missing.yml").toString());
        assertEquals(1, noConfig.code());
        assertFalse(noConfig.err().contains("Exception"), noConfig.err());
    }

    /** A config whose store is {@code data/opsbot} under the test's folder. */
    private Path storeConfig(String extra) throws Exception {
        Files.writeString(dir.resolve("key"), "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n");
        Files.writeString(dir.resolve("known"), "");
        Path f = dir.resolve("opsbot.yml");
        Files.writeString(f, extra + """
                hosts: [{name: admin1, address: 10.0.0.10}]
                ssh: {user: opsbot, private-key: key, known-hosts: known}
                storage: {path: data/opsbot}
                """);
        return f;
    }

    @Test
    void theIncidentCommandLineUsesTheBotsPasswordAndKeyFiles() throws Exception {
        Path f = storeConfig("");
        Path data = dir.resolve("data");
        StorageConfig storage = StorageConfig.embedded(data.resolve("opsbot").toString());
        try (Store store = Store.open(storage)) {
            new IncidentStore(store).open("compute4 frozen", new Actor("alice", "irc", "#ops"), Instant.now());
        }
        Run ok = run("", "incident", "verify", "--config", f.toString());
        assertEquals(0, ok.code(), ok.err());
        assertTrue(ok.out().startsWith("INC-1: chain intact, 1 entries"), ok.out());

        // Another password in the file: the database refuses the command line, in one line.
        String pw = Files.readString(data.resolve("opsbot.db-password"));
        Files.writeString(data.resolve("opsbot.db-password"), "someone-elses-password-0123\n");
        Run refused = run("", "incident", "verify", "--config", f.toString());
        assertEquals(1, refused.code());
        assertEquals("opsbot: cannot read the store: the database refused user opsbot with the password from "
                + data.resolve("opsbot.db-password") + "\n", refused.err());
        Files.writeString(data.resolve("opsbot.db-password"), pw);

        // Without the key file, verify says what it could check.
        Files.move(data.resolve("opsbot.chain-key"), dir.resolve("chain-key"));
        Run linkage = run("", "incident", "verify", "--config", f.toString());
        assertEquals(0, linkage.code(), linkage.err());
        assertTrue(linkage.out().startsWith("INC-1: linkage intact, 1 entries"), linkage.out());
        assertTrue(linkage.out().contains("linkage only: without the chain key a rewrite of the entries cannot be told"), linkage.out());
        assertFalse(Files.exists(data.resolve("opsbot.chain-key")), "the reader made up no key");

        // The key given in the config instead, from its file: the full check again.
        Files.writeString(f, "storage: {path: data/opsbot, chain-key: \"${file:" + dir.resolve("chain-key") + "}\"}\n"
                + Files.readString(f).replace("storage: {path: data/opsbot}\n", ""));
        Run keyed = run("", "incident", "verify", "--config", f.toString());
        assertEquals(0, keyed.code(), keyed.err());
        assertTrue(keyed.out().startsWith("INC-1: chain intact, 1 entries"), keyed.out());
    }

    @Test
    void theBotDoesNotStartOnADataDirectoryOthersCanRead() throws Exception {
        Path f = storeConfig("irc: {server: irc.example.net, nick: opsbot, sasl: {account: opsbot, password: pw}}\n");
        Path data = Files.createDirectories(dir.resolve("data"));
        Files.setPosixFilePermissions(data, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Run r = run("", "run", "--config", f.toString());
        assertEquals(1, r.code());
        assertEquals("opsbot: not starting: the data directory " + data + " is rwxr-xr-x: others may read or change"
                + " the database, its passwords and the chain key; run: chmod 700 " + data + "\n", r.err());
    }
}
