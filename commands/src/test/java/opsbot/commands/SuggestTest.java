package opsbot.commands;

import opsbot.commands.model.CommandCatalog;
import opsbot.commands.model.Inventory;
import opsbot.commands.model.LookupException;
import opsbot.commands.model.Suggest;
import opsbot.config.OpsbotConfig;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** "Did you mean …?" only when one name is clearly nearest; fullwidth names from phones are the names they look like. */
class SuggestTest {
    private final OpsbotConfig cfg = Fixtures.example();
    private final Inventory inv = new Inventory(cfg.hosts());
    private final CommandCatalog catalog = new CommandCatalog(cfg.commands());

    private String unknownHost(String word) {
        return assertThrows(LookupException.class, () -> inv.resolve(word)).getMessage();
    }

    @Test
    void equallyNearHostsGetNoSuggestion() {
        List<String> hosts = List.of("compute1", "compute4", "compute5", "compute6");
        assertNull(Suggest.nearest("compute\uFF14", hosts), "fullwidth 4 is one edit from each of them");
        assertNull(Suggest.nearest("compute7", hosts));
        assertEquals("compute4", Suggest.nearest("compute44", hosts), "one edit from compute4, two from the rest");
        assertEquals("compute4", Suggest.nearest("cmopute4", hosts), "a transposition");

        assertEquals("unknown host 'compute7' (!hosts lists them)", unknownHost("compute7"));
        assertEquals("unknown host 'imap' (!hosts lists them)", unknownHost("imap"), "imap1 or imap2?");
        assertEquals("unknown host 'compute44': did you mean compute4?", unknownHost("compute44"));
    }

    @Test
    void aNameAndItsAliasDoNotCompete() {
        assertEquals("status", Suggest.nearest("statsu", Map.of("status", 1, "st", 1, "fo", 2)));
        assertNull(Suggest.nearest("ab", Map.of("ax", 1, "xb", 2)), "different things at the same distance");
        Map<String, Integer> sameThing = new java.util.LinkedHashMap<>();
        sameThing.put("ax", 1);
        sameThing.put("xb", 1);
        assertEquals("ax", Suggest.nearest("ab", sameThing), "one thing: its first word");
    }

    @Test
    void fullwidthNamesFromAPhoneResolve() throws Exception {
        assertEquals("compute4", inv.resolve("compute\uFF14").name(), "fullwidth digit");
        assertEquals("compute4", inv.resolve("\uFF43\uFF4F\uFF4D\uFF50\uFF55\uFF54\uFF45\uFF14").name(), "all fullwidth");
        assertEquals("compute4", inv.resolve("\uFF23\uFF14").name(), "fullwidth alias C4");
        assertEquals(List.of("compute4", "compute5", "compute6", "imap2"),
                inv.resolveMany("@\uFF42\uFF4C\uFF41\uFF44\uFF45centre2").stream().map(h -> h.name()).toList(), "a group");
        assertTrue(catalog.lookup("\uFF46\uFF4F") instanceof CommandCatalog.Lookup.Found f
                && f.command() instanceof opsbot.config.CommandSpec c && c.name().equals("fo"), "command fo");
    }

    @Test
    void commandNamesFollowTheSameRule() {
        assertEquals("unknown command 'fi': did you mean `fo`?",
                ((CommandCatalog.Lookup.Unknown) catalog.lookup("fi")).message());
        assertEquals("unknown command 'fp' (!help lists them)",
                ((CommandCatalog.Lookup.Unknown) catalog.lookup("fp")).message(), "fo (failover) or up (uptime)?");
        assertEquals("unknown command 'uptiem': did you mean `uptime`?",
                ((CommandCatalog.Lookup.Unknown) catalog.lookup("uptiem")).message());
        String far = ((CommandCatalog.Lookup.Unknown) catalog.lookup("zzzzzzz")).message();
        assertEquals("unknown command 'zzzzzzz' (!help lists them)", far);
    }
}
