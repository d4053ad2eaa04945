package opsbot.commands;

import opsbot.commands.model.Binder;
import opsbot.commands.model.CommandCatalog;
import opsbot.commands.model.Inventory;
import opsbot.commands.model.Invocation;
import opsbot.commands.model.LookupException;
import opsbot.commands.model.Plan;
import opsbot.commands.model.Planner;
import opsbot.commands.parse.Addressing;
import opsbot.commands.parse.ParseException;
import opsbot.commands.parse.Tokenizer;
import opsbot.config.CommandSpec;
import opsbot.config.OpsbotConfig;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class ParsingTest {
    private final OpsbotConfig cfg = Fixtures.example();
    private final Inventory inv = new Inventory(cfg.hosts());
    private final CommandCatalog catalog = new CommandCatalog(cfg.commands());
    private final Addressing addressing = new Addressing("!", "opsbot");

    /** Chat line → plan, the way the dispatcher does it. */
    private Plan plan(String line) throws Exception {
        String text = addressing.commandText(line, false);
        assertNotNull(text, "not addressed: " + line);
        List<Tokenizer.Word> words = Tokenizer.split(text);
        CommandCatalog.Lookup l = catalog.lookup(words.get(0).text());
        if (l instanceof CommandCatalog.Lookup.Unknown u) {
            throw new LookupException(u.message());
        }
        CommandSpec spec = (CommandSpec) ((CommandCatalog.Lookup.Found) l).command();
        Invocation invocation = new Binder(inv).bind(spec, words.subList(1, words.size()));
        return new Planner(inv).plan(invocation);
    }

    private String error(String line) {
        Exception e = assertThrows(Exception.class, () -> plan(line));
        assertTrue(e instanceof LookupException || e instanceof ParseException, e.toString());
        return e.getMessage();
    }

    @Test
    void failoverRunsOnTheAdminHostWithFlagsAndHost() throws Exception {
        Plan p = plan("!fo -K compute4");
        assertEquals(1, p.steps().size());
        assertEquals("admin1", p.steps().get(0).host().name());
        assertEquals("utils/FailOver.pl -K compute4", p.steps().get(0).commandLine());
    }

    @Test
    void phoneRepairsAliasesPrefixesAndCase() throws Exception {
        String expected = "utils/FailOver.pl -K compute4";
        assertEquals(expected, plan("!FO —K c4").steps().get(0).commandLine(), "em dash, alias, upper case");
        assertEquals(expected, plan("!fo –K C4").steps().get(0).commandLine(), "en dash");
        assertEquals(expected, plan("opsbot: failo -K “compute4”").steps().get(0).commandLine(), "prefix, smart quotes");
        assertEquals("utils/FailOver.pl -K -a compute4", plan("!fo c4 -aK").steps().get(0).commandLine(),
                "combined flags in declared order, after the host");
        assertEquals("utils/FailOver.pl compute4", plan("!fo c4").steps().get(0).commandLine(), "no flags");
    }

    @Test
    void groupsFanOutAndEnumsAcceptPrefixes() throws Exception {
        Plan p = plan("!srv @bladecentre2 sto");
        assertEquals(List.of("compute4", "compute5", "compute6", "imap2"),
                p.steps().stream().map(s -> s.host().name()).toList());
        assertTrue(p.steps().stream().allMatch(s -> s.commandLine().equals("srv all stop")));
        assertEquals(2, plan("!st c1,@imap").steps().size() - 1);
    }

    @Test
    void typosGetSuggestions() {
        assertEquals("unknown command 'fi': did you mean `fo`?", error("!fi -K c4"));
        assertEquals("unknown command 'fp' (!help lists them)", error("!fp -K c4"), "as near to up (uptime) as to fo");
        assertTrue(error("!fo -K compute44").contains("did you mean compute4?"));
        assertTrue(error("!fo -X c4").contains("unknown flag -X"));
        assertTrue(error("!fo").contains("missing HOST (usage: fo [-Kam] HOST)"));
        assertTrue(error("!srv c4 reboot").contains("action must be one of start|stop"));
        assertTrue(error("!s c4").contains("ambiguous"), "s is srv, status, salint, slots, service");
        assertTrue(error("!fo c4 c5").contains("too many arguments"));
        assertTrue(error("!fo 'c4").contains("unterminated"));
    }

    @Test
    void injectionAttemptsAreRejectedBeforeAnythingIsPlanned() {
        for (String bad : List.of("!fo -K 'compute4;touch /tmp/x'", "!fo -K $(touch /tmp/x)", "!fo -K `touch /tmp/x`",
                "!fo -K compute4\ntouch /tmp/x", "!fo -K @/etc/passwd", "!fo -K ../../etc/passwd",
                "!srv @compute 'stop;reboot'", "!fo -K compute4\u0000")) {
            assertThrows(LookupException.class, () -> plan(bad), bad);
        }
    }

    @Test
    void notAddressedLinesAreIgnored() {
        assertNull(addressing.commandText("fo -K c4", false));
        assertNull(addressing.commandText("!!!", false));
        assertNull(addressing.commandText("! great", false));
        assertEquals("fo -K c4", addressing.commandText("fo -K c4", true), "private messages need no prefix");
        assertEquals("help", addressing.commandText("OpsBot, help", false));
    }
}
