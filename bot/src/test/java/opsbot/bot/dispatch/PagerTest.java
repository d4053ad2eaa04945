package opsbot.bot.dispatch;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class PagerTest {
    private static int bytes(List<String> lines) {
        return lines.stream().mapToInt(l -> l.getBytes(StandardCharsets.UTF_8).length + 1).sum();
    }

    @Test
    void shortLinesArePagedByLines() {
        Pager p = new Pager(4, 2000);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 10; i++) lines.add("line " + i);
        assertEquals(List.of("line 0", "line 1", "line 2", "line 3", "(+6 lines: !more)"), p.page("k", lines));
        assertEquals(List.of("line 4", "line 5", "line 6", "line 7", "(+2 lines: !more)"), p.more("k"));
        assertEquals(List.of("line 8", "line 9"), p.more("k"));
        assertEquals(List.of("nothing more to show here"), p.more("k"));
        assertEquals(lines.subList(0, 5), p.page("k", lines.subList(0, 5)), "one extra line is shown, not paged");
    }

    @Test
    void longLinesArePagedByBytes() {
        Pager p = new Pager(50, 2000);
        List<String> lines = Collections.nCopies(30, "x".repeat(299));
        List<String> page = p.page("k", lines);
        assertTrue(bytes(page) <= 2000, bytes(page) + " bytes");
        assertEquals(6, page.size() - 1, "six lines of 300 bytes, and the !more line");
        assertEquals("(+24 lines: !more)", page.get(page.size() - 1));
        int shown = page.size() - 1;
        while (true) {
            page = p.more("k");
            assertTrue(bytes(page) <= 2000);
            boolean more = page.get(page.size() - 1).endsWith("!more)");
            shown += page.size() - (more ? 1 : 0);
            if (!more) break;
        }
        assertEquals(30, shown);
    }

    @Test
    void aSingleLineLongerThanAPageIsCutToIt() {
        Pager p = new Pager(4, 2000);
        List<String> page = p.page("k", List.of("{\"a\":\"" + "é".repeat(32768) + "\"}"));
        assertEquals(1, page.size());
        assertTrue(bytes(page) <= 2000 && page.get(0).endsWith("…"), bytes(page) + " bytes");
        assertEquals(List.of("nothing more to show here"), p.more("k"));

        page = p.page("k", List.of("head", "y".repeat(65536), "tail", "x", "y", "z"));
        assertTrue(bytes(page) <= 2000, bytes(page) + " bytes");
        assertEquals("head", page.get(0));
    }
}
