package opsbot.bot.alerts;

import opsbot.bot.outbox.Target;
import opsbot.commands.model.Sanitize;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The lines alerts are said in: short enough for a phone, one line each, e.g.
 * {@code [A12] ERROR backup imap3: missing file 87040 in user.x cyrus.index}. What came from a sender (summary,
 * host, details) is made one line of printable text first: a summary with a CR LF in it must not become a second
 * IRC command, nor a colour code or a bidi override change how the line reads.
 */
public final class AlertText {
    /**
     * An IRC line is at most 512 bytes with its framing; the server relays ours as
     * {@code :nick!user@host PRIVMSG #target :text\r\n}. As bot/irc/IrcLines allows for the prefix.
     */
    static final int IRC_PREFIX_ALLOWANCE = 100;
    /** A Matrix event must stay under 60 KB; alert lines keep far below (the summary is stored cut to 1 KB). */
    static final int MATRIX_MAX_BYTES = 16_000;
    /** A budget's label (the digest's "top: imap3 ×200"), at most. */
    static final int LABEL_CHARS = 40;
    private static final DateTimeFormatter HM = DateTimeFormatter.ofPattern("HH:mm");
    private static final DateTimeFormatter DAY_HM = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm");

    private AlertText() {
    }

    /** Printable, one line: controls become spaces, bidi controls go, runs of spaces become one. */
    public static String oneLine(String s) {
        if (s == null) return null;
        StringBuilder b = new StringBuilder(Math.min(s.length(), 4096));
        boolean space = false;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (Sanitize.isBidiControl(cp) || cp == 0xFEFF || cp == 0x200B) continue;
            boolean blank = Character.isWhitespace(cp) || Character.isISOControl(cp) || cp == 0x2028 || cp == 0x2029
                    || Character.getType(cp) == Character.SURROGATE;
            if (blank) {
                space = true;
                continue;
            }
            if (space && !b.isEmpty()) b.append(' ');
            space = false;
            b.appendCodePoint(cp);
        }
        return b.toString();
    }

    /** The text budget of one IRC line to {@code target}, in bytes. */
    static int ircBudget(String target) {
        return 512 - IRC_PREFIX_ALLOWANCE - "PRIVMSG ".length() - target.getBytes(StandardCharsets.UTF_8).length
                - " :".length() - "\r\n".length();
    }

    /**
     * {@code head + summary + tail} for {@code t}: on IRC the summary is cut (with "…", on a code point) so the
     * whole line fits one IRC line; on Matrix it is kept up to {@link #MATRIX_MAX_BYTES}.
     */
    static String fit(Target t, String head, String summary, String tail) {
        int max = t.network().equals("irc") ? ircBudget(t.place()) : MATRIX_MAX_BYTES;
        int fixed = Sanitize.utf8Length(head) + Sanitize.utf8Length(tail);
        String s = summary;
        if (fixed + Sanitize.utf8Length(s) > max) {
            s = fixed + 8 < max ? Sanitize.capBytes(s, max - fixed) : "…";
        }
        return Sanitize.capBytes(head + s + tail, max); // a head of absurd length (a host name) is cut too
    }

    /** {@code ERROR backup imap3: } : the words before an alert's summary. */
    static String subject(AlertRow a) {
        return a.source() + (a.host() == null || a.host().isBlank() ? "" : " " + oneLine(a.host())) + ": ";
    }

    /** A budget's label: the host, else the summary cut short. */
    static String label(String host, String summary) {
        String l = host != null && !host.isBlank() ? oneLine(host) : oneLine(summary);
        return l.codePointCount(0, l.length()) <= LABEL_CHARS ? l
                : l.substring(0, l.offsetByCodePoints(0, LABEL_CHARS - 1)) + "…";
    }

    static String upper(opsbot.config.Severity s) {
        return s.name().toUpperCase(Locale.ROOT);
    }

    /** {@code 03:12} today, {@code yesterday 03:12}, else {@code 2025-03-01 03:12}, in {@code zone}. */
    static String when(Instant at, ZoneId zone, Instant now) {
        ZonedDateTime z = at.atZone(zone);
        LocalDate today = now.atZone(zone).toLocalDate();
        if (z.toLocalDate().equals(today)) return HM.format(z);
        if (z.toLocalDate().equals(today.minusDays(1))) return "yesterday " + HM.format(z);
        return DAY_HM.format(z);
    }

    /** {@code 45s}, {@code 12m}, {@code 2h10m}, {@code 3d4h}. */
    static String took(Duration d) {
        long s = Math.max(0, d.toSeconds());
        if (s < 60) return s + "s";
        if (s < 3600) return (s / 60) + "m";
        if (s < 86400) return (s / 3600) + "h" + (s % 3600 / 60 == 0 ? "" : (s % 3600 / 60) + "m");
        return (s / 86400) + "d" + (s % 86400 / 3600 == 0 ? "" : (s % 86400 / 3600) + "h");
    }

    /** {@code ×5 since 03:12}. */
    static String count(AlertRow a, ZoneId zone, Instant now) {
        return "×" + a.fired() + " since " + when(a.firstAt(), zone, now);
    }
}
