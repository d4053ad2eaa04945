package opsbot.bot.dispatch;

import opsbot.commands.policy.Identity;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import opsbot.bot.chat.ChatNetwork;
import opsbot.bot.chat.Inbound;
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
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Output that would flood the chat, through the dispatcher: a network that records every reply (one entry per
 * {@code send}, as the adapters get it) and an executor that answers with whatever the test sets.
 */
class OutputBoundsTest {
    /** What IrcNetwork may put in one PRIVMSG to "#ops" (see IrcLines.budget): a line within it is one message. */
    private static final int IRC_TEXT_BUDGET = 512 - 100 - "PRIVMSG ".length() - "#ops".length() - " :".length() - 2;

    @TempDir
    Path dir;
    /** One entry per send: the lines handed to the network together (Matrix makes one message of them). */
    private final BlockingQueue<List<String>> sent = new LinkedBlockingQueue<>();
    private volatile String stdout = "";
    private Store store;
    private Dispatcher dispatcher;
    private ListAppender<ILoggingEvent> logged;

    @BeforeEach
    void setUp() throws Exception {
        String text = new String(getClass().getResourceAsStream("/opsbot/examples/opsbot.yml").readAllBytes());
        OpsbotConfig cfg = ((ConfigLoader.Result.Loaded) new ConfigLoader(n -> "secret-" + n, false).load("x", text, null)).config();
        BotConfig b = cfg.bot();
        // 20 lines a page: the byte budget, not the line count, is what limits pages of long lines.
        cfg = new OpsbotConfig(new BotConfig(b.prefix(), b.privateMessages(), 20, b.confirmTimeout(), b.timezone(), b.staleAfter()),
                cfg.irc(), null, cfg.people(), cfg.channels(), cfg.hosts(), cfg.ssh(), cfg.commands(),
                StorageConfig.embedded(dir.resolve("db").toString()));
        store = Store.open(cfg.storage());
        Executor executor = (HostConfig h, String line) -> new ExecResult.Exited(0, stdout, "", 0, Duration.ofMillis(5));
        dispatcher = new Dispatcher(cfg, store, new FanOut(executor, 4), Clock.systemUTC());
        dispatcher.attach(new ChatNetwork() {
            public String name() { return "irc"; }
            public void start(Consumer<Inbound> inbox) { }
            public void send(String target, List<String> lines) { sent.add(List.copyOf(lines)); }
            public String selfName() { return "opsbot"; }
            public void close() { }
        });
        logged = new ListAppender<>();
        logged.start();
        ((Logger) LoggerFactory.getLogger(Dispatcher.class)).addAppender(logged);
    }

    @AfterEach
    void tearDown() {
        ((Logger) LoggerFactory.getLogger(Dispatcher.class)).detachAppender(logged);
        dispatcher.close();
        store.close();
    }

    private List<String> ask(String line) throws InterruptedException {
        dispatcher.handle(new Inbound("irc", "#ops", "bob", new Identity.IrcAccount("bob"), line));
        List<String> reply = sent.poll(5, TimeUnit.SECONDS);
        assertNotNull(reply, "no reply to " + line);
        return reply;
    }

    private static int bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    private static int bytes(List<String> lines) {
        return lines.stream().mapToInt(l -> bytes(l) + 1).sum();
    }

    @Test
    void oneLineOf64KilobytesOfJsonIsOneShortChatLine() throws Exception {
        StringBuilder json = new StringBuilder("{\"items\":[");
        for (int i = 0; json.length() < 65536; i++) json.append("{\"id\":").append(i).append(",\"name\":\"höst-").append(i).append("\"},");
        stdout = json + "{}]}\n";

        List<String> reply = ask("!uptime c1");
        assertEquals(2, reply.size(), "the summary and one line, nothing behind !more: " + reply.size() + " lines");
        assertTrue(reply.get(0).startsWith("✓ uptime · compute1 · exit 0"), reply.get(0));
        String line = reply.get(1);
        assertTrue(bytes(line) <= ResultFormat.LINE_BYTES, bytes(line) + " bytes");
        assertTrue(bytes(line) < IRC_TEXT_BUDGET, "one IRC message, not 165");
        assertTrue(line.startsWith("{\"items\":[{\"id\":0,") && line.endsWith("…"), line);
        dispatcher.awaitIdle(Duration.ofSeconds(5));
        assertTrue(store.recent(1).get(0).output().contains(json), "the store keeps the output whole");
    }

