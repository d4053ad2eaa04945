package opsbot.bot.dispatch;

import opsbot.commands.policy.Identity;
import opsbot.bot.chat.ChatNetwork;
import opsbot.bot.chat.Inbound;
import opsbot.bot.store.Store;
import opsbot.commands.ssh.ExecResult;
import opsbot.commands.ssh.FanOut;
import opsbot.config.ConfigLoader;
import opsbot.config.OpsbotConfig;
import opsbot.config.StorageConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.*;

/** How an attached network's lines reach the dispatcher: through per-person lanes, off the network's thread. */
@Timeout(60) // handled on the caller's thread, a blocked reply would hang the test instead of failing it
class DispatcherLanesTest {
    @TempDir
    Path dir;
    private Store store;
    private Dispatcher dispatcher;
    private volatile Consumer<Inbound> inbox;
    /** Replies, with the thread that sent them. */
    private final BlockingQueue<String> said = new LinkedBlockingQueue<>();
    private final CountDownLatch sendBlocked = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);
    private volatile boolean blockFirstPong;

    @BeforeEach
    void setUp() throws Exception {
        String text = new String(getClass().getResourceAsStream("/opsbot/examples/opsbot.yml").readAllBytes());
        OpsbotConfig cfg = ((ConfigLoader.Result.Loaded) new ConfigLoader(n -> "secret-" + n, false).load("x", text, null)).config();
        cfg = new OpsbotConfig(cfg.bot(), cfg.irc(), null, cfg.people(), cfg.channels(), cfg.hosts(), cfg.ssh(),
                cfg.commands(), StorageConfig.embedded(dir.resolve("db").toString()));
        store = Store.open(cfg.storage());
        dispatcher = new Dispatcher(cfg, store,
                new FanOut((h, line) -> new ExecResult.Exited(0, "", "", 0, Duration.ZERO), 2), Clock.systemUTC());
        dispatcher.attach(new ChatNetwork() {
            public String name() { return "irc"; }
            public void start(Consumer<Inbound> in) { inbox = in; }
            public void send(String target, List<String> lines) {
                if (blockFirstPong && lines.equals(List.of("pong"))) {
                    blockFirstPong = false;
                    sendBlocked.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                lines.forEach(l -> said.add(Thread.currentThread().getName() + "|" + l));
            }
            public String selfName() { return "opsbot"; }
            public void close() { }
        });
    }

    @AfterEach
    void tearDown() {
        release.countDown();
        dispatcher.close();
        store.close();
    }

    private String reply() throws InterruptedException {
        String s = said.poll(10, TimeUnit.SECONDS);
        assertNotNull(s, "no reply");
        return s;
    }

    @Test
    void linesAreHandledOffTheNetworksOwnThread() throws Exception {
        Thread.currentThread().setName("network-io");
        inbox.accept(new Inbound("irc", "#ops", "alice", new Identity.IrcAccount("alice"), "!ping"));
        String r = reply();
        assertTrue(r.endsWith("|pong"), r);
        assertFalse(r.startsWith("network-io|"), "handled on the network's thread: " + r);
    }

    @Test
    void aPersonWhoseLaneIsFullIsToldOnceAndOthersAreStillAnswered() throws Exception {
        blockFirstPong = true;
        inbox.accept(new Inbound("irc", "#ops", "alice", new Identity.IrcAccount("alice"), "!ping"));
        assertTrue(sendBlocked.await(10, TimeUnit.SECONDS), "alice's first reply is under way (and stuck)");
        for (int i = 0; i < Dispatcher.LANE_WAITING; i++) {
            inbox.accept(new Inbound("irc", "#ops", "alice", new Identity.IrcAccount("alice"), "chat " + i)); // up to the bound
        }
        inbox.accept(new Inbound("irc", "#ops", "alice", new Identity.IrcAccount("alice"), "more chat")); // over it, not a command: only logged
        inbox.accept(new Inbound("irc", "#ops", "alice", new Identity.IrcAccount("alice"), "!hosts"));
        inbox.accept(new Inbound("irc", "#ops", "alice", new Identity.IrcAccount("alice"), "!whoami"));
        assertEquals("busy: your earlier commands are still being handled; not taken: \"hosts\" (say it again in a moment)",
                reply().split("\\|", 2)[1]);
        inbox.accept(new Inbound("irc", "#ops", "bob", new Identity.IrcAccount("bob"), "!ping"));
        assertEquals("pong", reply().split("\\|", 2)[1], "bob is answered while alice's lane is stuck");
        assertNull(said.poll(200, TimeUnit.MILLISECONDS), "one answer per backlog: !whoami is not answered again");
        release.countDown();
        assertEquals("pong", reply().split("\\|", 2)[1], "alice's stuck reply goes out once released");
    }
}
