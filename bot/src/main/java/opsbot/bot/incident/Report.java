package opsbot.bot.incident;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The incident report, written for the admins who were asleep: what went wrong, what was done, what was
 * seen. Markdown that pastes into a wiki; times in UTC and in the site's zone.
 */
public final class Report {
    private static final DateTimeFormatter DAY_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");
    private static final DateTimeFormatter ZONE = DateTimeFormatter.ofPattern("zzz");

    private Report() {
    }

    public static String markdown(Incident i, List<Entry> entries, Verification v, ZoneId zone) {
        StringBuilder b = new StringBuilder();
        b.append("# ").append(i.tag()).append(": ").append(i.title()).append("\n\n");
        b.append("- **Opened:** ").append(both(i.openedAt(), zone)).append(" by ").append(i.openedBy()).append('\n');
        if (i.isOpen()) {
            b.append("- **Closed:** still open\n");
        } else {
            b.append("- **Closed:** ").append(both(i.closedAt(), zone)).append(" by ").append(i.closedBy())
                    .append(" (after ").append(human(Duration.between(i.openedAt(), i.closedAt()))).append(")\n");
        }
        b.append("- **People involved:** ").append(String.join(", ", people(entries))).append('\n');
        b.append("- **Entries:** ").append(entries.size()).append("; hash chain: ").append(v.describe()).append("\n\n");

        b.append("## Summary\n\n").append(i.summary() == null ? "(none given yet)" : i.summary()).append("\n\n");

        b.append("## Timeline\n\nTimes are UTC, with ").append(zone.getId()).append(" in brackets.\n\n");
        for (Entry e : entries) {
            b.append("- **").append(TIME.format(e.at().atOffset(ZoneOffset.UTC))).append("** (")
                    .append(TIME.format(e.at().atZone(zone))).append(") ").append(e.person());
            if (e.network() != null) {
                b.append(" via ").append(e.network()).append(e.place() == null ? "" : " in " + e.place());
            }
            b.append(" ").append(e.kind().verb).append(": ").append(md(e.summary())).append('\n');
        }

        List<Entry> commands = entries.stream().filter(e -> e.kind() == EntryKind.COMMAND).toList();
        b.append("\n## Commands and results\n\n");
        if (commands.isEmpty()) b.append("(none)\n");
        for (Entry e : commands) {
            b.append("### ").append(TIME.format(e.at().atOffset(ZoneOffset.UTC))).append(" UTC · ").append(e.person())
                    .append(": `").append(e.summary().replace("`", "'")).append("`\n\n");
            if (!e.detail().isBlank()) {
                b.append("```\n").append(e.detail().replace("```", "'''")).append("\n```\n\n");
            }
        }

        List<Entry> notes = entries.stream().filter(e -> e.kind() == EntryKind.NOTE).toList();
        b.append("\n## Notes\n\n");
        if (notes.isEmpty()) b.append("(none)\n");
        for (Entry e : notes) {
            b.append("- ").append(TIME.format(e.at().atOffset(ZoneOffset.UTC))).append(" UTC, ").append(e.person())
                    .append(": ").append(md(e.text()).replace("\n", "\n  ")).append('\n');
        }
        return b.toString();
    }

    /** A few lines for the chat: title, times, people, counts, and where to get the whole report. */
    public static List<String> shortForm(Incident i, List<Entry> entries, ZoneId zone) {
        long commands = entries.stream().filter(e -> e.kind() == EntryKind.COMMAND).count();
        long notes = entries.stream().filter(e -> e.kind() == EntryKind.NOTE).count();
        String when = TIME.format(i.openedAt().atOffset(ZoneOffset.UTC)) + (i.isOpen() ? " UTC, still open"
                : "–" + TIME.format(i.closedAt().atOffset(ZoneOffset.UTC)) + " UTC ("
                + human(Duration.between(i.openedAt(), i.closedAt())) + ")");
        return List.of(i.tag() + " \"" + i.title() + "\": " + when + "; " + commands + " commands, " + notes
                        + " notes; people: " + String.join(", ", people(entries)),
                "full report (Markdown): opsbot incident export " + i.id() + " --config FILE");
    }

    private static Set<String> people(List<Entry> entries) {
        Set<String> p = new LinkedHashSet<>();
        entries.forEach(e -> p.add(e.person()));
        return p;
    }

    private static String both(Instant at, ZoneId zone) {
        return DAY_TIME.format(at.atOffset(ZoneOffset.UTC)) + " UTC (" + DAY_TIME.format(at.atZone(zone)) + " "
                + ZONE.format(at.atZone(zone)) + ")";
    }

    /** A duration the way people say it: 45s, 7m30s, 2h5m. */
    public static String human(Duration d) {
        long s = d.toSeconds();
        if (s < 60) return s + "s";
        if (s < 3600) return (s / 60) + "m" + (s % 60 == 0 ? "" : (s % 60) + "s");
        return (s / 3600) + "h" + ((s % 3600) / 60) + "m";
    }

    /** Chat text inside Markdown: no accidental headings, tables or HTML. */
    private static String md(String s) {
        return s.replace("<", "&lt;").replace("|", "\\|");
    }
}
