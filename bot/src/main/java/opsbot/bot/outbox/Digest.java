package opsbot.bot.outbox;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The one line that sums up the broadcasts a target's budget held back, e.g.
 * {@code backup: 214 more errors in 60s; top: imap3 ×200, imap5 ×14; !alerts}: by group (the biggest first),
 * severities named, the labels seen most often. Always within {@code maxBytes} (UTF-8), so it is one IRC line.
 */
public final class Digest {
    /** Where the whole story is (the alerts package's command). */
    static final String HINT = "!alerts";
    /** The digest's own size: below IRC's room for the text of one line to a channel with a name of up to 46 bytes. */
    static final int MAX_BYTES = 350;
    private static final int TOP_LABELS = 3;
    private static final int GROUPS_NAMED = 3;
    private static final int LABEL_CHARS = 40;

    /** How many held rows had this group, severity and label (severity and label may be null). */
    record Count(String group, String severity, String label, long n) {
    }

    private Digest() {
    }

    static String text(List<Count> counts, Duration span, int maxBytes) {
        long total = counts.stream().mapToLong(Count::n).sum();
        Map<String, List<Count>> byGroup = counts.stream().collect(Collectors.groupingBy(Count::group, TreeMap::new,
                Collectors.toList()));
        List<Map.Entry<String, List<Count>>> groups = new ArrayList<>(byGroup.entrySet());
        groups.sort(Comparator.comparingLong((Map.Entry<String, List<Count>> e) -> -sum(e.getValue()))
                .thenComparing(Map.Entry::getKey));
        String in = " in " + span(span);
        StringBuilder b = new StringBuilder();
        if (groups.size() == 1) {
            List<Count> g = groups.get(0).getValue();
            b.append(groups.get(0).getKey()).append(": ").append(total).append(" more ").append(what(g, total)).append(in);
            String top = top(g, TOP_LABELS);
            if (!top.isEmpty()) b.append("; top: ").append(top);
        } else {
            b.append(total).append(" more events").append(in).append(": ");
            for (int i = 0; i < Math.min(GROUPS_NAMED, groups.size()); i++) {
                List<Count> g = groups.get(i).getValue();
                long n = sum(g);
                if (i > 0) b.append("; ");
                b.append(groups.get(i).getKey()).append(' ').append(n).append(' ').append(what(g, n));
                String top = top(g, 2);
                if (!top.isEmpty()) b.append(" (top ").append(top).append(')');
            }
            if (groups.size() > GROUPS_NAMED) b.append("; +").append(groups.size() - GROUPS_NAMED).append(" other groups");
        }
        String suffix = "; " + HINT;
        String body = b.toString().replaceAll("[\\r\\n\\x00]+", " ");
        if (OneLine.bytes(body) + OneLine.bytes(suffix) > maxBytes) {
            body = OneLine.prefix(body, maxBytes - OneLine.bytes(suffix) - OneLine.bytes(OneLine.MORE)) + OneLine.MORE;
        }
        return body + suffix;
    }

    /** "errors", or "events (200 errors, 14 warnings)" when severities are mixed. */
    private static String what(List<Count> g, long n) {
        Map<String, Long> bySeverity = new LinkedHashMap<>();
        for (Count c : g) bySeverity.merge(c.severity() == null ? "" : c.severity(), c.n(), Long::sum);
        if (bySeverity.size() == 1) {
            return noun(bySeverity.keySet().iterator().next(), n);
        }
        return "events (" + bySeverity.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry::getKey))
                .map(e -> e.getValue() + " " + noun(e.getKey(), e.getValue()))
                .collect(Collectors.joining(", ")) + ")";
    }

    /** A severity as the word for that many of it: "errors", "warnings", "critical events". */
    static String noun(String severity, long n) {
        return switch (severity) {
            case "error" -> n == 1 ? "error" : "errors";
            case "warning" -> n == 1 ? "warning" : "warnings";
            case "resolved", "acknowledged" -> severity; // state changes summed up: "14 resolved"

            case "" -> n == 1 ? "event" : "events";
            default -> severity + (n == 1 ? " event" : " events");
        };
    }

    /** "imap3 ×200, imap5 ×14": the labels seen most often, then by name. */
    private static String top(List<Count> g, int max) {
        Map<String, Long> byLabel = new TreeMap<>();
        for (Count c : g) if (c.label() != null && !c.label().isBlank()) byLabel.merge(c.label().strip(), c.n(), Long::sum);
        return byLabel.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry::getKey))
                .limit(max)
                .map(e -> opsbot.bot.store.Sql.cut(e.getKey(), LABEL_CHARS) + " ×" + e.getValue())
                .collect(Collectors.joining(", "));
    }

    /** "60s", "5m", "3h": the time the digest covers, rounded up to its unit (duty's page digest says it too). */
    public static String span(Duration d) {
        long s = Math.max(1, (d.toMillis() + 999) / 1000);
        if (s < 120) return s + "s";
        long m = (s + 59) / 60;
        if (m < 120) return m + "m";
        return ((m + 59) / 60) + "h";
    }

    private static long sum(List<Count> g) {
        return g.stream().mapToLong(Count::n).sum();
    }
}
