package opsbot.bot.irc;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import opsbot.bot.chat.Inbound;
import opsbot.config.IrcConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.ArrayList;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The IRC adapter against {@link FakeIrcd}: the bot's own login before any JOIN, and identity where the
 * server does not vouch per message (tracked accounts, WHOIS bound to the line that asked), in raw protocol.
 */
class IrcNetworkTest {
    private static final Duration T = Duration.ofSeconds(10);

    private FakeIrcd ircd;
    private IrcNetwork irc;
    private final BlockingQueue<Inbound> heard = new LinkedBlockingQueue<>();
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    private final Logger ircLog = (Logger) LoggerFactory.getLogger("opsbot.bot.irc");

    @BeforeEach
    void setUp() throws Exception {
        ircd = new FakeIrcd();
        logged.start();
        ircLog.addAppender(logged);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (irc != null) irc.close();
        ircd.close();
        ircLog.detachAppender(logged);
    }

    private IrcNetwork start(Duration registrationWait) {
        return start(registrationWait, SocketConnection.Timeouts.DEFAULT, heard::add);
    }

    private IrcNetwork start(Duration registrationWait, SocketConnection.Timeouts timeouts, Consumer<Inbound> inbox) {
        IrcConfig cfg = new IrcConfig("127.0.0.1", ircd.port(), false, null, null, "opsbot",
                new IrcConfig.Sasl("opsbot", "secret"), List.of("#ops"), 100.0, Duration.ofMillis(400), List.of());
        irc = new IrcNetwork(cfg, registrationWait, timeouts);
        irc.network().sendBuffer = 4096; // with the fake's small receive buffer: a stalled server is stuck at once
        irc.start(inbox);
        return irc;
    }

    private static void await(String what, BooleanSupplier p) throws InterruptedException {
        awaitWithin(T, what, p);
    }

    private static void awaitWithin(Duration max, String what, BooleanSupplier p) throws InterruptedException {
        long end = System.nanoTime() + max.toNanos();
        while (!p.getAsBoolean()) {
            if (System.nanoTime() > end) fail("not within " + max + ": " + what);
            Thread.sleep(10);
        }
    }

    private boolean joinSent() {
        return ircd.heard.stream().anyMatch(l -> l.startsWith("JOIN"));
    }

    private boolean logSays(String text) {
        return logged.list.stream().anyMatch(e -> e.getFormattedMessage().contains(text));
    }

    /** Logged in, joined #ops, and the client heard whatever the server said after that. */
    private void joined() throws Exception {
        ircd.expect(l -> l.equals("JOIN #ops"), T);
        await("joined #ops", () -> irc.isJoined("#ops"));
    }

    // --- the bot's own login ---------------------------------------------------------------------------

    @Test
    void aRefusedLoginJoinsNothingSaysWhyAndIsRetriedUntilItSucceeds() throws Exception {
        ircd.caps = "sasl=PLAIN";
        ircd.sasl = FakeIrcd.Sasl.FAIL;
        start(T);
        await("a second attempt", () -> ircd.connections.get() >= 2);
        assertFalse(joinSent(), "joined without a login: " + ircd.heard);
        assertTrue(logSays("not logged in to services: SASL failed (904 SASL authentication failed)"), logged.list.toString());
        ircd.sasl = FakeIrcd.Sasl.SUCCEED;
        joined();
        assertTrue(irc.loggedIn());
        int loginLine = ircd.heard.lastIndexOf("CAP END");
        assertTrue(ircd.heard.indexOf("JOIN #ops") > loginLine, "JOIN only after the login: " + ircd.heard);
    }

    @Test
    void noSaslOnOfferAsWhileServicesAreDownJoinsNothingUntilItIsOffered() throws Exception {
        ircd.caps = "account-notify extended-join"; // InspIRCd hides sasl while services are away
        start(T);
        await("a second attempt", () -> ircd.connections.get() >= 2);
        assertFalse(joinSent(), "joined without a login: " + ircd.heard);
        assertTrue(logSays("the server does not offer SASL now (are services down?)"), logged.list.toString());
        ircd.caps = "account-notify extended-join sasl=PLAIN";
        joined();
        assertTrue(irc.loggedIn());
    }

    @Test
    void aLoginThatIsNeverAnsweredIsGivenUpAndRetried() throws Exception {
        ircd.sasl = FakeIrcd.Sasl.SILENT;
        start(Duration.ofMillis(500));
        await("a second attempt", () -> ircd.connections.get() >= 2);
        assertFalse(joinSent());
        assertTrue(logSays("not registered 500 ms after connecting"), logged.list.toString());
        ircd.sasl = FakeIrcd.Sasl.SUCCEED;
        joined();
    }

