package opsbot.bot.dispatch;

import opsbot.bot.chat.ChatNetwork;
import opsbot.bot.chat.Inbound;
import opsbot.bot.chat.Message;
import opsbot.bot.incident.Actor;
import opsbot.bot.incident.Incident;
import opsbot.bot.store.Attempt;
import opsbot.bot.store.Store;
import opsbot.commands.model.Builtin;
import opsbot.commands.policy.Authorizer;
import opsbot.commands.policy.CommandRef;
import opsbot.commands.policy.Decision;
import opsbot.commands.policy.Gate;
import opsbot.commands.policy.Identity;
import opsbot.commands.policy.People;
import opsbot.commands.policy.Policy;
import opsbot.commands.ssh.ExecResult;
import opsbot.commands.ssh.Executor;
import opsbot.commands.ssh.FanOut;
import opsbot.config.BotConfig;
import opsbot.config.CommandSpec;
import opsbot.config.ConfigLoader;
import opsbot.config.HostConfig;
import opsbot.config.Kind;
import opsbot.config.MatrixConfig;
import opsbot.config.OpsbotConfig;
import opsbot.config.Person;
import opsbot.config.Role;
import opsbot.config.StorageConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The one policy door: every built-in, every incident subcommand, every declared command and a note written
 * in an incident thread is asked for at the door, and a door that says no leaves no trace but the denial
 * (nothing run, nothing in the incident, no pager or confirmation state touched). A confirmation goes
 * through it again, and a door that breaks denies.
 */
class DoorTest {
    private static final Identity ALICE = new Identity.IrcAccount("alice");
    private static final Identity ERIN = new Identity.MatrixUser("@erin:x");
    private static final String NO = "denied: the door says no";

    @TempDir
    Path dir;
    private final BlockingQueue<String> said = new LinkedBlockingQueue<>();
    private final List<String> ran = new CopyOnWriteArrayList<>();
    /** What the door was asked, in order, and what it answers now. */
    private final List<CommandRef> asked = new CopyOnWriteArrayList<>();
    private final AtomicReference<Authorizer> door = new AtomicReference<>();
    private final AtomicReference<People> people = new AtomicReference<>();
    private OpsbotConfig cfg;
    private Store store;
    private Dispatcher dispatcher;

    @BeforeEach
    void setUp() throws Exception {
        String text = new String(getClass().getResourceAsStream("/opsbot/examples/opsbot.yml").readAllBytes());
        OpsbotConfig c = ((ConfigLoader.Result.Loaded) new ConfigLoader(n -> "secret-" + n, false).load("x", text, null)).config();
        BotConfig b = c.bot();
        List<Person> ps = new ArrayList<>(c.people());
        ps.add(new Person("erin", null, "@erin:x", Role.OPERATOR));
        cfg = new OpsbotConfig(new BotConfig(b.prefix(), b.privateMessages(), b.pageLines(), Duration.ofMinutes(1), b.timezone(),
                b.staleAfter()), c.irc(), new MatrixConfig("http://127.0.0.1:1", "opsbot", "x", null, List.of("!inc:x"), null,
                List.of("!inc:x")), ps, c.channels(), c.hosts(), c.ssh(), c.commands(), StorageConfig.embedded(dir.resolve("db").toString()));
        store = Store.open(cfg.storage());
        Executor recording = (HostConfig h, String line) -> {
            ran.add(h.name() + ": " + line);
            return new ExecResult.Exited(0, "out of " + h.name() + "\n", "", 0, Duration.ofMillis(1));
        };
        people.set(new People(cfg.people()));
        door.set(new Gate(new Policy(cfg.bot().privateMessages()), people::get));
        Authorizer recordingDoor = (who, where, what) -> {
            asked.add(what);
            return door.get().authorize(who, where, what);
        };
        dispatcher = new Dispatcher(cfg, store, new FanOut(recording, 4), Clock.systemUTC(), recordingDoor);
        for (String name : List.of("irc", "matrix")) {
            dispatcher.attach(new ChatNetwork() {
                public String name() { return name; }
                public void start(Consumer<Inbound> inbox) { }
                public void send(String target, List<String> lines) {
                    if (!target.equals("#incidents")) lines.forEach(l -> said.add(target + " " + l));
                }
                public boolean hasThreads() { return name.equals("matrix"); }
                public String post(String target, Message m, String thread, String key) { return "$root"; }
                public String selfName() { return "opsbot"; }
                public void close() { }
            });
        }
    }

    @AfterEach
    void tearDown() {
        dispatcher.close();
        store.close();
    }

    private void say(Identity who, String line) {
        dispatcher.handle(new Inbound("irc", "#ops", "alice", who, line));
    }

