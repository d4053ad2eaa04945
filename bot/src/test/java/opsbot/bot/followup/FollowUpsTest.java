package opsbot.bot.followup;

import opsbot.bot.chat.ChatNetwork;
import opsbot.bot.chat.Inbound;
import opsbot.bot.chat.Message;
import opsbot.bot.dispatch.Dispatcher;
import opsbot.bot.incident.Actor;
import opsbot.bot.incident.Entry;
import opsbot.bot.incident.Incident;
import opsbot.bot.schedule.Schedule;
import opsbot.bot.store.Store;
import opsbot.bot.testkit.TestEnv;
import opsbot.commands.policy.Identity;
import opsbot.commands.ssh.ExecResult;
import opsbot.commands.ssh.Executor;
import opsbot.commands.ssh.FanOut;
import opsbot.config.ConfigLoader;
import opsbot.config.HostConfig;
import opsbot.config.OpsbotConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.*;

/** Follow-ups on a real store and schedule, a recording network and an executor that records instead of SSH. */
class FollowUpsTest {
    private static final Duration T = Duration.ofSeconds(20);
    @TempDir
    Path dir;

    /** Replies (send) and outbox posts, as "target text"; and what the executor ran. */
    private final List<String> replies = new CopyOnWriteArrayList<>();
    private final List<String> posts = new CopyOnWriteArrayList<>();
    private final List<String> ran = new CopyOnWriteArrayList<>();
    /** account -> nick the network sees them under now. */
    private final Map<String, String> nicks = new ConcurrentHashMap<>();
    private Bot bot;

    private String yaml(boolean withAlice) {
        return """
                bot: {timezone: Europe/Berlin, late-grace: 30s, confirm-timeout: 30s}
                people:
                """ + (withAlice ? "  - {name: alice, irc-account: alice, role: operator, timezone: Europe/Oslo}\n" : "") + """
                  - {name: bob, irc-account: bob, role: admin}
                  - {name: carol, irc-account: carol, role: viewer}
                channels: {"#ops": ops}
                hosts:
                  - {name: compute4, address: 10.0.0.4, aliases: [c4]}
                commands:
                  - name: srv
                    role: operator
                    kind: change
                    args: [{name: target, type: hosts}, {name: action, type: enum, values: [start, stop]}]
                    on: {arg: target}
                    run: "srv all {action}"
                irc: {server: irc.example.net, nick: opsbot, channels: ["#ops"], sasl: {account: opsbot, password: x}}
                ssh: {user: opsbot, private-key: k, known-hosts: kh}
                storage: {path: %s}
                """.formatted(dir.resolve("opsbot"));
    }

    private OpsbotConfig cfg(boolean withAlice) {
        ConfigLoader.Result r = new ConfigLoader(n -> "secret-" + n, false).load("t.yml", yaml(withAlice), null);
        if (r instanceof ConfigLoader.Result.Invalid i) throw new IllegalStateException(i.report());
        return ((ConfigLoader.Result.Loaded) r).config();
    }

    /** The pieces of a bot, as Bot.create wires them, with the recording executor and network. */
    private final class Bot implements AutoCloseable {
        final Store store;
        final Schedule schedule;
        final Dispatcher d;

        Bot(OpsbotConfig cfg) {
            store = Store.open(cfg.storage());
            schedule = Schedule.create(store.pool(), Clock.systemUTC());
            Executor recording = (HostConfig h, String line) -> {
                ran.add(h.name() + ": " + line);
                return new ExecResult.Exited(0, "started\n", "", 0, Duration.ofMillis(5));
            };
            d = new Dispatcher(cfg, store, new FanOut(recording, 4), Clock.systemUTC());
            FollowUps.install(d, schedule);
            schedule.start();
            d.attach(new Recording());
        }

        FollowUpStore rows() {
            return new FollowUpStore(store);
        }

        @Override
        public void close() {
            schedule.close();
            d.close();
            store.close();
        }
    }

    private final class Recording implements ChatNetwork {
        public String name() { return "irc"; }
        public void start(Consumer<Inbound> inbox) { }
        public void send(String target, List<String> lines) { lines.forEach(l -> replies.add(target + " " + l)); }
        public String post(String target, Message m, String thread, String key) {
            posts.add(target + " " + m.plain());
            return null;
        }
        public String nameOf(Identity who, String lastNick) {
            return who instanceof Identity.IrcAccount a ? nicks.getOrDefault(a.account(), lastNick) : lastNick;
        }
        public String selfName() { return "opsbot"; }
        public void close() { }
    }

