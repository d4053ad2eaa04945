package opsbot.bot.irc;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

class LineReaderTest {
    /** Hands out at most {@code chunk} bytes per read, as a socket may. */
    private static InputStream dribble(byte[] bytes, int chunk) {
        return new ByteArrayInputStream(bytes) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, chunk));
            }
        };
    }

    @Test
    void linesEndAtCrlfOrLfAndTheLastUnfinishedOneIsNotALine() throws IOException {
        for (int chunk : new int[]{1, 3, 1000}) {
            LineReader r = new LineReader(dribble(":a PING x\r\n:b PRIVMSG #ops :hé\n\r\npartial".getBytes(StandardCharsets.UTF_8), chunk), 100);
            assertEquals(":a PING x", r.next());
            assertEquals(":b PRIVMSG #ops :hé", r.next());
            assertEquals("", r.next());
            assertNull(r.next(), "the end of the stream ends an unfinished line: it is not taken");
        }
    }

    @Test
    void aLineOverTheLimitIsSkippedWholeAndCountedTheNextOneIsRead() throws IOException {
        String longLine = "x".repeat(50_000);
        for (int chunk : new int[]{7, 8192}) {
            LineReader r = new LineReader(dribble(("ok 1\r\n" + longLine + "\r\n" + "y".repeat(11) + "\r\nok 2\r\n").getBytes(StandardCharsets.US_ASCII), chunk), 10);
            assertEquals("ok 1", r.next());
            assertEquals("ok 2", r.next(), "the 50,000-byte line and the 11-byte one are over the limit of 10");
            assertEquals(2, r.skipped());
            assertNull(r.next());
        }
        LineReader exact = new LineReader(new ByteArrayInputStream(("z".repeat(10) + "\r\n").getBytes(StandardCharsets.US_ASCII)), 10);
        assertEquals("z".repeat(10), exact.next(), "a line of exactly the limit is taken");
    }

    @Test
    void malformedUtf8BecomesReplacementCharacters() throws IOException {
        byte[] bytes = {'a', (byte) 0xff, 'b', '\r', '\n'};
        assertEquals("a\uFFFDb", new LineReader(new ByteArrayInputStream(bytes), 100).next());
    }

    /** A long line that arrives a byte at a time is looked at once, not again from its start after every read. */
    @Test
    void aLongLineArrivingAByteAtATimeIsScannedOnce() throws IOException {
        String line = "x".repeat(9000);
        byte[] bytes = (line + "\r\nok\r\n").getBytes(StandardCharsets.US_ASCII);
        LineReader r = new LineReader(dribble(bytes, 1), 9001);
        assertEquals(line, r.next());
        assertEquals("ok", r.next());
        assertNull(r.next());
        assertEquals(bytes.length, r.scanned(), "each byte looked at once");
    }
}
