package opsbot.commands;

import opsbot.commands.model.ShellQuote;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Quoting is checked against a real /bin/sh: the shell must hand back exactly the word we quoted. */
class ShellQuoteTest {
    @Test
    void realShellGetsBackExactlyTheWord() throws Exception {
        Random r = new Random(42);
        String alphabet = "ab -'\"$`\\;|&()<>*?[]{}~#!%\n\t=,.:/@";
        List<String> words = new java.util.ArrayList<>(List.of("compute4", "it's", "$(touch /tmp/x)", "`id`",
                "a'b'c", "''", "-K", "x;y", "ü€✓"));
        for (int i = 0; i < 200; i++) {
            StringBuilder b = new StringBuilder();
            int n = 1 + r.nextInt(12);
            for (int k = 0; k < n; k++) b.append(alphabet.charAt(r.nextInt(alphabet.length())));
            words.add(b.toString());
        }
        StringBuilder script = new StringBuilder();
        for (String w : words) {
            script.append("printf '%s\\0' ").append(ShellQuote.quote(w)).append('\n');
        }
        Process p = new ProcessBuilder("/bin/sh", "-c", script.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor());
        assertEquals(words, List.of(out.split("\0", -1)).subList(0, words.size()));
    }

    @Test
    void safeWordsStayReadable() throws IOException {
        assertEquals("compute4", ShellQuote.quote("compute4"));
        assertEquals("'a b'", ShellQuote.quote("a b"));
        assertEquals("'it'\\''s'", ShellQuote.quote("it's"));
    }

    /** Unquoted, "2" glued to a redirection would be the file descriptor: echo 2>/tmp/f writes nothing to f. */
    @Test
    void digitsAreQuotedSoTheyCannotBecomeAFileDescriptor() throws Exception {
        assertEquals("'2'", ShellQuote.quote("2"));
        assertEquals("a2", ShellQuote.quote("a2"));
        java.nio.file.Path f = java.nio.file.Files.createTempFile("quote", ".txt");
        try {
            Process p = new ProcessBuilder("/bin/sh", "-c", "echo " + ShellQuote.quote("2") + ">" + f)
                    .redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            assertEquals(0, p.waitFor());
            assertEquals("2\n", java.nio.file.Files.readString(f));
        } finally {
            java.nio.file.Files.deleteIfExists(f);
        }
    }
}