    // --- identity without account-tag ------------------------------------------------------------------

    private Inbound next() throws InterruptedException {
        Inbound in = heard.poll(T.toSeconds(), TimeUnit.SECONDS);
        assertNotNull(in, "no line delivered");
        return in;
    }

    private void whoisAnswer(String nick, String user, String host, String account) throws Exception {
        ircd.send(":fake 311 opsbot " + nick + " " + user + " " + host + " * :real name");
        if (account != null) ircd.send(":fake 330 opsbot " + nick + " " + account + " :is logged in as");
        ircd.send(":fake 318 opsbot " + nick + " :End of /WHOIS list.");
    }

    @Test
    void theServerVouchingPerMessageIsTakenAsIs() throws Exception {
        ircd.caps = "sasl=PLAIN account-tag message-tags";
        start(T);
        joined();
        ircd.send("@account=alice :alice!a@good PRIVMSG #ops :!whoami");
        ircd.send(":mallory!m@evil PRIVMSG #ops :!whoami");
        Inbound a = next(), m = next();
        assertEquals("alice", a.account());
        assertNull(m.account(), "no tag: anonymous, whatever the nick");
        assertFalse(ircd.heard.stream().anyMatch(l -> l.startsWith("WHOIS alice") || l.startsWith("WHOIS mallory")));
    }

    @Test
    void aTrackedAccountIsTrustedOnlyWhileAccountNotifyKeepsItCurrent() throws Exception {
        ircd.caps = "sasl=PLAIN extended-join account-notify";
        start(T);
        joined();
        ircd.send(":alice!a@good JOIN #ops alice :Alice"); // extended-join: her account
        ircd.send(":alice!a@good PRIVMSG #ops :!whoami");
        assertEquals("alice", next().account());
        assertFalse(ircd.heard.stream().anyMatch(l -> l.startsWith("WHOIS alice")), "tracked: no WHOIS needed");

        ircd.send(":alice!a@good ACCOUNT *"); // account-notify: she logged out
        ircd.send(":alice!a@good PRIVMSG #ops :!whoami");
        ircd.expect(l -> l.equals("WHOIS alice"), T);
        whoisAnswer("alice", "a", "good", null);
        assertNull(next().account());
    }

    @Test
    void withoutAccountNotifyATrackedAccountIsAskedForAgain() throws Exception {
        ircd.caps = "sasl=PLAIN extended-join"; // tracking without account-notify: a logout would go unseen
        start(T);
        joined();
        ircd.send(":alice!a@good JOIN #ops alice :Alice");
        ircd.send(":alice!a@good PRIVMSG #ops :!whoami");
        ircd.expect(l -> l.equals("WHOIS alice"), T);
        assertNull(heard.poll(200, TimeUnit.MILLISECONDS), "waits for the answer");
        whoisAnswer("alice", "a", "good", null); // she logged out meanwhile; nothing said so
        assertNull(next().account());
    }

    /** Chatter not meant for the bot costs no WHOIS (and no send token): who said it does not matter. */
    @Test
    void onlyLinesMeantForTheBotAreWorthAWhois() throws Exception {
        ircd.caps = "sasl=PLAIN";
        start(T);
        joined();
        ircd.send(":carol!c@x PRIVMSG #ops :lunch anyone?");
        Inbound chat = next();
        assertEquals("lunch anyone?", chat.text());
        assertNull(chat.account(), "handed on at once, as anonymous");
        ircd.send(":carol!c@x PRIVMSG #ops :opsbot: whoami");
        ircd.expect(l -> l.equals("WHOIS carol"), T);
        whoisAnswer("carol", "c", "x", "carol");
        assertEquals("carol", next().account());
        assertEquals(1, ircd.heard.stream().filter(l -> l.equals("WHOIS carol")).count(), "one WHOIS, for the command only");
    }

    @Test
    void aWhoisAnswerBelongsToTheLinesThatAskedInOrder() throws Exception {
        ircd.caps = "sasl=PLAIN";
        start(T);
        joined();
        ircd.send(":alice!a@good PRIVMSG #ops :!one");
        ircd.send(":alice!a@good PRIVMSG #ops :!two");
        ircd.expect(l -> l.equals("WHOIS alice"), T);
        whoisAnswer("alice", "a", "good", "alice");
        Inbound one = next(), two = next();
        assertEquals(List.of("!one", "!two"), List.of(one.text(), two.text()));
        assertEquals("alice", one.account());
        assertEquals("alice", two.account());
        assertEquals(1, ircd.heard.stream().filter(l -> l.equals("WHOIS alice")).count(), "one WHOIS for both");
    }