    @AfterEach
    void tearDown() {
        if (bot != null) bot.close();
    }

    private void start(boolean withAlice) {
        bot = new Bot(cfg(withAlice));
    }

    private void restart(boolean withAlice) {
        bot.close();
        bot = null;
        start(withAlice);
    }

    private void say(String nick, String text) {
        say(nick, "#ops", text);
    }

    private void say(String nick, String channel, String text) {
        bot.d.handle(new Inbound("irc", channel, nick, Identity.irc("irc", nick, nick), text));
    }

    private String lastReply() {
        return replies.isEmpty() ? "" : replies.get(replies.size() - 1);
    }

    private String awaitPost(String what, java.util.function.Predicate<String> p) throws InterruptedException {
        TestEnv.await(what, () -> posts.stream().anyMatch(p), T);
        return posts.stream().filter(p).findFirst().orElseThrow();
    }

    private FollowUp row(long id) {
        return bot.rows().find(id).orElseThrow();
    }

    /** Makes follow-up {@code id} due now (its row and its timer): no test waits for a short delay to pass. */
    private void dueNow(long id) {
        Instant now = Instant.now();
        assertTrue(bot.rows().snooze(id, now));
        bot.schedule.at(FollowUps.KIND, "F" + id, now);
    }

    /** While the bot is down: the follow-ups fell due at {@code at} (their rows and their timers). */
    private void fellDue(Instant at, long... ids) {
        for (long id : ids) {
            opsbot.bot.testkit.WhileDown.fellDue(cfg(true).storage(), "followups", "due_at", id, "F" + id, at);
        }
    }

    @Test
    void aReminderFiresOnceWhereItWasAskedMentioningTheAskerByTheirNickNowAndGoesIntoThatIncident() throws Exception {
        start(true);
        Incident inc = bot.d.incidents().open("compute4 froze", new Actor("bob", "irc", "#ops"));
        say("alice", "!remind 1h check compute4");
        assertTrue(lastReply().matches("#ops F1 at (\\d{4}-\\d\\d-\\d\\d )?\\d\\d:\\d\\d Europe/Oslo, (\\d{4}-\\d\\d-\\d\\d )?\\d\\d:\\d\\d UTC: check compute4 \\(logged into INC-\\d+ then\\)"),
                lastReply());
        nicks.put("alice", "alice_phone"); // she changed nick meanwhile
        // Another incident is active by the time it fires: the reminder still goes into the one active when asked.
        bot.d.incidents().open("something else", new Actor("bob", "irc", "#ops"));
        dueNow(1);
        awaitPost("the reminder", s -> s.contains("reminder F1"));
        assertEquals(List.of("#ops alice_phone: reminder F1: check compute4"),
                posts.stream().filter(s -> s.contains("F1")).toList());
        assertEquals(FollowUp.State.DONE, row(1).state());
        TestEnv.await("logged into " + inc.tag(), () -> bot.d.incidents().store().entries(inc.id()).stream()
                .map(Entry::text).anyMatch("reminder F1 for alice: check compute4"::equals), T);
        TestEnv.await("nothing pending", () -> bot.schedule.ids(FollowUps.KIND).isEmpty(), T);
        restart(true); // a second look after a restart finds nothing to do
        say("bob", "!followups");
        assertEquals("#ops no pending follow-ups", lastReply());
        assertEquals(1, posts.stream().filter(s -> s.contains("reminder F1")).count());
    }

    @Test
    void inIsConfirmedNowRunsAsTheAskerWhenDueAndItsResultMentionsThemAndGoesIntoAnIncident() throws Exception {
        start(true);
        say("alice", "!in 2s srv c4 start");
        assertTrue(replies.stream().anyMatch(s -> s.startsWith("#ops confirm with !y within 30s: at ") && s.endsWith(": srv c4 start")), replies.toString());
        assertTrue(replies.contains("#ops compute4: srv all start"), replies.toString());
        assertTrue(bot.rows().inState(FollowUp.State.PENDING, 10).isEmpty(), "nothing stored before !y");
        say("alice", "!y");
        assertTrue(lastReply().matches("#ops F1 at .* UTC: srv c4 start · !cancel F1 to drop it"), lastReply());
        String result = awaitPost("the result", s -> s.contains("F1 srv c4 start:"));
        assertTrue(result.startsWith("#ops alice: F1 srv c4 start:\n✓ srv · compute4 · exit 0"), result);
        assertTrue(result.contains("\nopened INC-"), result); // a change with no incident open opens one
        assertEquals(List.of("compute4: srv all start"), ran);
        TestEnv.await("done", () -> row(1).state() == FollowUp.State.DONE, T);
        assertEquals("compute4: exit 0", row(1).result());
        Incident inc = bot.d.incidents().active().orElseThrow();
        TestEnv.await("the result in the incident", () -> bot.d.incidents().store().entries(inc.id()).stream()
                .anyMatch(e -> e.text().startsWith("F1 srv c4 start → ✓ srv · compute4")), T);
    }

