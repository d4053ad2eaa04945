package opsbot.bot.testkit;

import opsbot.config.ConfigLoader;
import opsbot.config.OpsbotConfig;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The servers testenv/up.sh started: ports, keys, the fake tools' call log, and a bot config for them. */
public final class TestEnv {
    public final Path root;
    public final Path run;
    public final Map<String, String> vars = new HashMap<>();
    public static final Path HOME = Path.of("/var/lib/opsbot-test");
    /** The test Synapse (testenv/synapse-up.sh). */
    public static final java.net.URI HOMESERVER = java.net.URI.create("http://127.0.0.1:8008");

    public TestEnv() throws IOException {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("testenv/ports.sh"))) p = p.getParent();
        if (p == null) throw new IllegalStateException("testenv/ports.sh not found above " + Path.of("").toAbsolutePath());
        root = p;
        for (String l : Files.readAllLines(root.resolve("testenv/ports.sh"))) {
            int eq = l.indexOf('=');
            if (!l.startsWith("#") && eq > 0) vars.put(l.substring(0, eq).trim(), l.substring(eq + 1).trim());
        }
        run = Path.of(vars.get("RUN_DIR"));
        try (Socket s = new Socket("127.0.0.1", port("IRC_PORT"))) {
            s.getInputStream(); // reachable
        } catch (IOException e) {
            throw new IllegalStateException("the test IRC server is not running: run testenv/test.sh (or testenv/up.sh)", e);
        }
    }

    public int port(String name) {
        return Integer.parseInt(vars.get(name));
    }

    /** A test user (alice, bob, carol, dave) logged in to the test Synapse. */
    public opsbot.bot.matrix.MatrixClient matrixUser(String name) throws Exception {
        opsbot.bot.matrix.MatrixClient c = new opsbot.bot.matrix.MatrixClient(HOMESERVER);
        c.login(name, password());
        return c;
    }

    public String password() {
        return vars.get("ACCOUNT_PASSWORD");
    }

    public IrcUser user(String nick, String account) throws Exception {
        return IrcUser.connect(port("IRC_PORT"), nick, account, password());
    }

    /** Lines the fake site tools logged since the last {@link #clearCalls}. */
    public List<String> calls() throws IOException {
        Path log = HOME.resolve("calls.log");
        return Files.exists(log) ? Files.readAllLines(log) : List.of();
    }

    public void clearCalls() throws IOException {
        Files.deleteIfExists(HOME.resolve("calls.log"));
    }

    /** Makes a fake tool misbehave: {@code fail} with a code, or {@code hang}; null content clears. */
    public void control(String tool, String what, String content) throws IOException {
        Path f = HOME.resolve("control").resolve(tool + "." + what);
        if (content == null) Files.deleteIfExists(f);
        else Files.writeString(f, content);
    }

    /** A bot config for the test servers, loaded (and so validated) through the real loader. */
    public OpsbotConfig config(Path storage, String ircServer) {
        return load("e2e.yml", yaml(storage, ircServer, "opsbot"));
    }

    /** Loads config text through the real loader (so validated), with PW set to the test password. */
    public OpsbotConfig load(String name, String yaml) {
        ConfigLoader.Result r = new ConfigLoader(Map.of("PW", password())::get, true).load(name, yaml, null);
        if (r instanceof ConfigLoader.Result.Invalid i) throw new IllegalStateException(i.report());
        return ((ConfigLoader.Result.Loaded) r).config();
    }

    /**
     * {@link #yaml} with Matrix beside IRC: alice has her Matrix ID too, and {@code room} (on the test Synapse,
     * as the bot user opsbot) is an ops room. With {@code incidents}, IRC #incidents and the room are
     * incident feeds.
     */
    public String yamlWithMatrix(Path storage, String nick, String room, boolean incidents, String syncTimeout) {
        String y = yaml(storage, "localhost", nick)
                .replace("{name: alice, irc-account: alice, role: operator}",
                        "{name: alice, irc-account: alice, matrix-id: \"@alice:localhost\", role: operator}")
                .replace("channels: {\"#ops\": ops, \"#shared\": shared}",
                        "channels: {\"#ops\": ops, \"#shared\": shared, \"#incidents\": shared, \"" + room + "\": ops}");
        if (incidents) {
            y = y.replace("channels: [\"#ops\", \"#shared\"]",
                    "channels: [\"#ops\", \"#shared\", \"#incidents\"]\n  incident-channels: [\"#incidents\"]");
        }
        return y + "matrix: {homeserver: \"" + HOMESERVER + "\", user: opsbot, password: \"${env:PW}\", rooms: [\"" + room
                + "\"]" + (incidents ? ", incident-rooms: [\"" + room + "\"]" : "") + ", sync-timeout: " + syncTimeout + "}\n";
    }

    /** A loopback port nothing listens on now (for the bot's intake in a test). */
    public static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /**
     * The bot as a JVM of its own on the test class path ({@code opsbot run --config config}), its output in
     * {@code log}: so a test can kill it with SIGKILL ({@link Process#destroyForcibly}) and start it again.
     */
    public static Process startBot(Path config, Path log) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Dh2.bindAddress=127.0.0.1", "-cp", System.getProperty("java.class.path"),
                "opsbot.bot.Main", "run", "--config", config.toString());
        pb.redirectErrorStream(true).redirectOutput(log.toFile());
        return pb.start();
    }

    /** Waits until {@code done}, or fails saying {@code what} did not happen. */
    public static void await(String what, java.util.function.BooleanSupplier done, java.time.Duration max)
            throws InterruptedException {
        long end = System.nanoTime() + max.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > end) throw new AssertionError(what + " did not happen within " + max);
            Thread.sleep(50);
        }
    }

    // --- the rebootable host (testenv/up.sh: an sshd on SSH_REBOOT_PORT whose fake reboot power-cycles it) ----

    /** The prefix of the fake tools' call-log lines from the rebootable host: {@code @reboot-host srv [all] [start]}. */
    public static final String REBOOT_HOST_TAG = "@reboot-host ";

    /** The rebootable host's sshd port; its key is in {@code run/known_hosts} like the others'. */
    public int rebootPort() {
        return port("SSH_REBOOT_PORT");
    }

    /**
     * How long the rebootable host stays down after {@code sudo /sbin/reboot} (read when reboot is called);
     * null restores the default (3s).
     */
    public void rebootDelay(java.time.Duration down) throws IOException {
        control("reboot", "delay", down == null ? null : String.format(java.util.Locale.ROOT, "%.3f", down.toMillis() / 1000.0));
    }

    /** A power cycle of the rebootable host has been started and has not brought its sshd back yet. */
    public boolean rebootPending() {
        return Files.exists(run.resolve("reboot-host/power-cycle.pid"));
    }

    /** An sshd on that loopback port accepts a connection and sends its SSH banner (connect within 2s, banner within 5s). */
    public static boolean sshAnswers(int port) {
        try (Socket s = new Socket()) {
            s.connect(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port), 2000);
            s.setSoTimeout(5000); // a loaded machine may be slow to fork the sshd that sends it
            byte[] banner = s.getInputStream().readNBytes(8);
            return new String(banner, java.nio.charset.StandardCharsets.US_ASCII).startsWith("SSH-2.0");
        } catch (IOException e) {
            return false;
        }
    }

    /** Nothing listens on that loopback port: a connection is refused (a host that is down, not a slow one). */
    public static boolean sshRefused(int port) {
        try (Socket s = new Socket()) {
            s.connect(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port), 2000);
            return false;
        } catch (java.net.ConnectException refused) {
            return true;
        } catch (IOException other) { // a timeout is not "down"
            return false;
        }
    }

    /** Waits until the sshd on that port answers, or fails. */
    public static void awaitSshUp(int port, java.time.Duration max) throws InterruptedException {
        await("the sshd on port " + port + " answering", () -> sshAnswers(port), max);
    }

    /** Waits until connections to that port are refused, or fails. */
    public static void awaitSshDown(int port, java.time.Duration max) throws InterruptedException {
        await("the sshd on port " + port + " refusing connections", () -> sshRefused(port), max);
    }

    /** The YAML of that config; the SASL password is read from the environment variable PW. */
    public String yaml(Path storage, String ircServer, String nick) {
        return """
                bot: {page-lines: 4, confirm-timeout: 60s, timezone: Europe/Berlin}
                irc:
                  server: %s
                  port: %d
                  tls: true
                  truststore: %s
                  truststore-password: changeit
                  nick: %s
                  sasl: {account: opsbot, password: "${env:PW}"}
                  channels: ["#ops", "#shared"]
                  rate-limit: 50
                people:
                  - {name: alice, irc-account: alice, role: operator}
                  - {name: bob, irc-account: bob, role: admin}
                  - {name: carol, irc-account: carol, role: viewer}
                channels: {"#ops": ops, "#shared": shared}
                hosts:
                  - {name: admin1, address: 127.0.0.1, port: %d}
                  - {name: compute1, address: 127.0.0.1, port: %d, pair: compute4, groups: [compute], aliases: [c1]}
                  - {name: compute4, address: 127.0.0.1, port: %d, pair: compute1, groups: [compute], aliases: [c4]}
                  - {name: dead1, address: 127.0.0.1, port: %d}
                  - {name: frozen1, address: 127.0.0.1, port: %d}
                  - {name: rekeyed1, address: 127.0.0.1, port: %d}
                ssh:
                  user: opsbot-test
                  private-key: %s
                  known-hosts: %s
                  connect-timeout: 3s
                  command-timeout: 4s
                  max-parallel: 8
                commands:
                  - name: fo
                    role: operator
                    kind: change
                    flags: [{flag: K, help: dead}, {flag: a, help: all}, {flag: m, help: back}]
                    args: [{name: host, type: host}]
                    on: {host: admin1}
                    run: "utils/FailOver.pl {flags} {host}"
                  - name: srv
                    role: operator
                    kind: change
                    args: [{name: target, type: hosts}, {name: action, type: enum, values: [start, stop]}]
                    on: {arg: target}
                    run: "srv all {action}"
                  - name: status
                    role: viewer
                    kind: read
                    args: [{name: target, type: hosts}]
                    on: {arg: target}
                    run: "srv all status"
                  - name: uptime
                    role: viewer
                    kind: read
                    args: [{name: target, type: hosts}]
                    on: {arg: target}
                    run: "uptime"
                storage: {path: %s}
                """.formatted(ircServer, port("IRC_TLS_PORT"), run.resolve("truststore.p12"), nick, port("SSH_PORT"),
                port("SSH_PORT"), port("SSH_PORT"), port("SSH_DEAD_PORT"), port("SSH_DEAD_PORT") - 1,
                port("SSH_REKEYED_PORT"), run.resolve("client_key"), run.resolve("known_hosts"), storage.resolve("opsbot"));
    }
}