    @Test
    void aNickThatChangesHandsBeforeTheAnswerLeavesTheLineAnonymous() throws Exception {
        ircd.caps = "sasl=PLAIN";
        start(T);
        joined();
        // Two people behind one shared host and ident (a bouncer, a shell box): user@host cannot tell them apart.
        ircd.send(":mallory!u@shared JOIN #ops");
        ircd.send(":alice!u@shared JOIN #ops");
        ircd.send(":mallory!u@shared PRIVMSG #ops :!fo -K c4"); // said as "mallory"
        ircd.expect(l -> l.equals("WHOIS mallory"), T);
        // Before the server answers, mallory takes another nick and alice takes "mallory"...
        ircd.send(":mallory!u@shared NICK :notme");
        ircd.send(":alice!u@shared NICK :mallory");
        // ...so the answer describes alice, logged in as alice.
        whoisAnswer("mallory", "u", "shared", "alice");
        Inbound in = next();
        assertEquals("!fo -K c4", in.text());
        assertNull(in.account(), "the answer is not about who said it");
        assertTrue(logSays("the nick changed hands meanwhile"), logged.list.toString());
    }

    @Test
    void aQuitBeforeTheAnswerLeavesTheLineAnonymousEvenWithTheSameUserAndHost() throws Exception {
        ircd.caps = "sasl=PLAIN";
        start(T);
        joined();
        ircd.send(":bob!b@shared JOIN #ops");
        ircd.send(":bob!b@shared PRIVMSG #ops :!whoami");
        ircd.expect(l -> l.equals("WHOIS bob"), T);
        ircd.send(":bob!b@shared QUIT :bye");
        whoisAnswer("bob", "b", "shared", "bob"); // a new connection from the same host took the nick
        assertNull(next().account());
    }

    @Test
    void anAnswerForAnotherUserAndHostLeavesAPrivateLineAnonymous() throws Exception {
        ircd.caps = "sasl=PLAIN";
        start(T);
        joined();
        // No shared channel: NICK and QUIT of this sender are not seen; the user@host still must match.
        ircd.send(":alice!m@evil PRIVMSG opsbot :!whoami");
        ircd.expect(l -> l.equals("WHOIS alice"), T);
        whoisAnswer("alice", "a", "good", "alice");
        Inbound in = next();
        assertNull(in.channel());
        assertNull(in.account());
    }

    @Test
    void noSuchNickOrNoAnswerIsAnonymous() throws Exception {
        ircd.caps = "sasl=PLAIN";
        start(T);
        joined();
        ircd.send(":carol!c@h PRIVMSG #ops :!whoami");
        ircd.expect(l -> l.equals("WHOIS carol"), T);
        ircd.send(":fake 401 opsbot carol :No such nick");
        assertNull(next().account());
        ircd.send(":dave!d@h PRIVMSG #ops :!whoami");
        ircd.expect(l -> l.equals("WHOIS dave"), T);
        Inbound in = heard.poll(10, TimeUnit.SECONDS); // the bot gives up after its WHOIS wait
        assertNotNull(in);
        assertNull(in.account());
    }

    // --- sending -----------------------------------------------------------------------------------------

    @Test
    void repliesGoOutAsPrivmsgsCutToTheLineLimitWithoutControlCharacters() throws Exception {
        ircd.caps = "sasl=PLAIN";
        start(T);
        joined();
        irc.send("#ops", List.of("pong", "a\r\nQUIT :x"));
        ircd.expect(l -> l.equals("PRIVMSG #ops :pong"), T);
        ircd.expect(l -> l.equals("PRIVMSG #ops :a  QUIT :x"), T);
        irc.send("#ops bad", List.of("x"));
        assertTrue(logSays("not sending to an invalid target"));
    }

    // --- the connection (SocketConnection) ---------------------------------------------------------------

