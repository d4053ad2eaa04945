package opsbot.bot.irc;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Cuts reply text to IRC's 512-byte line limit. The limit counts the whole relayed line
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
}
