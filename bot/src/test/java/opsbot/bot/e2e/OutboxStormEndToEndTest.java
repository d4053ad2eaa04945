package opsbot.bot.e2e;

import opsbot.bot.chat.ChatNetwork;
import opsbot.bot.chat.Inbound;
import opsbot.bot.chat.Message;
import opsbot.bot.irc.IrcNetwork;
import opsbot.bot.metrics.Metrics;
import opsbot.bot.outbox.Backoff;
import opsbot.bot.outbox.Item;
import opsbot.bot.outbox.Outbox;
import opsbot.bot.outbox.Target;
import opsbot.bot.store.Store;
import opsbot.bot.testkit.IrcUser;
import opsbot.bot.testkit.TestEnv;
import opsbot.config.OpsbotConfig;
import opsbot.config.StorageConfig;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The outbox on the real InspIRCd: a storm of broadcasts to a channel is the line budget and one digest line
 * (each line within 512 bytes as relayed); rows written while the IRC server is down arrive in order once it
 * is back. The budget's minute passes on a clock the test moves, not by waiting.
 */
@Tag("e2e")
class OutboxStormEndToEndTest {
    private static final Duration T = Duration.ofSeconds(20);
    private static final int PER_MINUTE = 5;
    private static final String CHANNEL = "#shared";

    /** The system clock plus an offset the test adds to. */
    static final class AheadClock extends Clock {
        final AtomicLong aheadMs = new AtomicLong();

        public ZoneId getZone() { return ZoneOffset.UTC; }
        public Clock withZone(ZoneId zone) { return this; }
        public Instant instant() { return Instant.now().plusMillis(aheadMs.get()); }
    }

    /** The real IRC network, counting posts it refused; {@code hold} refuses too (the observer is not back yet). */
    static final class Watched implements ChatNetwork {
        final IrcNetwork irc;
        final AtomicInteger refusedByIrc = new AtomicInteger();
        final AtomicBoolean hold = new AtomicBoolean();

        Watched(IrcNetwork irc) {
            this.irc = irc;
        }

        public String name() { return irc.name(); }
        public void start(Consumer<Inbound> inbox) { irc.start(inbox); }
        public void send(String target, List<String> lines) { irc.send(target, lines); }
        public String selfName() { return irc.selfName(); }
        public int lineBytes(String target) { return irc.lineBytes(target); }
        public void close() { irc.close(); }

        @Override
        public String post(String target, Message message, String thread, String key) {
            if (hold.get()) throw new PostFailed("the test's observer is not in " + target + " yet", null);
            try {
                return irc.post(target, message, thread, key);
            } catch (PostFailed e) {
                refusedByIrc.incrementAndGet();
                throw e;
            }
        }
    }

    private static Item broadcast(Target t, int i, String text) {
        return new Item(t, "storm-" + i, Message.plain(text), null, null, null,
                new Item.Budget("backup", "imap" + (i % 3 == 0 ? 5 : 3), "error", PER_MINUTE));
    }

    private static void startIrcServer(TestEnv env) throws Exception {
        Process up = new ProcessBuilder("bash", env.root.resolve("testenv/up.sh").toString()).inheritIO().start();
        assertEquals(0, up.waitFor(), "testenv/up.sh starts the IRC server again");
    }