    /**
     * A line with the server's account tag is handed on by the connection's reader thread, without waiting for
     * Kitteh's input thread, exactly once, and one person's lines keep their order; a line without the tag
     * still goes through Kitteh's events (and its identity rules).
     */
    @Test
    void taggedLinesAreHandedOnByTheReaderOnceAndInOrderOthersByKitteh() throws Exception {
        ircd.caps = "sasl=PLAIN account-tag message-tags";
        List<String> threads = startNotingThreads();
        joined();
        for (int i = 0; i < 50; i++) ircd.send("@account=alice :alice_!a@good PRIVMSG #ops :!say " + i);
        ircd.send(":mallory!m@evil PRIVMSG #ops :!whoami");
        ircd.send("@account=bob :bob!b@h PRIVMSG opsbot :!whoami");
        // Kitteh's thread works on lines in the order read: once it hands on this one, it has seen all the above,
        // so a line it handed on a second time would be here by now.
        ircd.send(":zed!z@h PRIVMSG #ops :end");
        List<Inbound> got = new ArrayList<>();
        for (Inbound in = next(); !in.text().equals("end"); in = next()) got.add(in);
        assertEquals(52, got.size(), "each line handed on once: " + got);
        List<Inbound> alice = got.stream().filter(in -> "alice".equals(in.account())).toList();
        for (int i = 0; i < 50; i++) {
            assertEquals("!say " + i, alice.get(i).text());
            assertEquals("#ops", alice.get(i).channel());
            assertEquals("alice_", alice.get(i).nick());
        }
        Inbound bob = got.stream().filter(in -> in.nick().equals("bob")).findFirst().orElseThrow();
        assertEquals("bob", bob.account());
        assertTrue(bob.isPrivate());
        Inbound mallory = got.stream().filter(in -> in.nick().equals("mallory")).findFirst().orElseThrow();
        assertNull(mallory.account(), "no tag: anonymous, whatever the nick");
        // Nothing untagged before them: alice's lines on the reader. Bob's follows an untagged line, so it goes the
        // reader's way only if Kitteh's thread was done with mallory's by then (either way, once and in order).
        assertEquals(java.util.Collections.nCopies(50, "irc-reader"), threads.subList(0, 50), "alice's lines, on the reader: " + threads);
    }

    @Test
    void aLineOverTheLimitIsSkippedAndTheConnectionGoesOn() throws Exception {
        ircd.caps = "sasl=PLAIN account-tag";
        start(T);
        joined();
        ircd.send("@account=alice :alice!a@h PRIVMSG #ops :" + "x".repeat(10_000));
        ircd.send("@account=alice :alice!a@h PRIVMSG #ops :!ping");
        assertEquals("!ping", next().text());
        assertEquals(1, ircd.connections.get(), "still the first connection");
        assertTrue(logSays("a line over 9001 bytes"), logged.list.toString());
    }

    @Test
    void aServerThatFallsSilentIsLeftWithAQuitAndConnectedAgain() throws Exception {
        Duration s5 = Duration.ofSeconds(5);
        start(T, new SocketConnection.Timeouts(s5, s5, Duration.ofSeconds(2), s5, Duration.ofMinutes(1)), heard::add);
        joined();
        await("a second connection", () -> ircd.connections.get() >= 2);
        assertTrue(logSays("nothing heard from the server for 2 s"), logged.list.toString());
        assertTrue(ircd.heard.stream().anyMatch(l -> l.startsWith("QUIT")), "said QUIT: " + ircd.heard);
    }

    @Test
    void aDroppedConnectionIsMadeAgainAndRepliesGoOutOnTheNewOne() throws Exception {
        start(T);
        joined();
        ircd.kick();
        await("a second connection", () -> ircd.connections.get() >= 2);
        await("joined again", () -> ircd.heard.stream().filter("JOIN #ops"::equals).count() >= 2 && irc.isJoined("#ops"));
        irc.send("#ops", List.of("back", "again"));
        ircd.expect(l -> l.equals("PRIVMSG #ops :back"), T);
        ircd.expect(l -> l.equals("PRIVMSG #ops :again"), T);
    }

    /** A thread that runs {@code job}; the caller checks it ended in time (a sender must never wait for the socket). */
    /** Starts the bot; the returned list gets the name of the thread each line was handed on from. */
    private List<String> startNotingThreads() {
        List<String> threads = new CopyOnWriteArrayList<>();
        start(T, SocketConnection.Timeouts.DEFAULT, in -> {
            threads.add(Thread.currentThread().getName());
            heard.add(in);
        });
        return threads;
    }

    private static Thread background(String name, Runnable job) {
        return Thread.ofPlatform().daemon().name(name).start(job);
    }

    private static String longLine(int i) {
        return "x".repeat(400) + " " + i;
    }