    @Test
    void manyLongLinesArePagedByBytesAndMoreShowsTheRestInOrder() throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 40; i++) lines.add(String.format("%03d ", i) + "ü".repeat(2000));
        stdout = String.join("\n", lines) + "\n";

        List<String> page = ask("!uptime c1");
        assertTrue(page.get(0).startsWith("✓ uptime · compute1"), page.get(0));
        List<String> body = page.subList(1, page.size());
        List<String> shown = new ArrayList<>();
        for (int pages = 1; ; pages++) {
            assertTrue(pages < 40, "paging ends");
            assertTrue(bytes(page) <= Pager.PAGE_BYTES, "page " + pages + ": " + bytes(page) + " bytes");
            assertTrue(page.size() < 20, "limited by bytes before lines: " + page.size());
            page.forEach(l -> assertTrue(bytes(l) <= ResultFormat.LINE_BYTES, bytes(l) + " bytes"));
            String last = body.get(body.size() - 1);
            boolean more = last.matches("\\(\\+\\d+ lines: !more\\)");
            shown.addAll(more ? body.subList(0, body.size() - 1) : body);
            if (!more) break;
            assertEquals(40 - shown.size(), Integer.parseInt(last.replaceAll("\\D", "")), "lines left, as announced");
            page = ask("!more");
            body = page;
        }
        assertEquals(40, shown.size());
        for (int i = 0; i < 40; i++) {
            assertTrue(shown.get(i).startsWith(String.format("%03d üü", i)) && shown.get(i).endsWith("…"), shown.get(i));
        }
        assertEquals(List.of("nothing more to show here"), ask("!more"));
    }

    @Test
    void hostOutputCannotReorderTheChannel() throws Exception {
        stdout = "owner: \u202Eexe.txt\u202C \u2066x\u2069 mark\u200F\n";
        List<String> reply = ask("!uptime c1");
        assertEquals("owner: exe.txt x mark", reply.get(1));
    }

    @Test
    void freeTextWithABidiOverrideIsRefused() throws Exception {
        dispatcher.handle(new Inbound("irc", "#ops", "alice", new Identity.IrcAccount("alice"), "!note compute4 \u202Edetoor"));
        List<String> reply = sent.poll(5, TimeUnit.SECONDS);
        assertNotNull(reply);
        assertEquals(List.of("refused: the line has a bidi control character (U+202E), which can make it look"
                + " different from what it says; type it again without"), reply);
        assertEquals("invalid", store.recent(1).get(0).decision());
    }

    @Test
    void chatTextInTheLogCannotForgeALine() throws Exception {
        String body = "!ping\n12:00:00.000 INFO  o.b.d.Dispatcher - irc #ops bob(bob): !fo -K compute4\r\u2028\u202E";
        dispatcher.handle(new Inbound("matrix", "!room:x", "eve\nINFO", new Identity.MatrixUser("@eve:x"), body));
        List<String> messages = logged.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        assertFalse(messages.isEmpty());
        for (String m : messages) {
            assertTrue(m.codePoints().noneMatch(cp -> cp == '\n' || cp == '\r' || cp == 0x2028 || cp == 0x202E), m);
        }
        assertTrue(messages.stream().anyMatch(m -> m.contains("eve\\nINFO") && m.contains("ping\\n12:00:00.000 INFO")),
                messages.toString());

        // And the log's own pattern (logback.xml) keeps any message to one line, whatever a caller passed.
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        var encoder = ((ch.qos.logback.core.OutputStreamAppender<ILoggingEvent>) root.getAppender("ERR")).getEncoder();
        LoggerFactory.getLogger(Dispatcher.class).info("unescaped {}", "a\nb\r\u2028c\u0085d");
        ILoggingEvent raw = logged.list.get(logged.list.size() - 1);
        String line = new String(encoder.encode(raw), StandardCharsets.UTF_8);
        assertTrue(line.endsWith(" - unescaped a\\nb\\n\\nc\\nd" + System.lineSeparator()), line);
    }
}
