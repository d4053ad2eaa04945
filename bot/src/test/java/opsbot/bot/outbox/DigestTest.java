package opsbot.bot.outbox;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The digest line's words and size, the budget window's arithmetic, and the one-line cut. */
class DigestTest {
    private static Digest.Count c(String group, String severity, String label, long n) {
        return new Digest.Count(group, severity, label, n);
    }

    @Test
    void oneGroupNamesItsSeverityAndTopLabels() {
        assertEquals("backup: 214 more errors in 60s; top: imap3 ×200, imap5 ×14; !alerts",
                Digest.text(List.of(c("backup", "error", "imap3", 200), c("backup", "error", "imap5", 14)),
                        Duration.ofSeconds(60), 400));
        assertEquals("backup: 214 more events (200 errors, 14 warnings) in 3m; top: imap3 ×214; !alerts",
                Digest.text(List.of(c("backup", "error", "imap3", 200), c("backup", "warning", "imap3", 14)),
                        Duration.ofSeconds(150), 400));
        assertEquals("backup: 214 more events (200 errors, 14 resolved) in 60s; top: imap3 ×214; !alerts",
                Digest.text(List.of(c("backup", "error", "imap3", 200), c("backup", "resolved", "imap3", 14)),
                        Duration.ofSeconds(60), 400), "a resolve is not counted as one more error");
        assertEquals("audit: 2 more critical events in 1s; !alerts",
                Digest.text(List.of(c("audit", "critical", null, 2)), Duration.ZERO, 400));
    }

    @Test
    void severalGroupsNameTheBiggestOnes() {
        String s = Digest.text(List.of(c("backup", "error", "imap3", 190), c("backup", "error", "imap5", 10),
                c("audit", "warning", "db1", 16), c("cron", "error", null, 3), c("disk", "warning", "x", 2),
                c("zfs", "error", "y", 1)), Duration.ofSeconds(60), 400);
        assertEquals("222 more events in 60s: backup 200 errors (top imap3 ×190, imap5 ×10); audit 16 warnings"
                + " (top db1 ×16); cron 3 errors; +2 other groups; !alerts", s);
    }

    @Test
    void aLongDigestIsCutAtACharacterAndKeepsItsHint() {
        List<Digest.Count> many = new ArrayList<>();
        for (int i = 0; i < 50; i++) many.add(c("grüppe-€-" + "x".repeat(40) + i, "error", "hôst-" + i, 50 - i));
        String s = Digest.text(many, Duration.ofSeconds(60), 120);
        assertTrue(s.getBytes(StandardCharsets.UTF_8).length <= 120, s);
        assertTrue(s.endsWith("…; !alerts"), s);
        assertFalse(s.contains("\uFFFD"));
    }

    @Test
    void theWindowIsSlidingAndKnowsWhatItHeld() {
        Instant t = Instant.parse("2025-03-01T03:00:00Z");
        Window never = new Window(3, List.of(t, t));
        assertTrue(never.free(t));
        assertFalse(never.held(t.minusSeconds(3600)), "the window was never full");
        Window full = new Window(3, List.of(t.plusSeconds(30), t.plusSeconds(10), t));
        assertFalse(full.free(t.plusSeconds(59)));
        assertTrue(full.free(t.plusSeconds(60)), "the oldest of the three leaves after exactly 60 s");
        assertTrue(full.held(t.plusSeconds(59)));
        assertFalse(full.held(t.plusSeconds(60)), "made after the window had room again");
    }

    @Test
    void oneLineFlattensAndCutsWithinTheBytes() {
        assertEquals("a b c", OneLine.of("a\r\nb\nc\n", 100));
        String cut = OneLine.of("€".repeat(10), 10); // 3 bytes each; "…" is 3 too
        assertEquals("€€…", cut);
    }
}