    /**
     * A server that stops reading what the bot writes (its side hangs) holds up nobody: a sender through
     * Kitteh's sending lock and a reply from a platform thread (which only ever hands lines over) both return at once, and the reader still hands on what the
     * server says, a PING (whose PONG Kitteh sends under that lock) included.
     */
    @Test
    void aServerThatReadsNothingHoldsUpNeitherTheSendersNorTheReader() throws Exception {
        ircd.caps = "sasl=PLAIN account-tag";
        Duration s5 = Duration.ofSeconds(5);
        start(T, new SocketConnection.Timeouts(s5, s5, Duration.ofMinutes(5), Duration.ofMinutes(5), Duration.ofMinutes(5)), heard::add);
        joined();
        ircd.stall();
        Thread viaKitteh = background("flood-kitteh", () -> {
            for (int i = 0; i < 300; i++) irc.kitteh().sendRawLine("PRIVMSG #ops :" + longLine(i));
        });
        viaKitteh.join(5_000);
        assertFalse(viaKitteh.isAlive(), "Kitteh's sendRawLine waited for the socket");
        Thread lane = background("lane", () -> irc.send("#ops", java.util.stream.IntStream.range(0, 50).mapToObj(IrcNetworkTest::longLine).toList()));
        lane.join(5_000);
        assertFalse(lane.isAlive(), "a reply waited for the socket");
        SocketConnection c = irc.network().current();
        await("the writer stuck in a write the server does not take",
                () -> c.writingSince() != 0 && System.nanoTime() - c.writingSince() > 500_000_000L);
        long stuckSince = c.writingSince();
        ircd.send("PING :still-there");
        ircd.send("@account=alice :alice!a@h PRIVMSG #ops :!ping");
        Inbound in = heard.poll(5, TimeUnit.SECONDS);
        assertNotNull(in, "the reader was held up by the stuck write");
        assertEquals("!ping", in.text());
        assertEquals(stuckSince, c.writingSince(), "the same write is still stuck: the reader did not wait for it");
        assertEquals(1, ircd.connections.get(), "still the first connection");
    }

    /**
     * Replies from a lane (a virtual thread, which may write itself while the writer is idle) and from other
     * threads (which hand over to the writer), one after another, reach the server in the order they were sent:
     * neither way of writing overtakes the other. (Kitteh's own immediate lines are not in it: Kitteh queues them
     * for a thread of its own, so they have no order with a send that returned before them.)
     */
    @Test
    void repliesWrittenByALaneAndByTheWriterKeepTheirOrder() throws Exception {
        start(T, SocketConnection.Timeouts.DEFAULT, heard::add);
        joined();
        List<String> sent = new java.util.ArrayList<>();
        for (int i = 0; i < 120; i++) {
            String line = "order " + i;
            sent.add("PRIVMSG #ops :" + line);
            Thread t = switch (i % 3) {
                case 0, 2 -> Thread.ofVirtual().start(() -> irc.send("#ops", List.of(line)));
                default -> Thread.ofPlatform().start(() -> irc.send("#ops", List.of(line)));
            };
            t.join(10_000);
            assertFalse(t.isAlive(), "a send did not return");
        }
        await("all 120 lines at the server", () -> ircd.heard.stream().filter(l -> l.startsWith("PRIVMSG #ops :order ")).count() == 120);
        assertEquals(sent, ircd.heard.stream().filter(l -> l.startsWith("PRIVMSG #ops :order ")).toList());
    }

    /**
     * A lane that writes its reply itself to a server that reads nothing waits at most for the stuck-write bound:
     * the connection is closed under it, the lane returns, and the bot connects again.
     */
    @Test
    void aLaneWritingToAServerThatReadsNothingIsFreedByTheStuckWriteBound() throws Exception {
        Duration s5 = Duration.ofSeconds(5);
        start(T, new SocketConnection.Timeouts(s5, s5, Duration.ofMinutes(5), Duration.ofSeconds(2), Duration.ofMinutes(5)), heard::add);
        joined();
        ircd.stall();
        // Lines enough to fill the kernel's buffers, one reply at a time from one lane, as a person's output is.
        Thread lane = Thread.ofVirtual().start(() -> {
            for (int i = 0; i < 40 && ircd.connections.get() < 2; i++) {
                irc.send("#ops", java.util.stream.IntStream.range(0, 10).mapToObj(IrcNetworkTest::longLine).toList());
            }
        });
        awaitWithin(Duration.ofSeconds(60), "a second connection", () -> ircd.connections.get() >= 2);
        lane.join(60_000);
        assertFalse(lane.isAlive(), "the lane is still stuck in a write after the connection was closed under it");
        assertTrue(logSays("the server took no output for 2 s"), logged.list.toString());
    }

