package opsbot.bot.dispatch;

import opsbot.bot.chat.ChatNetwork;
import opsbot.bot.chat.Inbound;
import opsbot.bot.store.Store;
import opsbot.commands.model.Builtin;
import opsbot.commands.policy.CommandRef;
import opsbot.commands.policy.Identity;
import opsbot.commands.ssh.DryRunExecutor;
import opsbot.commands.ssh.FanOut;
import opsbot.config.ConfigLoader;
import opsbot.config.Kind;
import opsbot.config.OpsbotConfig;
import opsbot.config.Role;
import opsbot.config.StorageConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Extensions sit behind the same door as every command: a built-in or a word of their own reaches them only
 * when allowed; their confirmations ask the door again; {@code !y} and {@code !cancel} find them.
 */
class ExtensionTest {
    @TempDir
    Path dir;
    private final BlockingQueue<String> said = new LinkedBlockingQueue<>();
    private final List<Request> answered = new CopyOnWriteArrayList<>();
    private final List<Inbound> confirmed = new CopyOnWriteArrayList<>();
    private Store store;
    private Dispatcher dispatcher;
    private static final CommandRef REINSTALL = new CommandRef("reinstall", Kind.CHANGE, Role.ADMIN);

    /** A stand-in for follow-ups and runbooks: answers !remind, owns the runbook "reinstall", ids X1.. and a !y. */
    private final Extension ext = new Extension() {
        public Set<Builtin> answers() {
            return Set.of(Builtin.REMIND);
        }

        public List<String> answer(Request r) {
            answered.add(r);
            return List.of("noted: " + r.rest());
        }

        public Optional<CommandRef> command(String word) {
            return word.equals("reinstall") ? Optional.of(REINSTALL) : Optional.empty();
        }

        public List<String> invoke(Request r) {
            answered.add(r);
            dispatcher.toolbox().confirm(r, REINSTALL, "reinstall " + r.args(), null, List.of("1. fo -a"), confirmed::add);
            return List.of();
        }

        public Optional<List<String>> cancel(Request r, String id) {
            return id.startsWith("X") ? Optional.of(List.of("cancelled " + id)) : Optional.empty();
        }

        public Optional<List<String>> yes(Request r) {
            return r.args().isEmpty() ? Optional.empty() : Optional.of(List.of("going on with " + r.args().get(0)));
        }
    };

    @BeforeEach
    void setUp() throws Exception {
        String text = new String(getClass().getResourceAsStream("/opsbot/examples/opsbot.yml").readAllBytes());
        OpsbotConfig cfg = ((ConfigLoader.Result.Loaded) new ConfigLoader(n -> "secret-" + n, false).load("x", text, null)).config()
                .withStorage(StorageConfig.embedded(dir.resolve("db").toString()));
        store = Store.open(cfg.storage());
        dispatcher = new Dispatcher(cfg, store, new FanOut(new DryRunExecutor(), 4), Clock.systemUTC());
        dispatcher.extend(ext);
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
        dispatcher.handle(new Inbound("irc", channel, account, Identity.irc("irc", account, account), line));
    }

    private String reply() throws InterruptedException {
        String s = said.poll(5, TimeUnit.SECONDS);
        assertNotNull(s, "no reply");
        return s;
    }

    @Test
    void aBuiltinReachesItsExtensionOnlyPastTheDoor() throws Exception {
        say("carol", "#ops", "!remind 30m check compute4"); // a viewer; remind needs operator
        assertTrue(reply().contains("denied"));
        assertTrue(answered.isEmpty());
        say("alice", "#ops", "!remind 30m check compute4");
        assertEquals("#ops noted: 30m check compute4", reply());
        Request r = answered.get(0);
        assertEquals(Builtin.REMIND, r.builtin());
        assertEquals(List.of("30m", "check", "compute4"), r.args());
        assertEquals(new Identity.IrcAccount("alice"), r.in().who());
    }

    @Test
    void aReminderIsFreeTextWithApostrophesAndQuotesAsTyped() throws Exception {
        say("alice", "#ops", "!remind 30m check why c4 doesn't boot");
        assertEquals("#ops noted: 30m check why c4 doesn't boot", reply());
        say("alice", "#ops", "!remind 30m ask bob’s \"opinion"); // a phone's apostrophe, an open quote
        assertEquals("#ops noted: 30m ask bob's \"opinion", reply());
    }

