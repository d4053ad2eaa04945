package opsbot.bot.irc;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class IrcLinesTest {
    @Test
    void budgetLeavesRoomForTheRelayedPrefix() {
        // ":" + nick!user@host + " PRIVMSG #ops :" + text + CRLF must fit 512 bytes for any sane prefix
        int budget = IrcLines.budget("#ops");
        assertEquals(512 - 100 - 8 - 4 - 2 - 2, budget);
    }

    @Test
    void splitsOnSpacesWithinTheBudget() {
        String text = "word ".repeat(200).strip();
        List<String> parts = IrcLines.split(text, 100);
        assertTrue(parts.size() > 1);
        for (String p : parts) {
            assertTrue(p.getBytes(StandardCharsets.UTF_8).length <= 100, p);
            assertFalse(p.startsWith(" ") || p.endsWith(" "), "'" + p + "'");
        }
        assertEquals(text.replace(" ", ""), String.join("", parts).replace(" ", ""));
    }

    @Test
    void neverCutsInsideAUtf8Sequence() {
        String text = "✓€ü😀".repeat(60); // 3, 3, 2 and 4 bytes, no spaces
        List<String> parts = IrcLines.split(text, 50);
        for (String p : parts) {
            byte[] b = p.getBytes(StandardCharsets.UTF_8);
            assertTrue(b.length <= 50);
            assertEquals(p, new String(b, StandardCharsets.UTF_8), "round-trips: no broken sequence");
            assertFalse(Character.isLowSurrogate(p.charAt(0)), "no split surrogate pair");
        }
        assertEquals(text, String.join("", parts));
    }

    @Test
    void shortAndEmptyTextStayOneLine() {
        assertEquals(List.of("pong"), IrcLines.split("pong", 400));
        assertEquals(List.of(""), IrcLines.split("", 400));
    }

    /** The reader and Kitteh's thread count the same lines: PRIVMSGs Kitteh raises an event for at once. */
    @Test
    void countableLinesArePrivmsgsKittehHandsOnAtOnce() {
        assertTrue(IrcLines.countable("@account=a :n!u@h PRIVMSG #c :x"));
        assertTrue(IrcLines.countable(":n!u@h privmsg  #c :x"), "any case, extra spaces");
        assertTrue(IrcLines.countable("  @account=a  :n!u@h PRIVMSG #c :x"));
        assertTrue(IrcLines.countable("@batch :n!u@h PRIVMSG #c :x"), "a batch tag without a value is not held");
        assertFalse(IrcLines.countable("@account=a;batch=b1 :n!u@h PRIVMSG #c :x"), "held until its batch ends");
        assertFalse(IrcLines.countable(":n!u@h NOTICE #c :x"));
        assertFalse(IrcLines.countable(":n!u@h PRIVMSGX #c :x"));
        assertFalse(IrcLines.countable("@ :n!u@h PRIVMSG #c :x"), "an empty tag section: Kitteh raises no event");
        assertFalse(IrcLines.countable(":n!u@h"));
        assertEquals("001", IrcLines.command("@t=1 :srv 001 opsbot :Welcome"));
        assertEquals(java.util.List.of("opsbot", "ACK", "account-tag sasl"), IrcLines.params(":srv CAP opsbot ACK :account-tag sasl"));
        assertEquals(java.util.List.of("#c"), IrcLines.params(":n!u@h JOIN #c"));
        assertEquals("n", IrcLines.senderNick("@a=b :n!u@h PRIVMSG #c :x"));
    }
}