    /**
     * A write the server does not take for the stuck-write bound ends the connection (even with the keepalive
     * PING due meanwhile), the bot connects again, and the place whose output was cut off is told.
     */
    @Test
    void aWriteTheServerDoesNotTakeEndsTheConnectionWithinTheBoundAndItIsMadeAgain() throws Exception {
        Duration s5 = Duration.ofSeconds(5);
        start(T, new SocketConnection.Timeouts(s5, s5, Duration.ofMinutes(5), Duration.ofSeconds(2), Duration.ofSeconds(1)), heard::add);
        joined();
        ircd.stall();
        long stalledAt = System.nanoTime();
        background("lane", () -> irc.send("#ops", java.util.stream.IntStream.range(0, 300).mapToObj(IrcNetworkTest::longLine).toList()));
        // The stuck write, not the idle bound (5 min) nor anything else, ends it: generous deadline, exact cause.
        awaitWithin(Duration.ofSeconds(60), "a second connection", () -> ircd.connections.get() >= 2);
        long took = (System.nanoTime() - stalledAt) / 1_000_000;
        assertTrue(took >= 2_000, "closed " + took + " ms after the server stopped reading, before the bound of 2 s");
        assertTrue(logSays("the server took no output for 2 s"), logged.list.toString());
        ircd.expect(l -> l.startsWith("PRIVMSG #ops :(some of my last output here may not have been sent"), T);
        // Put back lines and the notice reach the server after the bot joined again: a +n channel takes them.
        assertTrue(ircd.refused.isEmpty(), ircd.refused.size() + " lines refused by the server (sent before the JOIN), the first: "
                + ircd.refused.stream().findFirst().map(l -> l.substring(0, Math.min(80, l.length()))).orElse(""));
    }

    /**
     * Over TLS too, a write the server does not take is ended within the bound (closing the TLS socket would
     * wait for it: the TCP socket under it is closed), and the bot connects again. The server's certificate is
     * made for the test (keytool), trusted through the configured truststore, and names 127.0.0.1.
     */
    @Test
    void overTlsAStuckWriteIsEndedToo(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Path server = dir.resolve("server.p12"), cert = dir.resolve("fake.cer"), trust = dir.resolve("trust.p12");
        keytool(keytool, "-genkeypair", "-alias", "fake", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=fake",
                "-ext", "san=ip:127.0.0.1", "-validity", "2", "-keystore", server.toString(), "-storetype", "PKCS12",
                "-storepass", "changeit", "-keypass", "changeit");
        keytool(keytool, "-exportcert", "-alias", "fake", "-keystore", server.toString(), "-storepass", "changeit", "-file", cert.toString());
        keytool(keytool, "-importcert", "-noprompt", "-alias", "fake", "-file", cert.toString(), "-keystore", trust.toString(),
                "-storetype", "PKCS12", "-storepass", "changeit");
        java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
        try (var in = java.nio.file.Files.newInputStream(server)) {
            ks.load(in, "changeit".toCharArray());
        }
        javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "changeit".toCharArray());
        javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        ircd.close();
        ircd = new FakeIrcd(ctx);

