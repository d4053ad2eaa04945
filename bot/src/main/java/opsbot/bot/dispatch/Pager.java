package opsbot.bot.dispatch;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Long output is shown a page at a time: the first lines, then "(+N lines: !more)". The rest waits per
 * person and channel; a new long output replaces it.
 */
final class Pager {
    private final int pageLines;
    private final ConcurrentHashMap<String, List<String>> rest = new ConcurrentHashMap<>();

    Pager(int pageLines) {
        this.pageLines = pageLines;
    }

    /** The lines to send now; keeps the remainder for {@link #more}. One extra line is shown rather than paged. */
    List<String> page(String key, List<String> lines) {
        if (lines.size() <= pageLines + 1) {
            rest.remove(key);
            return lines;
        }
        List<String> now = new ArrayList<>(lines.subList(0, pageLines));
        List<String> later = List.copyOf(lines.subList(pageLines, lines.size()));
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
}
