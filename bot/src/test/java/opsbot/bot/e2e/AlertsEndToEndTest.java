package opsbot.bot.e2e;

import opsbot.bot.alerts.Alerts;
import opsbot.bot.alerts.Event;
import opsbot.bot.dispatch.Dispatcher;
import opsbot.bot.irc.IrcNetwork;
import opsbot.bot.matrix.MatrixClient;
import opsbot.bot.matrix.MatrixNetwork;
import opsbot.bot.outbox.Target;
import opsbot.bot.schedule.Schedule;
import opsbot.bot.store.Store;
import opsbot.bot.testkit.IrcUser;
import opsbot.bot.testkit.MatrixRoom;
import opsbot.bot.testkit.TestEnv;
import opsbot.commands.ssh.DryRunExecutor;
import opsbot.commands.ssh.FanOut;
import opsbot.config.OpsbotConfig;
import opsbot.config.Severity;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Alerts on the real servers: events folded (as the intake will, inside the transaction that stores them) arrive
 * as one line each in the routed IRC channel on InspIRCd and the room on Synapse; a redelivery says nothing more;
 * {@code !alerts}, {@code !silence} and {@code !unsilence} work from IRC.
 */
@Tag("e2e")
class AlertsEndToEndTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String MISSING = "missing file 87040 in user.x cyrus.index";

    @Test
    void foldedEventsAreSaidOnceInTheRoutedChannelAndRoomAndSilencesWorkFromChat() throws Exception {
        TestEnv env = new TestEnv();
        MatrixClient mx = env.matrixUser("alice");
        String room = mx.createRoom("alerts-" + System.nanoTime(), "@opsbot:localhost");
        String yaml = env.yamlWithMatrix(Files.createTempDirectory("opsbot-alerts"), "opsbot", room, false, "5s") + """
                intake:
                  sources:
                    - {name: backup, token: "backup-token-0123456789"}
                  routes:
                    - {source: "*", min-severity: warning, to: ["#ops", "%s"]}
                """.formatted(room);
        OpsbotConfig cfg = env.load("alerts-e2e.yml", yaml);
        IrcUser alice = env.user("alice_alr", "alice");
        Store store = Store.open(cfg.storage());
        Schedule schedule = Schedule.create(store.pool(), Clock.systemUTC());
        Dispatcher dispatcher = new Dispatcher(cfg, store, new FanOut(new DryRunExecutor(), 4), Clock.systemUTC());
        try {
            Alerts alerts = Alerts.install(cfg, dispatcher, schedule);
            schedule.start();
            alice.join("#ops");
            MatrixRoom r = new MatrixRoom(mx, room);
            IrcNetwork irc = new IrcNetwork(cfg.irc(), cfg.bot().prefix());
            MatrixNetwork m = new MatrixNetwork(cfg.matrix(), store::state, store::setState);
            dispatcher.attach(irc);
            dispatcher.attach(m);
            TestEnv.await("opsbot in #ops and the room", () -> irc.isJoined("#ops") && m.isJoined(room), WAIT);
            List<Target> places = List.of(new Target("irc", "#ops"), new Target("matrix", room));

            Event disk = new Event("backup", "events", Event.Action.FIRING, Severity.ERROR, "k1", "imap3", MISSING, null, null);
            for (int i = 0; i < 3; i++) { // the first, then a sender retrying twice
                store.transaction("store an event", db -> {
                    alerts.fold(db, 1, disk);
                    return null;
                });
            }
            String line = "[A1] ERROR backup imap3: " + MISSING;
            assertEquals(line, alice.expect("opsbot", t -> t.startsWith("[A"), WAIT).text());
            assertEquals(line, r.botSays("[A1]"), "the same line in the Matrix room");
            assertTrue(dispatcher.outbox().awaitSent(places, WAIT));

            alice.say("#ops", "!alerts");
            assertEquals("1 open, 0 resolved in the last 24h (!alerts show A12 for one)",
                    alice.next("opsbot", WAIT).text(), "the next thing said: the redeliveries said nothing");
            assertTrue(alice.next("opsbot", WAIT).text().startsWith("A1 ERROR backup imap3: " + MISSING + " · ×3 since "));

            alice.say("#ops", "!silence host:imap3 1h swapping disks");
            assertTrue(alice.expect("opsbot", t -> t.startsWith("S"), WAIT).text()
                    .startsWith("S1: host imap3 silenced until "), "silenced from chat");
            store.transaction("store events", db -> {
                alerts.fold(db, 2, new Event("backup", "events", Event.Action.FIRING, Severity.CRITICAL, "k2", "imap3",
                        "disk 2 failed", null, null));
                alerts.fold(db, 3, new Event("backup", "events", Event.Action.FIRING, Severity.ERROR, "k3", "imap5",
                        "quota run failed", null, null));
                return null;
            });
            assertEquals("[A3] ERROR backup imap5: quota run failed", alice.next("opsbot", WAIT).text(),
                    "A2 (imap3) is silenced: the next line is A3");

            alice.say("#ops", "!unsilence S1");
            String lifted = alice.next("opsbot", WAIT).text();
            assertTrue(lifted.startsWith("lifted S1 (host imap3, was until ") && lifted.endsWith("1 alert it held still open: their next event is said"),
                    lifted);

            store.transaction("store an event", db -> {
                alerts.fold(db, 4, new Event("backup", "events", Event.Action.RESOLVED, Severity.ERROR, "k1", "imap3", MISSING,
                        null, null));
                return null;
            });
            String resolved = alice.next("opsbot", WAIT).text();
            assertTrue(resolved.matches("\\[A1] resolved: backup imap3: " + MISSING + " · after \\d+s, ×3"), resolved);
            assertEquals(resolved, r.botSays("[A1] resolved"));
        } finally {
            schedule.close();
            dispatcher.close();
            store.close();
            alice.close();
        }
    }
}
