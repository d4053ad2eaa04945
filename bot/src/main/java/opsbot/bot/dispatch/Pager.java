package opsbot.bot.dispatch;

import opsbot.commands.model.Sanitize;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Long output is shown a page at a time: the first lines, then "(+N lines: !more)". The rest waits per
 * person and channel; a new long output replaces it. A page is bounded in lines (page-lines) and in bytes
 * ({@link #PAGE_BYTES}), so a page of long lines is as quick to send as a page of short ones.
 */
final class Pager {
    /**
     * Bytes (UTF-8, a newline counted per line) of one page, the "!more" line included: about five IRC
     * messages, a few seconds at the usual rate limit, and far below Matrix's event limit.
     */
    static final int PAGE_BYTES = 2000;
    /** Room kept for "(+N lines: !more)". */
    private static final int MARKER_BYTES = 32;

    private final int pageLines;
    private final int pageBytes;
    private final ConcurrentHashMap<String, List<String>> rest = new ConcurrentHashMap<>();

    Pager(int pageLines) {
        this(pageLines, PAGE_BYTES);
    }

    Pager(int pageLines, int pageBytes) {
        this.pageLines = Math.max(1, pageLines);
        this.pageBytes = Math.max(pageBytes, 2 * MARKER_BYTES);
    }

    /**
     * The lines to send now; keeps the remainder for {@link #more}. One extra line is shown rather than paged
     * when it fits. A single line longer than a page is cut to it ("…"): the page never grows past its bytes.
     */
    List<String> page(String key, List<String> lines) {
        if (lines.size() <= pageLines + 1 && bytes(lines) <= pageBytes) {
            rest.remove(key);
            return lines.stream().map(l -> Sanitize.capBytes(l, pageBytes - 1)).toList();
        }
        List<String> now = new ArrayList<>();
        int used = MARKER_BYTES;
        for (String l : lines) {
            String shown = Sanitize.capBytes(l, pageBytes - MARKER_BYTES - 1);
            int b = Sanitize.utf8Length(shown) + 1;
            if (now.size() == pageLines || !now.isEmpty() && used + b > pageBytes) break;
            now.add(shown);
            used += b;
        }
        List<String> later = List.copyOf(lines.subList(now.size(), lines.size()));
        if (later.isEmpty()) {
            rest.remove(key);
            return now;
        }
        rest.put(key, later);
        now.add("(+" + later.size() + " lines: !more)");
        return now;
    }

    List<String> more(String key) {
        List<String> r = rest.remove(key);
        if (r == null) {
            return List.of("nothing more to show here");
        }
        return page(key, r);
    }

    private static int bytes(List<String> lines) {
        int n = 0;
        for (String l : lines) n += Sanitize.utf8Length(l) + 1;
        return n;
    }
}
