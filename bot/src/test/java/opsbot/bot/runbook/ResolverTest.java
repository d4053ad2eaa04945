package opsbot.bot.runbook;

import opsbot.commands.parse.ParseException;
import opsbot.commands.parse.Tokenizer;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** A chat value filled into a step's line stays one word: it can neither close its quoting nor become a flag. */
class ResolverTest {
    @Test
    void valuesThatCouldAddWordsOrFlagsAreRefused() {
        assertNotNull(Resolver.unsafe("-f"));
        assertNotNull(Resolver.unsafe("--include=/etc/shadow"));
        assertNotNull(Resolver.unsafe("x\"y' -f '"));
        assertNotNull(Resolver.unsafe("it's"));
        assertNull(Resolver.unsafe("compute4"));
        assertNull(Resolver.unsafe("disk full on c4"));
    }

    @Test
    void anAllowedValueWithSpacesIsOneWordAgainWhenTheLineIsSplit() throws ParseException {
        String line = "jot compute4 " + "\"disk full -f on c4\"";
        List<Tokenizer.Word> words = Tokenizer.split(line);
        assertEquals(3, words.size());
        assertEquals("disk full -f on c4", words.get(2).text());
    }
}