    private String reply() throws InterruptedException {
        String s = said.poll(5, TimeUnit.SECONDS);
        assertNotNull(s, "no reply");
        return s;
    }

    /** One line per built-in, {@code incident} once per subcommand, each with what the door must be asked. */
    private static Map<String, CommandRef> everyBuiltinLine() {
        Map<String, CommandRef> lines = new LinkedHashMap<>();
        for (Builtin b : Builtin.values()) {
            if (b == Builtin.INCIDENT) {
                for (IncidentCommands.Sub s : IncidentCommands.Sub.values()) {
                    String word = s.words.get(0);
                    lines.put(word.isEmpty() ? "!incident" : "!incident " + word + " 1", s.ref());
                }
            } else {
                lines.put("!" + b.word + (b == Builtin.NOTE ? " checked the disks" : ""), CommandRef.of(b));
            }
        }
        return lines;
    }

    @Test
    void incidentSubcommandsHaveTheirOwnRoles() {
        Map<String, Role> roles = new LinkedHashMap<>();
        for (IncidentCommands.Sub s : IncidentCommands.Sub.values()) roles.put(s.ref().name(), s.ref().role());
        assertEquals(Map.of("incident", Role.VIEWER, "incident list", Role.VIEWER, "incident open", Role.OPERATOR,
                "incident close", Role.OPERATOR, "incident use", Role.OPERATOR, "incident report", Role.VIEWER,
                "incident verify", Role.VIEWER), roles);
        assertEquals(Role.OPERATOR, CommandRef.of(Builtin.NOTE).role());
        assertEquals(IncidentCommands.Sub.OPEN.ref(), IncidentCommands.ref(" NEW disk full"), "aliases, any case");
        assertEquals(new CommandRef("incident", Kind.READ, Role.VIEWER), IncidentCommands.ref("nosuch"),
                "no subcommand: the usage line only");
    }

    @Test
    void everyBuiltinAndIncidentSubcommandGoesThroughTheDoorAndADenialLeavesNoTrace() throws Exception {
        // State a denied command could touch: an open incident with its thread, a page waiting for !more, a
        // command waiting for !y.
        Incident inc = dispatcher.incidents().open("disk full", new Actor("alice", "irc", "#ops"));
        dispatcher.incidents().flush(Duration.ofSeconds(5));
        say(ALICE, "!status @compute");
        dispatcher.awaitIdle(Duration.ofSeconds(5));
        assertTrue(drain().stream().anyMatch(s -> s.matches("#ops \\(\\+\\d+ lines: !more\\)")), "paged");
        say(ALICE, "!fo -K c4");
        assertTrue(reply().startsWith("#ops confirm with !y"));
        dispatcher.incidents().flush(Duration.ofSeconds(5));
        ran.clear();
        int attemptsBefore = store.recent(1000).size();
        int entries = entriesOf(inc);

        door.set((who, where, what) -> new Decision.Deny(NO));
        asked.clear();
        Map<String, CommandRef> lines = everyBuiltinLine();
        for (Map.Entry<String, CommandRef> l : lines.entrySet()) {
            say(ALICE, l.getKey());
            assertEquals("#ops " + NO, reply(), l.getKey());
        }
        // A note written in the incident's Matrix thread is a command too.
        dispatcher.handle(new Inbound("matrix", "!inc:x", "erin", ERIN, "load is back to 2", "$m1", "$root"));
        dispatcher.awaitIdle(Duration.ofSeconds(5));

        List<CommandRef> expected = new ArrayList<>(lines.values());
        expected.add(CommandRef.of(Builtin.NOTE));
        assertEquals(expected, asked, "each asked for exactly once, as itself");
        assertEquals(List.of(), ran, "nothing ran");
        assertNull(said.poll(300, TimeUnit.MILLISECONDS), "one line per denial, nothing else");
        assertEquals(entries, entriesOf(inc), "nothing logged to the incident");
        assertEquals(List.of(inc.id()), dispatcher.incidents().list(10).stream().map(Incident::id).toList(),
                "no incident opened or closed");
        assertTrue(dispatcher.incidents().find(inc.id()).orElseThrow().isOpen());
        List<Attempt> all = store.recent(1000);
        List<Attempt> denied = all.subList(0, all.size() - attemptsBefore); // newest first
        assertEquals(lines.size(), denied.size());
        assertTrue(denied.stream().allMatch(a -> "denied".equals(a.decision()) && NO.equals(a.reason())), denied.toString());

        // The page and the confirmation are as they were: !more and !y were denied, not consumed.
        door.set(new Gate(new Policy(true), people::get));
        say(ALICE, "!more");
        List<String> more = drain();
        assertFalse(more.isEmpty() || more.get(0).contains("nothing more"), "the page survived the denied !more: " + more);
        say(ALICE, "!y");
        assertTrue(reply().startsWith("#ops ✓ fo · admin1"), "the confirmation survived the denied !y and !no");
    }

