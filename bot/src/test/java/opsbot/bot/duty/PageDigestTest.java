package opsbot.bot.duty;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class PageDigestTest {
    private static PageLines.Held held(long count, long alerts, List<PageLines.Labelled> labels, long[] steps) {
        List<Long> ids = new ArrayList<>();
        for (long i = 0; i < Math.min(alerts, PageLines.IDS_READ); i++) ids.add(1000 + i);
        return new PageLines.Held(count, 1, count, Instant.EPOCH, ids, alerts, List.of("alice"), labels, steps);
    }

    @Test
    void namesTheAlertsAndTheirLabelsAndTheHint() {
        String s = PageDigest.text(held(3, 3, List.of(new PageLines.Labelled("critical backup imap3", 2),
                new PageLines.Labelled("critical backup imap5", 1)), new long[] {0, 3, 0, 0, 0}), Duration.ofSeconds(58), 350);
        assertEquals("3 more pages in 58s: A1000, A1001, A1002 (critical backup imap3 ×2, critical backup imap5 ×1)"
                + " · !ack ID or !alerts", s);
        assertEquals("1 more page in 2m (1 repeated): A1000 (critical x ×1) · !ack ID or !alerts", PageDigest.text(held(1, 1,
                List.of(new PageLines.Labelled("critical x", 1)), new long[] {0, 0, 1, 0, 0}), Duration.ofSeconds(120), 350));
    }

    @Test
    void aStormOfThreeHundredIsOneLineWithinItsBytesWithHowManyAreNotNamed() {
        String label = "critical " + "ünïcödé-host-".repeat(20);
        for (int max : List.of(120, 200, 350, 400)) {
            String s = PageDigest.text(held(300, 290, List.of(new PageLines.Labelled(label, 200),
                    new PageLines.Labelled("critical backup imap5", 90)), new long[] {0, 280, 10, 10, 0}), Duration.ofSeconds(60), max);
            assertTrue(s.getBytes(StandardCharsets.UTF_8).length <= max, max + ": " + s);
            assertTrue(s.startsWith("300 more pages in 60s (280 new, 10 repeated, 10 escalated): A1000"), s);
            assertTrue(s.matches(".* \\+\\d+ more.*"), "says how many alerts it does not name: " + s);
            assertTrue(s.endsWith(" · !ack ID or !alerts"), s);
            assertFalse(s.contains("\n"), s);
        }
    }
}