    @Test
    void anExtensionsOwnWordGoesThroughTheDoorWithItsRef() throws Exception {
        say("alice", "#ops", "!reinstall c4"); // an operator; the runbook needs admin
        assertTrue(reply().contains("denied"));
        say("bob", "#mail", "!reinstall c4"); // an admin, but a shared channel: no change there
        assertTrue(reply().contains("denied"));
        assertTrue(answered.isEmpty());
        say("bob", "#ops", "!ri c4"); // the runbook's alias, as the catalog resolves it
        assertEquals("#ops confirm with !y within 60s: reinstall [c4]", reply());
        assertEquals("#ops 1. fo -a", reply());
        assertEquals(1, answered.size());
        say("alice", "#ops", "!y"); // not hers to confirm
        reply();
        assertTrue(confirmed.isEmpty());
        say("bob", "#ops", "!y");
        TestWait.until(() -> confirmed.size() == 1);
        say("bob", "#ops", "!y"); // taken once
        assertEquals("#ops nothing to confirm for you here", reply());
        assertEquals(1, confirmed.size());
    }

    @Test
    void aPrefixOfARunbookIsNeverTakenForTheCommandThatStartsTheSame() throws Exception {
        say("bob", "#ops", "!reinst c4"); // the runbook reinstall, and the command reinstall-grub (grub's alias)
        String r = reply();
        assertTrue(r.contains("ambiguous") && r.contains("reinstall-grub") && r.contains("reinstall,"), r);
        assertTrue(answered.isEmpty());
    }

    @Test
    void helpListsTheRunbooksTheAskerMayStartAndExplainsOne() throws Exception {
        say("bob", "#ops", "!help");
        assertTrue(reply().contains(" reinstall(ri)*"));
        reply();
        say("alice", "#ops", "!help"); // an operator: not hers
        assertTrue(!reply().contains("reinstall(ri)"));
        reply();
        say("alice", "#ops", "!help ri");
        assertTrue(reply().startsWith("#ops reinstall HOST [--dry-run] — "));
        String more = reply();
        assertTrue(more.contains("needs admin") && more.contains("fo → srv → grub → reboot → until ssh-reachable"), more);
    }

    @Test
    void yesAndCancelFindTheExtension() throws Exception {
        say("alice", "#ops", "!y R3");
        assertEquals("#ops going on with R3", reply());
        say("alice", "#ops", "!cancel X7");
        assertEquals("#ops cancelled X7", reply());
        say("alice", "#ops", "!cancel F99");
        assertTrue(reply().startsWith("#ops no follow-up or runbook run F99"));
    }

    @Test
    void theToolboxPlansADeclaredLineAsSomeoneSomewhere() {
        Toolbox t = dispatcher.toolbox();
        Toolbox.Planned ok = t.plan(new Identity.IrcAccount("alice"), t.venue("irc", "#ops"), "srv c4 start");
        Toolbox.Planned.Ok p = assertInstanceOf(Toolbox.Planned.Ok.class, ok);
        assertEquals("compute4", p.plan().steps().get(0).host().name());
        assertEquals("srv all start", p.plan().steps().get(0).commandLine());
        Toolbox.Planned viewer = t.plan(new Identity.IrcAccount("carol"), t.venue("irc", "#ops"), "srv c4 start");
        assertEquals("denied", assertInstanceOf(Toolbox.Planned.Refused.class, viewer).decision());
        Toolbox.Planned shared = t.plan(new Identity.IrcAccount("alice"), t.venue("irc", "#mail"), "srv c4 start");
        assertEquals("denied", assertInstanceOf(Toolbox.Planned.Refused.class, shared).decision());
        Toolbox.Planned builtin = t.plan(new Identity.IrcAccount("alice"), t.venue("irc", "#ops"), "help");
        assertEquals("invalid", assertInstanceOf(Toolbox.Planned.Refused.class, builtin).decision());
        Toolbox.Planned bad = t.plan(new Identity.IrcAccount("alice"), t.venue("irc", "#ops"), "srv c4 restart");
        assertEquals("invalid", assertInstanceOf(Toolbox.Planned.Refused.class, bad).decision());
    }

    /** Waits for something another thread does, with a deadline. */
    private static final class TestWait {
        static void until(java.util.function.BooleanSupplier done) throws InterruptedException {
            opsbot.bot.testkit.TestEnv.await("it happens", done, java.time.Duration.ofSeconds(5));
        }
    }
}
