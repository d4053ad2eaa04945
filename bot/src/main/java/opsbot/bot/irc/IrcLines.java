package opsbot.bot.irc;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Raw IRC lines read as Kitteh reads them ({@link #command}, {@link #params}, {@link #senderNick}), and reply
 * text cut to IRC's 512-byte line limit. The limit counts the whole relayed line
 * ({@code :nick!user@host PRIVMSG #target :text\r\n}), so the text budget is what remains after a
 * generous allowance for the prefix the server adds. Cuts fall on spaces where possible and never inside
 * a UTF-8 sequence.
 */
final class IrcLines {
    /** Room for ":" + nick + "!" + user + "@" + host + " ", which the server prepends when relaying. */
    static final int PREFIX_ALLOWANCE = 100;

    private IrcLines() {
    }

    static int budget(String target) {
        return 512 - PREFIX_ALLOWANCE - "PRIVMSG ".length() - target.getBytes(StandardCharsets.UTF_8).length
                - " :".length() - "\r\n".length();
    }

    static List<String> split(String text, int maxBytes) {
        List<String> out = new ArrayList<>();
        String rest = text;
        while (rest.getBytes(StandardCharsets.UTF_8).length > maxBytes) {
            int cut = 0, bytes = 0, lastSpace = -1;
            while (cut < rest.length()) {
                int cp = rest.codePointAt(cut);
                int len = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
                if (bytes + len > maxBytes) break;
                bytes += len;
                if (cp == ' ') lastSpace = cut;
                cut += Character.charCount(cp);
            }
            if (lastSpace > cut / 2) cut = lastSpace; // a word boundary, unless it wastes half the line
            out.add(rest.substring(0, cut));
            rest = rest.substring(cut).stripLeading();
        }
        if (!rest.isEmpty() || out.isEmpty()) out.add(rest);
        return out;
    }

    /**
     * Where a raw line's command begins, skipping tags and source as Kitteh's {@code handleLine} does (spaces
     * before and between them too), or -1 where Kitteh would find no command (it then raises no event).
     */
    private static int commandStart(String raw) {
        int n = raw.length(), pos = 0;
        while (pos < n && raw.charAt(pos) == ' ') pos++;
        if (pos < n && raw.charAt(pos) == '@') {
            int sp = raw.indexOf(' ', pos);
            if (sp < 0 || sp - pos < 2) return -1; // Kitteh: no or an empty tag section, no event
            pos = sp + 1;
            while (pos < n && raw.charAt(pos) == ' ') pos++;
        }
        if (pos < n && raw.charAt(pos) == ':') {
            int sp = raw.indexOf(' ', pos);
            if (sp < 0) return -1;
            pos = sp + 1;
        }
        while (pos < n && raw.charAt(pos) == ' ') pos++;
        return pos < n && raw.charAt(pos) != ':' ? pos : -1;
    }

    /** The command of a raw line ({@code PRIVMSG}, {@code 001}), as the server spelled it, or null. */
    static String command(String raw) {
        int start = commandStart(raw);
        if (start < 0) return null;
        int sp = raw.indexOf(' ', start);
        return raw.substring(start, sp < 0 ? raw.length() : sp);
    }

    /** The parameters after the command, the trailing one (after " :") last and whole. */
    static List<String> params(String raw) {
        List<String> out = new ArrayList<>();
        int start = commandStart(raw);
        if (start < 0) return out;
        int pos = raw.indexOf(' ', start);
        int n = raw.length();
        while (pos >= 0 && pos < n) {
            while (pos < n && raw.charAt(pos) == ' ') pos++;
            if (pos >= n) break;
            if (raw.charAt(pos) == ':') {
                out.add(raw.substring(pos + 1));
                break;
            }
            int sp = raw.indexOf(' ', pos);
            out.add(raw.substring(pos, sp < 0 ? n : sp));
            pos = sp;
        }
        return out;
    }

    /** The nick of a raw line's {@code :nick!user@host} source (after any tags), or null. */
    static String senderNick(String raw) {
        String s = raw.stripLeading();
        if (s.startsWith("@")) {
            int sp = s.indexOf(' ');
            if (sp < 0) return null;
            s = s.substring(sp + 1).stripLeading();
        }
        if (!s.startsWith(":")) return null;
        int end = s.length();
        for (char c : new char[]{'!', '@', ' '}) {
            int i = s.indexOf(c);
            if (i > 0 && i < end) end = i;
        }
        return end > 1 ? s.substring(1, end) : null;
    }

    /**
     * A PRIVMSG for which Kitteh raises its command event as soon as its input thread reaches the line: one with
     * a command Kitteh finds, and no {@code batch} tag with a value (Kitteh may hold such a line until its batch
     * ends, which may be never; batched lines are history a server plays back, not live chat). The reader and
     * Kitteh's thread both ask this of the same line (see {@link IrcNetwork}), so each count has its match.
     */
    static boolean countable(String raw) {
        int start = commandStart(raw);
        if (start < 0 || !raw.regionMatches(true, start, "PRIVMSG", 0, 7)
                || (start + 7 < raw.length() && raw.charAt(start + 7) != ' ')) {
            return false;
        }
        int s = 0;
        while (s < raw.length() && raw.charAt(s) == ' ') s++;
        if (raw.charAt(s) != '@') return true;
        for (String tag : raw.substring(s + 1, raw.indexOf(' ', s)).split(";")) {
            int eq = tag.indexOf('=');
            if (eq > 0 && eq < tag.length() - 1 && tag.substring(0, eq).equalsIgnoreCase("batch")) return false;
        }
        return true;
    }
}