    @Test
    void inRefusedNowIsNotStoredAndOneRefusedWhenDueRunsNothingAndSaysSoMentioningThem() throws Exception {
        start(true);
        say("carol", "!in 2s srv c4 start");
        assertTrue(lastReply().startsWith("#ops denied"), lastReply()); // the door refuses !in itself for a viewer
        say("alice", "!in 1s srv c9 start");
        assertTrue(lastReply().contains("c9") && lastReply().endsWith("· not scheduled"), lastReply());
        say("alice", "!in 1h srv c4 start");
        say("alice", "!y");
        assertTrue(lastReply().startsWith("#ops F1 at"), lastReply());
        restart(false); // alice removed from people meanwhile
        dueNow(1);
        String refused = awaitPost("the refusal", s -> s.contains("F1 not run"));
        assertTrue(refused.startsWith("#ops alice: F1 not run: denied"), refused);
        assertEquals(List.of(), ran);
        assertEquals(FollowUp.State.DONE, row(1).state());
        assertTrue(row(1).result().startsWith("refused: denied"), row(1).result());
    }

    @Test
    void aCommandFoundRunningAtStartIsUnknownAnnouncedAndNeverReRunByItselfOnlyByRun() throws Exception {
        start(true);
        FollowUp fu = bot.rows().add(FollowUp.Kind.COMMAND, Instant.now().minusSeconds(5), Instant.now().minusSeconds(60),
                "irc-account:alice", "alice", "alice", "irc", "#ops", "srv c4 start", null);
        bot.rows().move(fu.id(), FollowUp.State.RUNNING, null, Instant.now(), FollowUp.State.PENDING);
        bot.schedule.cancel(FollowUps.KIND, fu.timerId());
        restart(true); // as after a crash mid-command
        String said = awaitPost("the announcement", s -> s.contains("outcome unknown"));
        assertEquals("#ops alice: outcome unknown: " + fu.tag() + " srv c4 start was running when the bot stopped; not re-run;"
                + " !run " + fu.tag() + " to run it again", said);
        assertEquals(FollowUp.State.UNKNOWN, row(fu.id()).state());
        restart(true);
        say("bob", "!followups");
        assertTrue(replies.stream().anyMatch(s -> s.startsWith("#ops unknown: " + fu.tag())), replies.toString());
        assertEquals(List.of(), ran, "never re-run by itself");
        assertEquals(1, posts.stream().filter(s -> s.contains("outcome unknown")).count(), "announced once");
        say("bob", "!run " + fu.tag());
        assertTrue(lastReply().startsWith("#ops running " + fu.tag() + " now"), lastReply());
        awaitPost("the result", s -> s.contains(fu.tag() + " srv c4 start (run by bob):"));
        say("bob", "!run " + fu.tag());
        assertEquals("#ops " + fu.tag() + " is done; only a pending, missed or unknown one can be run", lastReply());
        assertEquals(List.of("compute4: srv all start"), ran);
    }

    @Test
    void dueWhileDownWithinTheGraceFiresLateAndSaysSoPastItIsMissedAndRunsOnceOnRun() throws Exception {
        start(true);
        say("alice", "!remind 1h within the grace");
        say("alice", "!in 1h srv c4 start");
        say("alice", "!y");
        bot.close();
        bot = null;
        fellDue(Instant.now().minusSeconds(1), 1, 2); // while the bot was down; the grace is 30s
        start(true);
        String late = awaitPost("the late reminder", s -> s.contains("reminder F1"));
        assertTrue(late.matches("#ops alice: reminder F1: within the grace \\(\\d+ s late: the bot was down\\)"), late);
        awaitPost("the late command", s -> s.contains("F2 srv c4 start (") && s.contains("late: the bot was down):"));
        assertEquals(List.of("compute4: srv all start"), ran);

        say("alice", "!in 1h srv c4 stop");
        say("alice", "!y");
        bot.close();
        bot = null;
        fellDue(Instant.now().minusSeconds(120), 3); // past the 30s grace
        start(true);
        String said = awaitPost("missed", s -> s.contains("missed while down"));
        assertTrue(said.matches("#ops alice: missed while down: F3 run: srv c4 stop \\(due .* UTC, 2 min ago\\), !run F3 or !cancel F3"), said);
        assertEquals(FollowUp.State.MISSED, row(3).state());
        assertEquals(List.of("compute4: srv all start"), ran, "nothing run past the grace");
        say("alice", "!run F3");
        awaitPost("the result", s -> s.contains("F3 srv c4 stop (run by alice):"));
        say("alice", "!run F3");
        assertEquals(List.of("compute4: srv all start", "compute4: srv all stop"), ran);
    }

