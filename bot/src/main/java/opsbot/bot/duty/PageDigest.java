package opsbot.bot.duty;

import opsbot.bot.outbox.Digest;
import opsbot.commands.model.Sanitize;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The one line that says the page steps a target's page budget held back, after the mentions, e.g.
 * {@code 37 more pages in 58s: A14, A15, A16 +27 more (critical backup imap3 ×30, critical backup imap5 ×7) · !ack ID or !alerts}.
 * Always within the bytes it is given (an IRC line), whatever the ids and labels: the head and the hint first, then
 * the labels, then as many alert ids as fit.
 */
final class PageDigest {
    static final String HINT = " · !ack ID or !alerts";
    private static final int LABEL_CHARS = 40;

    private PageDigest() {
    }

    static String text(PageLines.Held h, Duration span, int maxBytes) {
        String head = h.count() + " more page" + (h.count() == 1 ? "" : "s") + " in " + Digest.span(span) + steps(h);
        List<String> ls = new ArrayList<>();
        long labelled = 0;
        for (PageLines.Labelled l : h.labels()) {
            ls.add(Sanitize.capBytes(l.label() == null ? "?" : l.label(), LABEL_CHARS) + " ×" + l.n());
            labelled += l.n();
        }
        String labels = ls.isEmpty() ? "" : " (" + String.join(", ", ls) + (labelled < h.count() ? ", …" : "") + ")";
        int fixed = Sanitize.utf8Length(head) + Sanitize.utf8Length(HINT);
        String firstId = ": A" + (h.ids().isEmpty() ? "?" : h.ids().get(0)) + " +" + h.alerts() + " more";
        if (fixed + Sanitize.utf8Length(labels) + Sanitize.utf8Length(firstId) > maxBytes) labels = "";
        String ids = ids(h, maxBytes - fixed - Sanitize.utf8Length(labels));
        return Sanitize.capBytes(head + ids + labels + HINT, maxBytes);
    }

    /** {@code : A14, A15 +27 more}: as many ids as fit in {@code room} bytes, and how many alerts are not named. */
    private static String ids(PageLines.Held h, int room) {
        StringBuilder b = new StringBuilder();
        int named = 0;
        for (long id : h.ids()) {
            String next = (named == 0 ? ": A" : ", A") + id;
            long rest = h.alerts() - named - 1;
            String more = rest > 0 ? " +" + rest + " more" : "";
            if (Sanitize.utf8Length(b + next + more) > room) break;
            b.append(next);
            named++;
        }
        long rest = h.alerts() - named;
        if (named == 0) return ": " + h.alerts() + " alert" + (h.alerts() == 1 ? "" : "s");
        return rest > 0 ? b + " +" + rest + " more" : b.toString();
    }

    /** {@code  (30 new, 5 repeated, 2 escalated)} when not all held steps are first mentions; else nothing. */
    private static String steps(PageLines.Held h) {
        long[] s = h.steps();
        if (s[1] == h.count()) return "";
        List<String> parts = new ArrayList<>();
        if (s[1] > 0) parts.add(s[1] + " new");
        if (s[2] > 0) parts.add(s[2] + " repeated");
        if (s[3] + s[4] > 0) parts.add((s[3] + s[4]) + " escalated");
        return parts.isEmpty() ? "" : " (" + String.join(", ", parts) + ")";
    }
}
