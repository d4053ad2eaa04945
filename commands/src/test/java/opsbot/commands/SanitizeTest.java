package opsbot.commands;

import opsbot.commands.model.Sanitize;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

class SanitizeTest {
    private static int bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    @Test
    void aLineOf64KilobytesIsCutTo300BytesOnACodePointBoundary() {
        String json = "{\"k\":\"" + "€😀x".repeat(65536 / 8) + "\"}";
        assertTrue(bytes(json) >= 65536);
        String cut = Sanitize.capBytes(json, 300);
        assertTrue(bytes(cut) <= 300, bytes(cut) + " bytes");
        assertTrue(bytes(cut) > 290, "not cut shorter than needed: " + bytes(cut));
        assertTrue(cut.endsWith("…"));
        assertTrue(json.startsWith(cut.substring(0, cut.length() - 1)), "a prefix of the line");
        assertFalse(Character.isHighSurrogate(cut.charAt(cut.length() - 2)), "no half of an emoji before the …");
        assertEquals(new String(cut.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8), cut, "valid UTF-8");
        assertEquals("short line", Sanitize.capBytes("short line", 300), "what fits is untouched");
        String exact = "é".repeat(150); // 300 bytes
        assertSame(exact, Sanitize.capBytes(exact, 300));
        assertEquals(bytes(exact), Sanitize.utf8Length(exact));
        assertEquals(4, Sanitize.utf8Length("😀"));
    }

    @Test
    void logTextCannotForgeALine() {
        String forged = "!ping\n12:00:00.000 INFO  Dispatcher - irc #ops alice(alice): !fo -K compute4";
        String logged = Sanitize.forLog(forged);
        assertFalse(logged.contains("\n"));
        assertTrue(logged.startsWith("!ping\\n12:00:00.000 INFO"), logged);
        for (String bad : new String[]{"\r", "\u0085", "\u2028", "\u2029", "\u001b[2J", "\u202E", "\u2066", "\u200E",
                "\u061C", "\u200B", "\u0000", "\uD800"}) {
            String l = Sanitize.forLog("a" + bad + "b");
            assertTrue(l.codePoints().allMatch(cp -> cp >= 0x20 && cp < 0x7F), "escaped: " + l);
        }
        assertEquals("a\\u202Eb", Sanitize.forLog("a\u202Eb"));
        assertEquals("C:\\\\n", Sanitize.forLog("C:\\n"), "a typed backslash-n is not an escaped newline");
        assertEquals("naïve ünïcode ✓", Sanitize.forLog("naïve ünïcode ✓"), "printable text as it is");
        String longLine = Sanitize.forLog("x".repeat(10_000));
        assertTrue(longLine.length() < 250 && longLine.endsWith("…(+9800 chars)"), longLine);
        assertEquals("null", Sanitize.forLog(null));
    }

    @Test
    void bidiControlsAreControlsInArgumentsAndInEchoes() {
        for (String bidi : new String[]{"\u202A", "\u202B", "\u202C", "\u202D", "\u202E", "\u2066", "\u2067",
                "\u2068", "\u2069", "\u200E", "\u200F", "\u061C"}) {
            assertTrue(Sanitize.hasControl("compute4" + bidi), bidi.codePointAt(0) + "");
            assertFalse(Sanitize.forReply("a" + bidi + "b").contains(bidi));
        }
        assertFalse(Sanitize.hasControl("שלום compute4 مرحبا"), "right-to-left text itself is fine");
        assertEquals("U+202E", Sanitize.bidiOverride("fo -K \u202Ecompute4"));
        assertNull(Sanitize.bidiOverride("fo -K compute4\u200F"), "a mark is not an override");
        assertEquals("abc", Sanitize.withoutBidi("a\u202Eb\u2069c\u200E"));
    }
}
