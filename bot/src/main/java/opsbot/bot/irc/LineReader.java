package opsbot.bot.irc;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * IRC lines from a byte stream: each ends at LF (a CR before it is dropped), is decoded as UTF-8 (malformed
 * bytes become U+FFFD, as Netty's decoder that Kitteh uses does), and is at most {@code max} bytes long. A
 * longer line is skipped up to its end and counted, never kept whole: a server cannot make the bot hold more
 * than one buffer per connection.
 */
final class LineReader {
    private final InputStream in;
    private final int max;
    private final byte[] buf;
    private int start, end;
    /** Where the search for the next LF goes on: bytes before it (from {@code start}) have none. */
    private int scan;
    private long skipped;
    /** The line being read is over the limit: skipped up to its end. */
    private boolean overlong;
    /** Bytes looked at for an LF, over all lines (tests: each byte is looked at once). */
    private long scanned;

    /** @param max the longest line taken, in bytes without its CRLF (Kitteh: 9001, room for IRCv3 tags) */
    LineReader(InputStream in, int max) {
        this.in = in;
        this.max = max;
        this.buf = new byte[max + 2 + 8192];
    }

    /**
     * The next line (without CR LF), or null at the end of the stream; blocks until a whole line is there. Each
     * byte is looked at once, however few bytes each read brings: a long line that arrives a few bytes at a
     * time costs no more than one that arrives at once.
     */
    String next() throws IOException {
        while (true) {
            for (int i = scan; i < end; i++) {
                if (buf[i] == '\n') {
                    int len = i - start;
                    if (len > 0 && buf[i - 1] == '\r') len--;
                    String line = overlong || len > max ? null : new String(buf, start, len, StandardCharsets.UTF_8);
                    scanned += i + 1 - scan;
                    start = scan = i + 1;
                    if (line != null) return line;
                    skipped++;
                    overlong = false;
                }
            }
            scanned += end - scan;
            scan = end;
            if (end - start > max + 1) { // no end of line within the limit: drop what is there, remember to skip the rest
                overlong = true;
                start = end = scan = 0;
            } else if (start > 0) { // room for more at the end
                System.arraycopy(buf, start, buf, 0, end - start);
                end -= start;
                scan -= start;
                start = 0;
            }
            int n = in.read(buf, end, buf.length - end);
            if (n < 0) return null;
            end += n;
        }
    }

    /** Bytes looked at for an end of line so far (tests). */
    long scanned() {
        return scanned;
    }

    /** Lines over the limit that were skipped so far. */
    long skipped() {
        return skipped;
    }
}