    @Test
    void followupsListsSoonestFirstBoundedAndCancelAndSnoozeWork() throws Exception {
        start(true);
        for (int i = LIMIT_PLUS; i >= 1; i--) say("alice", "!remind " + i + "h item " + i);
        replies.clear();
        say("bob", "!followups");
        say("bob", "!more"); // paged by the dispatcher: the first page, then the rest on !more
        for (int i = 0; i < 10; i++) say("bob", "!more");
        List<String> shown = replies.stream().filter(s -> s.contains(" · ")).toList();
        assertEquals(FollowUps.LIST_LIMIT, shown.size(), replies.toString());
        assertTrue(shown.get(0).contains("· alice · remind: item 1 · irc #ops"), shown.get(0));
        assertTrue(shown.get(1).contains("remind: item 2 ·"), shown.get(1));
        assertTrue(replies.contains("#ops " + (LIMIT_PLUS - FollowUps.LIST_LIMIT) + " more (the soonest " + FollowUps.LIST_LIMIT + " shown)"),
                replies.toString());
        // bob (admin) cancels alice's; the timer goes too
        long soonest = bot.rows().inState(FollowUp.State.PENDING, 1).get(0).id();
        say("bob", "!cancel F" + soonest);
        assertEquals("#ops cancelled F" + soonest + ": remind: item 1 (alice)", lastReply());
        assertFalse(bot.schedule.ids(FollowUps.KIND).contains("F" + soonest));
        say("bob", "!cancel F" + soonest);
        assertEquals("#ops F" + soonest + " is cancelled; nothing to cancel", lastReply());
        say("bob", "!cancel R3");
        assertTrue(lastReply().startsWith("#ops no follow-up or runbook run R3"), lastReply());
        // snooze: the due time moves and the timer with it
        long next = bot.rows().inState(FollowUp.State.PENDING, 1).get(0).id();
        Instant before = row(next).dueAt();
        say("alice", "!snooze F" + next + " 10m");
        assertTrue(lastReply().startsWith("#ops F" + next + " now at "), lastReply());
        assertEquals(before.plus(Duration.ofMinutes(10)), row(next).dueAt());
        assertEquals(row(next).dueAt().toEpochMilli(), bot.schedule.next(FollowUps.KIND, "F" + next).orElseThrow().toEpochMilli());
        say("alice", "!snooze F" + next + " soon");
        assertEquals("#ops \"soon\" is not a duration (e.g. 10m, 1h)", lastReply());
        say("alice", "!remind 25:00 never");
        assertTrue(lastReply().contains("is not a time"), lastReply());
        say("alice", "!remind 30m");
        assertTrue(lastReply().startsWith("#ops usage: remind WHEN TEXT"), lastReply());
    }

    private static final int LIMIT_PLUS = FollowUps.LIST_LIMIT + 5;

    @Test
    void aShortSnoozeFiresOnceAtTheNewTime() throws Exception {
        start(true);
        say("alice", "!remind 1s ping me");
        say("alice", "!snooze F1 2s");
        Instant due = row(1).dueAt();
        awaitPost("the reminder", s -> s.contains("reminder F1"));
        assertFalse(Instant.now().isBefore(due.minusMillis(50)), "not before its new due time");
        TestEnv.await("the timers gone", () -> bot.schedule.ids(FollowUps.KIND).isEmpty(), T);
        assertEquals(1, posts.stream().filter(s -> s.contains("reminder F1")).count());
    }