        IrcConfig cfg = new IrcConfig("127.0.0.1", ircd.port(), true, trust.toString(), "changeit", "opsbot",
                new IrcConfig.Sasl("opsbot", "secret"), List.of("#ops"), 100.0, Duration.ofMillis(400), List.of());
        Duration s5 = Duration.ofSeconds(5);
        irc = new IrcNetwork(cfg, T, new SocketConnection.Timeouts(s5, s5, Duration.ofMinutes(5), Duration.ofSeconds(2), Duration.ofMinutes(5)));
        irc.network().sendBuffer = 4096;
        irc.start(heard::add);
        joined();
        ircd.stall();
        SocketConnection c = irc.network().current();
        background("lane", () -> irc.send("#ops", java.util.stream.IntStream.range(0, 300).mapToObj(IrcNetworkTest::longLine).toList()));
        await("the writer stuck in a write the server does not take",
                () -> c.writingSince() != 0 && System.nanoTime() - c.writingSince() > 500_000_000L);
        awaitWithin(Duration.ofSeconds(60), "a second connection", () -> ircd.connections.get() >= 2);
        assertTrue(logSays("the server took no output for 2 s"), logged.list.toString());
        await("joined again", () -> irc.isJoined("#ops"));
    }

    private static void keytool(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "keytool did not finish");
        assertEquals(0, p.exitValue(), "keytool: " + out);
    }

    /**
     * Without {@code account-tag} negotiated the server may relay a tag a client wrote: a line carrying an
     * {@code account} tag then goes the way of any untagged line (here WHOIS), and the tag counts for nothing.
     */
    @Test
    void anAccountTagOnAConnectionWithoutAccountTagIsNotTrusted() throws Exception {
        ircd.caps = "sasl=PLAIN message-tags";
        start(T);
        joined();
        ircd.send("@account=alice :alice!m@evil PRIVMSG #ops :!whoami");
        ircd.expect(l -> l.equals("WHOIS alice"), T);
        whoisAnswer("alice", "m", "evil", null); // the server says: not logged in
        Inbound in = next();
        assertEquals("!whoami", in.text());
        assertNull(in.account(), "the tag was taken as the server's word");
        assertNull(heard.poll(300, TimeUnit.MILLISECONDS), "handed on once only");
    }

    /**
     * The server withdrawing {@code account-tag} (CAP DEL) ends the reader's fast path on that connection, and an
     * {@code account} tag is not taken as the server's word after it (here the WHOIS says: not logged in). When
     * the server offers it again (CAP NEW), the bot asks for it, and once acknowledged the tag counts again.
     */
    @Test
    void capDelOfAccountTagEndsTheFastPath() throws Exception {
        ircd.caps = "sasl=PLAIN account-tag message-tags cap-notify";
        List<String> threads = startNotingThreads();
        joined();
        ircd.send("@account=alice :alice!a@good PRIVMSG #ops :!ping");
        assertEquals("alice", next().account());
        ircd.send(":fake CAP opsbot DEL :account-tag");
        ircd.send("@account=alice :alice!m@evil PRIVMSG #ops :!whoami");
        ircd.expect(l -> l.equals("WHOIS alice"), T);
        whoisAnswer("alice", "m", "evil", null);
        Inbound after = next();
        assertEquals("!whoami", after.text());
        assertNull(after.account(), "after CAP DEL the tag was taken as the server's word");
        ircd.send(":zed!z@h PRIVMSG #ops :end");
        assertEquals("end", next().text(), "handed on once");
        assertEquals("irc-reader", threads.get(0));
        assertNotEquals("irc-reader", threads.get(1), "after CAP DEL: Kitteh's way (and identity rules), not the reader's");

        ircd.send(":fake CAP opsbot NEW :account-tag");
        ircd.expect(l -> l.strip().equals("CAP REQ :account-tag"), T);
        ircd.send("@account=alice :alice!a@good PRIVMSG #ops :!whoami");
        Inbound again = next();
        assertEquals("alice", again.account(), "acknowledged again: the tag is the server's word again");
        assertNotEquals("irc-reader", threads.get(threads.size() - 1), "the fast path stays off for this connection");
    }

    /**
     * One person's lines keep their order across the bot's own JOIN: a line read right after the JOIN, and the
     * next one read once Kitteh has seen the JOIN (while it still works on delivering the first), reach the lanes
     * in the order said. The reader decides from the stream, not from Kitteh's later view of it.
     */
    @Test
    void linesThatStraddleTheBotsJoinKeepTheirOrderForOnePerson() throws Exception {
        ircd.caps = "sasl=PLAIN account-tag message-tags";
        ircd.afterJoin = List.of("@account=alice :alice!a@good PRIVMSG #ops :!run");
        start(T, SocketConnection.Timeouts.DEFAULT, slowOnKittehsThread());
        ircd.expect(l -> l.equals("JOIN #ops"), T);
        await("Kitteh saw the JOIN", () -> irc.isJoined("#ops"));
        ircd.send("@account=alice :alice!a@good PRIVMSG #ops :!cancel");
        assertEquals(List.of("!run", "!cancel"), List.of(next().text(), next().text()));
    }

    /**
     * A line {@link TaggedMessage} refuses (here an extra space) goes Kitteh's way, still with the account from
     * its tag; the same person's next line must not overtake it on the reader's fast path while Kitteh's thread
     * is still at the first.
     */
    @Test
    void aLineTheFastPathRefusesIsNotOvertakenByTheSamePersonsNext() throws Exception {
        ircd.caps = "sasl=PLAIN account-tag message-tags";
        start(T, SocketConnection.Timeouts.DEFAULT, slowOnKittehsThread());
        joined();
        ircd.send("@account=alice :alice!a@good PRIVMSG  #ops :!run");
        ircd.send("@account=alice :alice!a@good PRIVMSG #ops :!cancel");
        Inbound first = next(), second = next();
        assertEquals(List.of("!run", "!cancel"), List.of(first.text(), second.text()));
        assertEquals("alice", first.account());
        ircd.send("@account=alice :alice!a@good PRIVMSG #ops :!ping");
        assertEquals("!ping", next().text(), "Kitteh's thread caught up: the fast path is open again");
    }

    /** An inbox that takes its time with lines handed on by Kitteh's thread (a loaded machine), not the reader's. */
    private Consumer<Inbound> slowOnKittehsThread() {
        return in -> {
            if (!Thread.currentThread().getName().equals("irc-reader")) {
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            heard.add(in);
        };
    }

    /**
     * When the reader has claimed as many lines as it may that Kitteh's thread has not seen yet, it leaves the
     * next ones to Kitteh and forgets no claim: each line reaches the lanes once, in order.
     */
    @Test
    void whenTheClaimsAreFullTheReaderLeavesLinesToKittehAndNoneRunsTwice() throws Exception {
        ircd.caps = "sasl=PLAIN account-tag message-tags";
        start(T);
        joined();
        irc.maxClaimed = 2;
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        irc.kitteh().getEventManager().registerEventListener(new Object() {
            @net.engio.mbassy.listener.Handler
            @org.kitteh.irc.client.library.feature.filter.CommandFilter("NOTICE")
            public void hold(org.kitteh.irc.client.library.event.client.ClientReceiveCommandEvent e) throws InterruptedException {
                release.await(T.toSeconds(), TimeUnit.SECONDS); // Kitteh's thread falls behind the reader
            }
        });
        ircd.send(":fake NOTICE opsbot :hold on");
        for (int i = 0; i < 5; i++) ircd.send("@account=alice :alice!a@good PRIVMSG #ops :!say " + i);
        for (int i = 0; i < 2; i++) assertEquals("!say " + i, next().text(), "claimed by the reader");
        release.countDown();
        ircd.send(":zed!z@h PRIVMSG #ops :end");
        List<String> rest = new ArrayList<>();
        for (Inbound in = next(); !in.text().equals("end"); in = next()) rest.add(in.text());
        assertEquals(List.of("!say 2", "!say 3", "!say 4"), rest, "each once, in order");
        assertTrue(logSays("leaving the next ones to Kitteh"), logged.list.toString());
    }

    /**
     * Kitteh may leave its sending queue running across a reconnect (it starts it right after the event in which
     * the bot may reconnect): a connection takes nothing from it before it is registered, so a waiting reply goes
     * out after the new connection's registration and JOIN, not before its CAP, NICK and USER.
     */
    @Test
    void aConnectionTakesNoRepliesBeforeItIsRegistered() throws Exception {
        ircd.holdWelcome = true;
        start(T);
        ircd.expect(l -> l.equals("CAP END"), T);
        irc.sender().beginSending(l -> fail("not through Kitteh's sender")); // as Kitteh may have left it running
        irc.send("#ops", List.of("early"));
        ircd.send(":fake NOTICE * :*** still looking up your hostname"); // the client has read a line since
        ircd.welcome();
        joined();
        ircd.expect(l -> l.equals("PRIVMSG #ops :early"), T);
        assertTrue(ircd.heard.indexOf("PRIVMSG #ops :early") > ircd.heard.indexOf("JOIN #ops"), "sent before registration: " + ircd.heard);
        assertEquals(List.of(), ircd.refused);
    }

    /**
     * The reader's fast path takes only lines from {@code nick!user@host}, to a channel the bot is in (named as
     * at the join, whatever the line's case) or to the bot itself; the rest goes through Kitteh, once.
     */
    @Test
    void theFastPathTakesOnlyPeopleInJoinedChannelsAndUsesTheJoinedName() throws Exception {
        ircd.caps = "sasl=PLAIN account-tag message-tags";
        List<String> threads = new CopyOnWriteArrayList<>();
        start(T, SocketConnection.Timeouts.DEFAULT, in -> {
            threads.add(Thread.currentThread().getName() + " " + in.text());
            heard.add(in);
        });
        joined();
        ircd.send("@account=alice :alice!a@good PRIVMSG #OPS :upper");
        Inbound upper = next();
        assertEquals("#ops", upper.channel(), "the channel as joined: one lane, one incident key");
        ircd.send("@account=alice :alice!a@good PRIVMSG #elsewhere :not joined");
        ircd.send("@account=alice :alice!a@good PRIVMSG someoneelse :not us");
        ircd.send(":zed!z@h PRIVMSG #ops :end");
        List<Inbound> got = new ArrayList<>();
        for (Inbound in = next(); !in.text().equals("end"); in = next()) got.add(in);
        await("Kitteh's thread done with the lines it was given", () -> irc.unseen() == 0);
        ircd.send("@account=alice :alice!a@good PRIVMSG opsbot :to us");
        got.add(next());
        assertEquals(List.of("not joined", "to us"), got.stream().map(Inbound::text).toList(), "each once; not to another nick: " + got);
        assertEquals(List.of("irc-reader upper", "irc-reader to us"), threads.stream().filter(t -> t.startsWith("irc-reader")).toList(),
                "a channel the bot is not in is Kitteh's to check: " + threads);
    }
}
