package opsbot.commands;

import opsbot.commands.model.Binder;
import opsbot.commands.model.CommandCatalog;
import opsbot.commands.model.Inventory;
import opsbot.commands.model.LookupException;
import opsbot.commands.parse.Addressing;
import opsbot.commands.parse.ParseException;
import opsbot.commands.parse.Tokenizer;
import opsbot.config.CommandSpec;
import opsbot.config.OpsbotConfig;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Bidi controls in what people type: the marks a right-to-left keyboard inserts are dropped like other
 * invisible characters; embeddings, overrides and isolates make a line look unlike what it says, so a
 * command line that has one is refused before anything is looked up.
 */
class BidiInputTest {
    private final OpsbotConfig cfg = Fixtures.example();
    private final Addressing addressing = new Addressing("!", "opsbot");
    private final CommandCatalog catalog = new CommandCatalog(cfg.commands());
    private final Binder binder = new Binder(new Inventory(cfg.hosts()));

    private List<Tokenizer.Word> words(String line) throws ParseException {
        return Tokenizer.split(addressing.commandText(line, false));
    }

    @Test
    void overridesEmbeddingsAndIsolatesAreRefused() {
        for (int cp : new int[]{0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069}) {
            String line = "!srv c4 " + Character.toString(cp) + "pots" + Character.toString(0x202C);
            ParseException e = assertThrows(ParseException.class, () -> words(line), Integer.toHexString(cp));
            assertTrue(e.getMessage().startsWith("refused: the line has a bidi control character (U+" +
                    Integer.toHexString(cp).toUpperCase() + ")"), e.getMessage());
            assertFalse(e.getMessage().contains(Character.toString(cp)), "the reply does not carry it on");
        }
        assertThrows(ParseException.class, () -> words("!fo -K 'compute4\u202E'"), "quoted too");
    }

    @Test
    void marksFromRightToLeftKeyboardsAreDropped() throws Exception {
        List<Tokenizer.Word> w = words("!fo\u200F -K\u200E c4\u061C");
        assertEquals(List.of("fo", "-K", "c4"), w.stream().map(Tokenizer.Word::text).toList());
    }

    @Test
    void anArgumentWithABidiControlIsRefusedEvenWithoutTheTokenizer() {
        CommandSpec fo = (CommandSpec) ((CommandCatalog.Lookup.Found) catalog.lookup("fo")).command();
        LookupException e = assertThrows(LookupException.class,
                () -> binder.bind(fo, List.of(new Tokenizer.Word("compute4\u2067", false))));
        assertTrue(e.getMessage().contains("control characters"), e.getMessage());
        assertFalse(e.getMessage().contains("\u2067"));
    }
}