    @Test
    void aStormIsTheBudgetAndOneDigestAndAnOutageOnlyDelays() throws Exception {
        TestEnv env = new TestEnv();
        Path dir = Files.createTempDirectory("opsbot-storm");
        OpsbotConfig cfg = env.config(dir, "localhost");
        AheadClock clock = new AheadClock();
        Watched net = new Watched(new IrcNetwork(cfg.irc().withNick("stormbot")));
        Target chan = new Target(net.name(), CHANNEL);
        boolean serverStopped = false;
        try (Watched closing = net;
             Store store = Store.open(StorageConfig.embedded(dir.resolve("db").toString()));
             Outbox outbox = new Outbox(store, n -> n.equals(net.name()) ? net : null, clock,
                     new Backoff(Duration.ofMillis(200), Duration.ofSeconds(1)), new Metrics())) {
            net.start(in -> { });
            TestEnv.await("stormbot in " + CHANNEL, () -> net.irc.isJoined(CHANNEL), T);
            outbox.attached(net.name());

            // A storm: the first broadcast is long (it must stay one line), then 299 more.
            try (IrcUser bob = env.user("bob_storm", "bob")) {
                bob.join(CHANNEL);
                String longText = "LONG " + "fehlende Datei ä€ ".repeat(60);
                store.transaction("a storm", db -> {
                    outbox.enqueue(db, broadcast(chan, 0, longText));
                    for (int i = 1; i < 300; i++) outbox.enqueue(db, broadcast(chan, i, "missing file " + i + " on imap3"));
                    return null;
                });
                outbox.wake(chan);
                String raw = bob.awaitLine(l -> l.contains("PRIVMSG " + CHANNEL + " :LONG "), T);
                assertTrue(raw.endsWith("…"), raw);
                assertTrue(raw.getBytes(StandardCharsets.UTF_8).length + 2 <= 512, "one line within 512 bytes as relayed: "
                        + raw.getBytes(StandardCharsets.UTF_8).length);
                for (int i = 1; i < PER_MINUTE; i++) {
                    int n = i;
                    bob.expect("stormbot", ("missing file " + n + " on imap3")::equals, T);
                }
                TestEnv.await("the budget spent", () -> outbox.pending(List.of(chan)).size() == 300 - PER_MINUTE, T);
                outbox.enqueue(Item.of(chan, "page-1", Message.plain("bob_storm: a page passes the held storm")));
                bob.expect("stormbot", "bob_storm: a page passes the held storm"::equals, T);
                assertEquals(300 - PER_MINUTE, outbox.pending(List.of(chan)).stream().filter(r -> r.budget() != null).count(),
                        "the storm is still held");

                clock.aheadMs.addAndGet(60_000); // the minute is over
                outbox.wake(chan);
                IrcUser.Msg digest = bob.next("stormbot", T);
                assertTrue(digest.text().matches("backup: 295 more errors in \\d+s; top: imap3 ×197, imap5 ×98; !alerts"),
                        digest.text());
                outbox.enqueue(Item.of(chan, "end-1", Message.plain("end of the storm")));
                bob.expect("stormbot", "end of the storm"::equals, T);
            }

            // The IRC server goes away; rows written meanwhile arrive in order once it is back.
            Path pid = env.run.resolve("inspircd/inspircd.pid");
            serverStopped = true;
            long ircd = Long.parseLong(Files.readString(pid).trim());
            new ProcessBuilder("kill", Long.toString(ircd)).inheritIO().start().waitFor();
            TestEnv.await("stormbot noticing the server is gone", () -> !net.irc.isJoined(CHANNEL), T);
            // up.sh starts InspIRCd only when its pid is not alive: a server still shutting down would be left
            // to exit, and nothing would listen (CI-like run, 2026-11-29).
            TestEnv.await("InspIRCd exited", () -> ProcessHandle.of(ircd).map(h -> !h.isAlive()).orElse(true), T);
            for (int i = 1; i <= 4; i++) outbox.enqueue(Item.of(chan, "down-" + i, Message.plain("written while down " + i)));
            outbox.enqueue(broadcast(chan, 1000, "a broadcast written while down"));
            TestEnv.await("posts refused while the server is down", () -> net.refusedByIrc.get() >= 2, T);
            net.hold.set(true);
            startIrcServer(env);
            serverStopped = false;
            // Anonymous: services may still be linking up with the restarted server, and carol only listens.
            try (IrcUser carol = IrcUser.connect(env.port("IRC_PORT"), "carol_storm", null, null)) {
                carol.join(CHANNEL);
                TestEnv.await("stormbot back in " + CHANNEL, () -> net.irc.isJoined(CHANNEL), Duration.ofSeconds(60));
                net.hold.set(false);
                outbox.wake(chan);
                List<String> got = new ArrayList<>();
                for (int i = 0; i < 5; i++) got.add(carol.next("stormbot", T).text());
                assertEquals(List.of("written while down 1", "written while down 2", "written while down 3",
                        "written while down 4", "a broadcast written while down"), got);
                assertTrue(outbox.awaitSent(List.of(chan), T));
            }
        } finally {
            if (serverStopped) {
                startIrcServer(env); // whatever happened above: the server is up again for everyone
            }
        }
    }
}
