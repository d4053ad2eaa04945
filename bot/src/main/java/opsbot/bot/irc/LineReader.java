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
    private long skipped;

    /** @param max the longest line taken, in bytes without its CRLF (Kitteh: 9001, room for IRCv3 tags) */
    LineReader(InputStream in, int max) {
        this.in = in;
        this.max = max;
        this.buf = new byte[max + 2 + 8192];
    }

    /** The next line (without CR LF), or null at the end of the stream; blocks until a whole line is there. */
    String next() throws IOException {
        boolean overlong = false;
        while (true) {
            for (int i = start; i < end; i++) {
                if (buf[i] == '\n') {
                    int len = i - start;
                    if (len > 0 && buf[i - 1] == '\r') len--;
                    String line = overlong || len > max ? null : new String(buf, start, len, StandardCharsets.UTF_8);
                    start = i + 1;
                    if (line != null) return line;
                    skipped++;
                    overlong = false;
                    i = start - 1;
                }
            }
            if (end - start > max + 1) { // no end of line within the limit: drop what is there, remember to skip the rest
                overlong = true;
                start = end = 0;
            } else if (start > 0) { // room for more at the end
                System.arraycopy(buf, start, buf, 0, end - start);
                end -= start;
                start = 0;
            }
            int n = in.read(buf, end, buf.length - end);
            if (n < 0) return null;
            end += n;
        }
    }

    /** Lines over the limit that were skipped so far. */
    long skipped() {
        return skipped;
    }
}