    @Test
    void everyDeclaredCommandGoesThroughTheDoor() throws Exception {
        door.set((who, where, what) -> new Decision.Deny(NO));
        for (CommandSpec spec : cfg.commands()) {
            say(ALICE, "!" + spec.name() + " c4");
            assertEquals("#ops " + NO, reply(), spec.name());
        }
        dispatcher.awaitIdle(Duration.ofSeconds(5));
        assertEquals(cfg.commands().stream().map(CommandRef::of).toList(), asked);
        assertEquals(List.of(), ran);
        assertTrue(store.recent(100).stream().allMatch(a -> "denied".equals(a.decision())));
        assertEquals(List.of(), dispatcher.incidents().list(10), "a denied change command opens no incident");
    }

    @Test
    void aConfirmationIsCheckedAgainAtTheDoor() throws Exception {
        String notRun = " · not run: admin1: utils/FailOver.pl -K compute4";
        // Removed from people between the prompt and !y.
        prompt();
        people.set(new People(cfg.people().stream().filter(p -> !p.name().equals("alice")).toList()));
        say(ALICE, "!y");
        assertEquals("#ops denied: `fo` needs operator; your account alice is not in opsbot's people list" + notRun, reply());
        // Demoted to viewer (a config reload).
        people.set(new People(cfg.people()));
        prompt();
        people.set(new People(List.of(new Person("alice", "alice", null, Role.VIEWER))));
        say(ALICE, "!y");
        assertEquals("#ops denied: `fo` needs operator; you are viewer" + notRun, reply());
        // The person's account is now another one: the identity that asked no longer matches anybody.
        people.set(new People(cfg.people()));
        prompt();
        people.set(new People(List.of(new Person("alice", "alice2", null, Role.OPERATOR))));
        say(ALICE, "!y");
        assertEquals("#ops denied: `fo` needs operator; your account alice is not in opsbot's people list" + notRun, reply());

        dispatcher.awaitIdle(Duration.ofSeconds(5));
        assertEquals(List.of(), ran, "nothing ran");
        assertEquals(3, store.recent(100).stream().filter(a -> "denied".equals(a.decision())).count(),
                "the waiting attempts are stored as denied");
        assertEquals(6, asked.stream().filter(r -> r.name().equals("fo")).count(), "asked at each prompt and each !y");

        // Still allowed: it runs (the second check does not refuse everyone).
        people.set(new People(cfg.people()));
        prompt();
        say(ALICE, "!y");
        assertTrue(reply().startsWith("#ops opened INC-1"));
        assertTrue(reply().startsWith("#ops ✓ fo · admin1"));
        assertEquals(List.of("admin1: utils/FailOver.pl -K compute4"), ran);
    }

    private void prompt() throws InterruptedException {
        say(ALICE, "!fo -K c4");
        assertEquals("#ops confirm with !y within 60s: admin1: utils/FailOver.pl -K compute4", reply());
    }

    @Test
    void aDoorThatBreaksDenies() throws Exception {
        door.set((who, where, what) -> {
            throw new IllegalStateException("people file unreadable");
        });
        say(ALICE, "!uptime c1");
        assertEquals("#ops " + Gate.BROKEN, reply());
        say(ALICE, "!inc open disk");
        assertEquals("#ops " + Gate.BROKEN, reply());
        door.set((who, where, what) -> null);
        say(ALICE, "!ping");
        assertEquals("#ops " + Gate.BROKEN, reply(), "no answer is no");
        // Broken between the prompt and !y: the second check denies too.
        door.set(new Gate(new Policy(true), people::get));
        prompt();
        door.set((who, where, what) -> what.name().equals("fo") ? null : new Decision.Allow());
        say(ALICE, "!y");
        assertEquals("#ops " + Gate.BROKEN + " · not run: admin1: utils/FailOver.pl -K compute4", reply());
        dispatcher.awaitIdle(Duration.ofSeconds(5));
        assertEquals(List.of(), ran);
        assertEquals(List.of(), dispatcher.incidents().list(10));
    }

    /** What was said until a quiet moment (output whose length the test does not pin). */
    private List<String> drain() throws InterruptedException {
        List<String> out = new ArrayList<>();
        for (String s; (s = said.poll(500, TimeUnit.MILLISECONDS)) != null; ) out.add(s);
        return out;
    }

    private int entriesOf(Incident i) {
        return dispatcher.incidents().find(i.id()).orElseThrow().entries();
    }
}
