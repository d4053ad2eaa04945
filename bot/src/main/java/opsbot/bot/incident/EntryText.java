package opsbot.bot.incident;

import opsbot.bot.chat.Message;

/** How incident entries look in chat: one compact line on IRC, a formatted threaded reply on Matrix. */
final class EntryText {
    private EntryText() {
    }

    /** {@code [INC-7] alice ran: fo -K compute4 · admin1 · exit 0 · 0.4s} */
    static String line(Incident i, Entry e) {
        return "[" + i.tag() + "] " + who(e) + " " + e.kind().verb + ": " + e.summary();
    }

    static Message root(Incident i, boolean continued) {
        String plain = i.tag() + (continued ? " (continued here)" : "") + ": " + i.title() + " — opened by "
                + i.openedBy() + ". Every action is logged in this thread; write here to add a note.";
        String html = "<b>" + esc(i.tag()) + "</b>" + (continued ? " (continued here)" : "") + ": <i>" + esc(i.title())
                + "</i> — opened by " + esc(i.openedBy()) + ". Every action is logged in this thread; write here to add a note.";
        return new Message(plain, html);
    }

    /**
     * At most this many characters of an entry go into one Matrix event (summary plus detail): with HTML
     * escaping and UTF-8 the event stays well under the homeserver's 64 KB limit, which would refuse it.
     */
    static final int MAX_CHARS = 4000;

    static Message threaded(Entry e, int detailLines) {
        String[] detail = e.detail().isEmpty() ? new String[0] : e.detail().split("\n", -1);
        int shown = Math.min(detail.length, detailLines);
        String summary = cut(e.summary(), MAX_CHARS / 4);
        StringBuilder plain = new StringBuilder(who(e)).append(' ').append(e.kind().verb).append(": ").append(summary);
        StringBuilder html = new StringBuilder("<b>").append(esc(who(e))).append("</b> ").append(esc(e.kind().verb))
                .append(": ").append(e.kind() == EntryKind.COMMAND || e.kind() == EntryKind.CONFIRMED
                        || e.kind() == EntryKind.DENIED ? "<code>" + esc(summary) + "</code>" : esc(summary));
        if (shown > 0) {
            String body = cut(String.join("\n", java.util.Arrays.copyOf(detail, shown)), MAX_CHARS - summary.length());
            String more = detail.length > shown ? "\n(+" + (detail.length - shown) + " lines in the report)" : "";
            plain.append('\n').append(body).append(more);
            html.append("<pre><code>").append(esc(body)).append("</code></pre>").append(esc(more.strip()));
        }
        return new Message(plain.toString(), html.toString());
    }

    private static String cut(String s, int max) {
        if (s.length() <= max) return s;
        int end = Math.max(0, Character.isHighSurrogate(s.charAt(max - 1)) ? max - 1 : max);
        return s.substring(0, end) + "… (cut; all of it in the report)";
    }

    private static String who(Entry e) {
        // A Matrix ID already says where it is from; anything else gets its network: alice@irc.
        return e.network() == null || e.person().startsWith("@") ? e.person() : e.person() + "@" + e.network();
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