    @Test
    void aPendingFollowUpWithoutATimerGetsOneAtStart() throws Exception {
        start(true);
        FollowUp fu = bot.rows().add(FollowUp.Kind.REMIND, Instant.now().plusSeconds(1), Instant.now(),
                "irc-account:alice", "alice", "alice", "irc", "#ops", "re-armed", null);
        assertFalse(bot.schedule.ids(FollowUps.KIND).contains(fu.timerId()));
        restart(true);
        awaitPost("the reminder", s -> s.equals("#ops alice: reminder " + fu.tag() + ": re-armed"));
    }

    /** A crash between Quartz marking a one-shot fired (COMPLETE) and deleting it: the follow-up still comes. */
    @Test
    void aFollowUpWhoseTimerFiredAsTheBotDiedIsStillSaid() throws Exception {
        start(true);
        say("alice", "!remind 1h lingering");
        bot.close();
        bot = null;
        try (Store s = Store.open(cfg(true).storage())) {
            s.transaction("simulate the crash", db -> {
                db.createStatement().executeUpdate("UPDATE QRTZ_TRIGGERS SET TRIGGER_STATE='COMPLETE', NEXT_FIRE_TIME=NULL");
                db.createStatement().executeUpdate("UPDATE followups SET due_at = DATEADD(SECOND, -1, CURRENT_TIMESTAMP)");
                return null;
            });
        }
        start(true);
        awaitPost("the reminder", x -> x.contains("reminder F1: lingering"));
        assertEquals(FollowUp.State.DONE, row(1).state());
    }

    /** Cut off twice (a !run of an unknown one cut off again): "outcome unknown" is said both times. */
    @Test
    void aSecondUnknownOutcomeIsSaidToo() throws Exception {
        start(true);
        FollowUp fu = bot.rows().add(FollowUp.Kind.COMMAND, Instant.now().minusSeconds(5), Instant.now().minusSeconds(60),
                "irc-account:alice", "alice", "alice", "irc", "#ops", "srv c4 start", null);
        bot.rows().move(fu.id(), FollowUp.State.RUNNING, null, Instant.now(), FollowUp.State.PENDING);
        bot.schedule.cancel(FollowUps.KIND, fu.timerId());
        restart(true);
        awaitPost("first unknown", x -> x.contains("outcome unknown"));
        bot.rows().move(fu.id(), FollowUp.State.RUNNING, null, Instant.now().plusSeconds(1), FollowUp.State.UNKNOWN);
        restart(true);
        TestEnv.await("unknown said twice", () -> posts.stream().filter(x -> x.contains("outcome unknown")).count() == 2, T);
        assertTrue(ran.isEmpty(), "never re-run by itself: " + ran);
    }

    /** Not made in private: said where asked, mentioning the asker, never to a nick that may be someone else's. */
    @Test
    void followUpsAreNotMadeInPrivate() throws Exception {
        start(true);
        bot.d.handle(new Inbound("irc", null, "alice", Identity.irc("irc", "alice", "alice"), "!remind 1s private thing"));
        TestEnv.await("the answer", () -> replies.stream().anyMatch(x -> x.contains("ask in a channel or room")), T);
        assertEquals(0, bot.rows().count(FollowUp.State.PENDING));
    }

    /** The command as typed is what runs later, not its shortened display (over 200 characters). */
    @Test
    void aLongScheduledCommandRunsAsTyped() throws Exception {
        start(true);
        String hosts = String.join(",", java.util.Collections.nCopies(25, "compute4"));
        say("alice", "!in 1s srv " + hosts + " start");
        say("alice", "!y");
        TestEnv.await("stored", () -> bot.rows().find(1).isPresent(), T);
        assertEquals("srv " + hosts + " start", row(1).text());
        TestEnv.await("it ran", () -> row(1).state() == FollowUp.State.DONE, T);
        assertTrue(ran.stream().anyMatch(x -> x.contains("srv all start")), ran.toString());
    }

    /** Colleagues in a shared channel see the follow-ups asked there, not what the ops channel plans. */
    @Test
    void aSharedChannelListsOnlyItsOwnFollowUps() throws Exception {
        start(true);
        say("alice", "!remind 1h ops business");
        say("alice", "#mail", "!remind 2h mail business");
        say("carol", "#mail", "!followups");
        assertTrue(lastReply().contains("mail business"), lastReply());
        assertTrue(replies.stream().noneMatch(x -> x.startsWith("#mail") && x.contains("ops business")), replies.toString());
        say("bob", "!followups");
        TestEnv.await("both in #ops", () -> replies.stream().anyMatch(x -> x.startsWith("#ops") && x.contains("mail business"))
                && replies.stream().anyMatch(x -> x.startsWith("#ops") && x.contains("ops business")), T);
    }
}
