package opsbot.bot.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import opsbot.bot.Bot;
import opsbot.bot.irc.IrcNetwork;
import opsbot.bot.matrix.MatrixClient;
import opsbot.bot.matrix.MatrixNetwork;
import opsbot.bot.store.Store;
import opsbot.bot.testkit.IrcUser;
import opsbot.bot.testkit.MatrixRoom;
import opsbot.bot.testkit.TestEnv;
import opsbot.config.OpsbotConfig;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * One incident across both real networks: commands from a Matrix room and notes from IRC land in one
 * hash-chained log, shown as a Matrix thread and as [INC-n] lines in an IRC channel; it survives a bot
 * restart and a homeserver restart; the exported report has the whole timeline; an altered row is named.
 */
@Tag("e2e")
class IncidentEndToEndTest {
    private static final Duration T = Duration.ofSeconds(20);

    private record Running(Bot bot, IrcNetwork irc, MatrixNetwork matrix) {
    }

    private static Running start(OpsbotConfig cfg) throws Exception {
        Bot bot = Bot.create(cfg, false);
        IrcNetwork irc = new IrcNetwork(cfg.irc());
        MatrixNetwork m = bot.matrixNetwork(cfg);
        bot.attach(irc).attach(m);
        String room = cfg.matrix().rooms().get(0);
        TestEnv.await("opsbot joining its rooms and channels",
                () -> m.isJoined(room) && irc.isJoined("#incidents") && irc.isJoined("#ops"), T);
        return new Running(bot, irc, m);
    }

    /** opsbot's own command line, in another JVM, against the running bot's store. */
    private static Cli cli(TestEnv env, Path config, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-cp", System.getProperty("java.class.path"), "opsbot.bot.Main"));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("--config", config.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("PW", env.password());
        pb.environment().put("OPSBOT_LOG_LEVEL", "WARN");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Cli(p.waitFor(), out);
    }

    private record Cli(int exit, String out) {
    }

