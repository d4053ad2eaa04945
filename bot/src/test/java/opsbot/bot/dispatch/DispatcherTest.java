package opsbot.bot.dispatch;

import opsbot.bot.chat.ChatNetwork;
import opsbot.bot.chat.Inbound;
import opsbot.bot.store.Attempt;
import opsbot.bot.store.Store;
import opsbot.commands.ssh.ExecResult;
import opsbot.commands.ssh.Executor;
import opsbot.commands.ssh.FanOut;
import opsbot.config.BotConfig;
import opsbot.config.ConfigLoader;
import opsbot.config.HostConfig;
import opsbot.config.OpsbotConfig;
import opsbot.config.StorageConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.*;

/** The dispatcher on the example site, with a recording network and an executor that records instead of SSH. */
class DispatcherTest {
    @TempDir
    Path dir;
    private final BlockingQueue<String> said = new LinkedBlockingQueue<>();
    private final List<String> ran = new CopyOnWriteArrayList<>();
    private Store store;
    private Dispatcher dispatcher;

    @BeforeEach
    void setUp() throws Exception {
        String text = new String(getClass().getResourceAsStream("/opsbot/examples/opsbot.yml").readAllBytes());
        OpsbotConfig cfg = ((ConfigLoader.Result.Loaded) new ConfigLoader(n -> "x", false).load("x", text, null)).config();
        BotConfig b = cfg.bot();
        cfg = new OpsbotConfig(new BotConfig(b.prefix(), b.privateMessages(), b.pageLines(), Duration.ofMillis(300), b.timezone()),
                null, null, cfg.people(), cfg.channels(), cfg.hosts(), cfg.ssh(), cfg.commands(),
                StorageConfig.embedded(dir.resolve("db").toString()));
        store = new Store(cfg.storage().url(), null, null);
        Executor recording = (HostConfig h, String line) -> {
            ran.add(h.name() + ": " + line);
            return new ExecResult.Exited(h.name().equals("compute3") ? 1 : 0, "out of " + h.name() + "\n", "", 0, Duration.ofMillis(5));
        };
        dispatcher = new Dispatcher(cfg, store, new FanOut(recording, 4), Clock.systemUTC());
        dispatcher.attach(new ChatNetwork() {
            public String name() { return "irc"; }
            public void start(Consumer<Inbound> inbox) { }
            public void send(String target, List<String> lines) { lines.forEach(l -> said.add(target + " " + l)); }
            public String selfName() { return "opsbot"; }
            public void close() { }
        });
    }

    @AfterEach
    void tearDown() {
        dispatcher.close();
        store.close();
    }

    private void say(String account, String channel, String line) {
        dispatcher.handle(new Inbound("irc", channel, account == null ? "someone" : account, account, line));
    }

    private String reply() throws InterruptedException {
        String s = said.poll(5, TimeUnit.SECONDS);
        assertNotNull(s, "no reply");
        return s;
    }

    @Test
    void unconfirmedCommandExpiresAndNeverRuns() throws Exception {
        say("alice", "#ops", "!fo -K c4");
        assertEquals("#ops confirm with !y within 300ms: admin1: utils/FailOver.pl -K compute4", reply());
        assertEquals("#ops expired, not run: admin1: utils/FailOver.pl -K compute4", reply());
        say("alice", "#ops", "!y");
        assertEquals("#ops nothing to confirm for you here", reply());
        assertEquals(List.of(), ran);
        assertTrue(store.recent(10).stream().anyMatch(a -> "expired".equals(a.decision())));
    }

    @Test
    void confirmationIsPerChannel() throws Exception {
        say("alice", "#ops", "!fo -K c4");
        reply();
        say("alice", "#mail", "!y");
        assertEquals("#mail nothing to confirm for you here", reply());
        say("alice", "#ops", "!y");
        assertTrue(reply().startsWith("#ops ✓ fo · admin1 · exit 0"));
        assertEquals(List.of("admin1: utils/FailOver.pl -K compute4"), ran);
    }

    @Test
    void fanOutSummaryThenPagedDetails() throws Exception {
        say("bob", "#ops", "!status @compute");
        assertTrue(reply().startsWith("#ops ✗ status · 5 ok, 1 failed: compute3 exit 1"));
        for (int i = 0; i < 3; i++) reply();
        String more = reply();
        assertTrue(more.matches("#ops \\(\\+\\d+ lines: !more\\)"), more);
        int left = Integer.parseInt(more.replaceAll("\\D", ""));
        say("bob", "#ops", "!more");
        int shown = 0;
        String s;
        while ((s = said.poll(300, TimeUnit.MILLISECONDS)) != null && !s.contains("!more)")) shown++;
        assertTrue(shown > 0 && shown <= left, shown + " of " + left);
        assertEquals(6, ran.size(), "ran once on each compute host");
    }

    @Test
    void privateMessagesAreForKnownPeopleOnly() throws Exception {
        say("alice", null, "uptime c1");
        assertTrue(reply().startsWith("alice ✓ uptime · compute1"));
        assertEquals("alice out of compute1", reply());
        say(null, null, "uptime c1");
        assertEquals("someone denied: private commands are for known people; you are not logged in to services", reply());
    }

    @Test
    void everyAttemptIsStoredWithItsDecision() throws Exception {
        say(null, "#ops", "!fo -K c4");
        reply();
        say("alice", "#ops", "!fo -K nosuchhost");
        reply();
        say("carol", "#ops", "!fp");
        reply();
        List<String> decisions = store.recent(10).stream().map(Attempt::decision).toList();
        assertEquals(List.of("invalid", "invalid", "denied"), decisions);
    }
}