    @Test
    void oneIncidentAcrossBothNetworksRestartsExportAndTamperCheck() throws Exception {
        TestEnv env = new TestEnv();
        MatrixClient alice = env.matrixUser("alice"), dave = env.matrixUser("dave");
        String room = alice.createRoom("ops-inc-" + System.nanoTime(), MatrixRoom.BOT, "@dave:localhost");
        dave.join(room);
        Path dir = Files.createTempDirectory("opsbot-incident");
        Path configFile = dir.resolve("opsbot.yml");
        // On disk as well: the command-line runs below read it from there.
        String yaml = env.yamlWithMatrix(dir, "opsbot", room, true, "5s");
        Files.writeString(configFile, yaml);
        OpsbotConfig cfg = env.load(configFile.toString(), yaml);
        env.clearCalls();

        Running run = start(cfg);
        try (IrcUser bob = env.user("bob", "bob")) {
            bob.join("#ops");
            bob.join("#incidents");
            MatrixRoom view = new MatrixRoom(alice, room);

            // alice fails compute4 over from the Matrix room; no incident is open, so one opens.
            String cmdEvent = alice.send(room, "m.text", "!fo -K compute4", null);
            view.botSays("confirm with !y");
            alice.send(room, "m.text", "!y", null);
            String opened = view.botSays("opened INC-");
            String tag = opened.substring(opened.indexOf("INC-"), opened.indexOf(' ', opened.indexOf("INC-")));
            long n = Long.parseLong(tag.substring(4));
            assertTrue(view.botSays("fo ·").startsWith("✓ fo · admin1 · exit 0"));
            assertEquals(List.of("FailOver.pl [-K] [compute4]"), env.calls());

            // The Matrix thread: a root message, then each entry as a threaded reply with an HTML body.
            JsonNode root = view.await("the thread root", e -> e.path("sender").asText().equals(MatrixRoom.BOT)
                    && e.path("content").path("body").asText().startsWith(tag + ": fo -K compute4 — opened by alice"), T);
            String rootId = root.path("event_id").asText();
            JsonNode ran = view.await("the result in the thread", e -> MatrixRoom.inThread(e, rootId)
                    && e.path("content").path("body").asText().startsWith("alice@matrix ran: fo -K compute4 → ✓ fo · admin1 · exit 0"), T);
            assertTrue(ran.path("content").path("formatted_body").asText().contains("<code>fo -K compute4 → ✓ fo"));
            assertTrue(ran.path("content").path("m.relates_to").path("is_falling_back").asBoolean());
            view.await("the confirmation in the thread", e -> MatrixRoom.inThread(e, rootId)
                    && e.path("content").path("body").asText().equals(
                    "alice@matrix confirmed: fo -K compute4 → admin1: utils/FailOver.pl -K compute4"), T);
            view.await("✅ on alice's command", e -> e.path("type").asText().equals("m.reaction")
                    && e.path("content").path("m.relates_to").path("event_id").asText().equals(cmdEvent)
                    && e.path("content").path("m.relates_to").path("key").asText().equals("✅"), T);

            // The same entries as one line each in the IRC incident channel.
            bob.expect("opsbot", t -> t.equals("[" + tag + "] alice@matrix opened: fo -K compute4"), T);
            bob.expect("opsbot", t -> t.startsWith("[" + tag + "] alice@matrix ran: fo -K compute4 → ✓ fo · admin1 · exit 0"), T);

            // A note typed on IRC shows in the Matrix thread; one written in the thread shows on IRC.
            bob.say("#ops", "!note compute4 froze at the leap second, like imap2 did");
            bob.expect("opsbot", t -> t.equals("noted in " + tag), T);
            view.await("bob's IRC note in the thread", e -> MatrixRoom.inThread(e, rootId)
                    && e.path("content").path("body").asText().equals("bob@irc note: compute4 froze at the leap second, like imap2 did"), T);
            ObjectNode threaded = MatrixClient.inThread(MatrixClient.message("m.text", "services up on compute1", null), rootId, rootId);
            alice.sendEvent(room, "m.room.message", threaded);
            bob.expect("opsbot", t -> t.equals("[" + tag + "] alice@matrix note: services up on compute1"), T);

            // Someone not in people is denied, and the attempt is logged.
            dave.send(room, "m.text", "!fo -m compute4", null);
            assertTrue(view.botSays("denied").startsWith("denied: `fo` needs operator"));
            bob.expect("opsbot", t -> t.startsWith("[" + tag + "] @dave:localhost denied: fo -m compute4"), T);

            // The homeserver restarts: IRC carries on at once, the thread catches up, Matrix commands work again.
            Path pid = env.run.resolve("synapse-root/var/lib/opsbot-synapse/homeserver.pid");
            new ProcessBuilder("kill", Files.readString(pid).trim()).inheritIO().start().waitFor();
            waitForHomeserver(false);
            bob.say("#ops", "!note noted while the homeserver was down");
            bob.expect("opsbot", t -> t.equals("[" + tag + "] bob@irc note: noted while the homeserver was down"), T);
            Process up = new ProcessBuilder("bash", env.root.resolve("testenv/synapse-up.sh").toString()).inheritIO().start();
            assertEquals(0, up.waitFor(), "testenv/synapse-up.sh restarts synapse");
            view.await("the note from the outage in the thread", e -> MatrixRoom.inThread(e, rootId)
                    && e.path("content").path("body").asText().equals("bob@irc note: noted while the homeserver was down"),
                    Duration.ofSeconds(60));
            alice.send(room, "m.text", "!ping", null);
            assertEquals("pong", view.botSays("pong"));

            // The bot is killed and restarted: nothing is replayed.
            run.bot().close();
            run = start(cfg);
            alice.send(room, "m.text", "!ping", null);
            assertEquals("pong", view.botSays("pong"));
            assertEquals(List.of("FailOver.pl [-K] [compute4]"), env.calls(), "the confirmed failover ran exactly once");

            bob.say("#ops", "!incident close leap second froze compute4; failed over to compute1");
            bob.expect("opsbot", t -> t.startsWith("closed " + tag + " after "), T);
            run.bot().dispatcher().incidents().flush(T);

            // The report, exported by a second process while the bot runs.
            Cli export = cli(env, configFile, "incident", "export", Long.toString(n));
            assertEquals(0, export.exit(), export.out());
            String md = export.out();
            assertTrue(md.startsWith("# " + tag + ": fo -K compute4\n"), md);
            for (String part : List.of("by alice", "People involved:** alice, bob, @dave:localhost", "chain intact",
                    "alice via matrix in " + room + " confirmed: fo -K compute4 → admin1: utils/FailOver.pl -K compute4",
                    "alice via matrix in " + room + " ran: fo -K compute4 → ✓ fo · admin1 · exit 0",
                    "bob via irc in #ops note: compute4 froze at the leap second, like imap2 did",
                    "alice via matrix in " + room + " note: services up on compute1",
                    "bob via irc in #ops note: noted while the homeserver was down",
                    "@dave:localhost via matrix in " + room + " denied: fo -m compute4",
                    "## Summary\n\nleap second froze compute4; failed over to compute1", "Europe/Berlin", "UTC")) {
                assertTrue(md.contains(part), "report lacks: " + part + "\n" + md);
            }
            Cli ok = cli(env, configFile, "incident", "verify", Long.toString(n));
            assertEquals(0, ok.exit(), ok.out());

            // Someone with the day-to-day database password (row rights, as the bot has; not the admin's, not the
            // chain key) edits the log through the running bot's database port: verify names the entry, in chat
            // and on the command line.
            String pw = Files.readString(Path.of(cfg.storage().path() + ".db-password")).strip();
            try (Connection c = DriverManager.getConnection(cfg.storage().url(), "opsbot", pw);
                 Statement s = c.createStatement()) {
                assertEquals(1, s.executeUpdate("UPDATE incident_entries SET text='all fine' WHERE incident_id=" + n
                        + " AND seq=4"));
            }
            Cli broken = cli(env, configFile, "incident", "verify", Long.toString(n));
            assertEquals(1, broken.exit());
            assertTrue(broken.out().startsWith(tag + ": BROKEN at entry 4: content altered"), broken.out());
            bob.say("#ops", "!incident verify " + n);
            bob.expect("opsbot", t -> t.startsWith(tag + ": BROKEN at entry 4"), T);
        } finally {
            run.bot().close();
            restartHomeserverIfDown(env); // a failure mid-way must not take the homeserver from the other tests
        }
    }

    private static void restartHomeserverIfDown(TestEnv env) throws Exception {
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(new java.net.InetSocketAddress("127.0.0.1", 8008), 500);
        } catch (java.io.IOException e) {
            new ProcessBuilder("bash", env.root.resolve("testenv/synapse-up.sh").toString()).inheritIO().start().waitFor();
        }
    }

    private static void waitForHomeserver(boolean up) throws Exception {
        long end = System.nanoTime() + T.toNanos();
        while (System.nanoTime() < end) {
            boolean answers;
            try (java.net.Socket s = new java.net.Socket()) {
                s.connect(new java.net.InetSocketAddress("127.0.0.1", 8008), 500);
                answers = true;
            } catch (java.io.IOException e) {
                answers = false;
            }
            if (answers == up) return;
            Thread.sleep(100);
        }
        throw new AssertionError("the homeserver did not go " + (up ? "up" : "down"));
    }

    /**
     * The incident feed is an outbox in the store: with the homeserver down, entries are added, then the bot
     * stops too; the homeserver starts, then the bot: every entry arrives in the Matrix thread, in order, once.
     */
    @Test
    void entriesAddedWhileTheHomeserverIsDownArriveOnceInOrderAfterBothRestart() throws Exception {
        TestEnv env = new TestEnv();
        MatrixClient alice = env.matrixUser("alice");
        String room = alice.createRoom("ops-outbox-" + System.nanoTime(), MatrixRoom.BOT);
        Path dir = Files.createTempDirectory("opsbot-outbox");
        OpsbotConfig cfg = env.load("outbox.yml", env.yamlWithMatrix(dir, "opsbot", room, true, "5s"));
        Running run = start(cfg);
        boolean stopped = false;
        try (IrcUser bob = env.user("bob", "bob")) {
            bob.join("#ops");
            bob.join("#incidents");
            MatrixRoom view = new MatrixRoom(alice, room);
            bob.say("#ops", "!incident open outbox while the homeserver is away");
            String opened = bob.expect("opsbot", t -> t.startsWith("opened INC-"), T).text();
            String tag = opened.substring(opened.indexOf("INC-"), opened.indexOf(' ', opened.indexOf("INC-")));
            String rootId = view.await("the thread root", e -> e.path("sender").asText().equals(MatrixRoom.BOT)
                    && e.path("content").path("body").asText().startsWith(tag + ": outbox while"), T).path("event_id").asText();

            Path pid = env.run.resolve("synapse-root/var/lib/opsbot-synapse/homeserver.pid");
            new ProcessBuilder("kill", Files.readString(pid).trim()).inheritIO().start().waitFor();
            waitForHomeserver(false);
            int notes = 5;
            for (int i = 1; i <= notes; i++) {
                bob.say("#ops", "!note away " + i);
                String n = "[" + tag + "] bob@irc note: away " + i;
                bob.expect("opsbot", t -> t.equals(n), T); // IRC carries on at once, in order
            }
            run.bot().close();
            stopped = true;
            try (Store st = Store.open(cfg.storage())) {
                assertEquals(notes, (int) st.transaction("count", db -> {
                    try (Statement s = db.createStatement(); var r = s.executeQuery(
                            "SELECT COUNT(*) FROM outbox WHERE network='matrix' AND state='PENDING'")) {
                        r.next();
                        return r.getInt(1);
                    }
                }), "the notes wait in the store while the homeserver and the bot are both down");
            }

            Process up = new ProcessBuilder("bash", env.root.resolve("testenv/synapse-up.sh").toString()).inheritIO().start();
            assertEquals(0, up.waitFor(), "testenv/synapse-up.sh restarts synapse");
            run = start(cfg);
            stopped = false;
            bob.say("#ops", "!note back");
            view.await("the note after the restart", e -> MatrixRoom.inThread(e, rootId)
                    && e.path("content").path("body").asText().equals("bob@irc note: back"), Duration.ofSeconds(60));
            List<String> thread = view.seen().stream().filter(e -> MatrixRoom.inThread(e, rootId))
                    .map(e -> e.path("content").path("body").asText()).filter(b -> b.startsWith("bob@irc note: ")).toList();
            assertEquals(List.of("bob@irc note: away 1", "bob@irc note: away 2", "bob@irc note: away 3",
                    "bob@irc note: away 4", "bob@irc note: away 5", "bob@irc note: back"), thread,
                    "each entry once, in order, the ones from the outage before the one after it");
        } finally {
            if (!stopped) run.bot().close();
            restartHomeserverIfDown(env);
        }
    }
}
