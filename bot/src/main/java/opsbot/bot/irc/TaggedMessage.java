package opsbot.bot.irc;

/**
 * A PRIVMSG that carries its sender's services account in the server's IRCv3 {@code account} tag, read from
 * the raw line alone: {@code @...;account=alice;... :nick!user@host PRIVMSG target :text}.
 *
 * <p>Why the tag alone is enough: {@code account} (without the {@code +} of client-only tags) is a tag only
 * the server writes; servers relay no such tag from a client. So a line that has it says who is logged in,
 * whatever else is negotiated, and it says so for this very line (not as of some earlier login or WHOIS).
 *
 * <p>Only where the connection negotiated {@code account-tag}, though: a server that did not may relay
 * whatever tags a client wrote, and {@link IrcNetwork} takes this path only then.
 *
 * <p>{@link #parse} is a pure function of the line, strict on purpose: anything unusual (no or empty account,
 * a {@code batch} tag (Kitteh holds those lines until the batch ends), CTCP, a source that is not
 * {@code nick!user@host}, a status-message or other target that is neither a {@code #}/{@code &} channel nor a
 * nick, extra parameters or spaces) is not one, and is left to Kitteh's events. Whether the target is a channel
 * the bot is in, or the bot itself, is the caller's to check (it knows which).
 *
 * @param target the channel (as the line spells it) or the nick it was sent to
 */
record TaggedMessage(String account, String nick, String target, String text) {
    /** Sent to a channel, rather than to the bot alone. */
    boolean toChannel() {
        char first = target.charAt(0);
        return first == '#' || first == '&';
    }


    /** The message, or null when the line is not a PRIVMSG with the server's account tag (see above). */
    static TaggedMessage parse(String line) {
        if (line.isEmpty() || line.charAt(0) != '@') {
            return null;
        }
        int sp = line.indexOf(' ');
        if (sp < 0) {
            return null;
        }
        String account = null;
        boolean seen = false;
        for (String tag : line.substring(1, sp).split(";")) {
            int eq = tag.indexOf('=');
            String key = eq < 0 ? tag : tag.substring(0, eq);
            if (key.equals("batch")) {
                return null;
            }
            if (key.equals("account")) {
                if (seen) {
                    return null; // twice: not what a server sends; Kitteh's way decides (it keeps the last)
                }
                seen = true;
                account = eq > 0 ? unescape(tag.substring(eq + 1)) : null;
            }
        }
        if (account == null || account.isBlank() || account.equals("*")) {
            return null;
        }
        // :nick!user@host PRIVMSG target :text
        String rest = line.substring(sp + 1);
        if (!rest.startsWith(":")) {
            return null;
        }
        int a = rest.indexOf(' ');
        int b = a < 0 ? -1 : rest.indexOf(' ', a + 1);
        int c = b < 0 ? -1 : rest.indexOf(' ', b + 1);
        if (c < 0 || !rest.substring(a + 1, b).equalsIgnoreCase("PRIVMSG")) {
            return null;
        }
        String source = rest.substring(1, a);
        int bang = source.indexOf('!');
        int at = source.indexOf('@');
        if (bang <= 0 || at < bang + 2 || at == source.length() - 1 || source.indexOf('@', at + 1) >= 0) {
            return null; // not nick!user@host: a server or a service without a user, not a person
        }
        String nick = source.substring(0, bang);
        String target = rest.substring(b + 1, c);
        String trailing = rest.substring(c + 1);
        String text;
        if (trailing.startsWith(":")) {
            text = trailing.substring(1);
        } else if (!trailing.contains(" ") && !trailing.isEmpty()) {
            text = trailing;
        } else {
            return null;
        }
        if (target.isEmpty() || text.startsWith("\u0001")) {
            return null;
        }
        char first = target.charAt(0);
        if (first == '#' || first == '&' || Character.isLetter(first) || "[]\\`_^{|}".indexOf(first) >= 0) {
            return new TaggedMessage(account, nick, target, text);
        }
        return null;
    }

    /** An IRCv3 tag value: {@code \:} is ';', {@code \s} a space, {@code \\} a backslash, {@code \r}, {@code \n}. */
    static String unescape(String v) {
        if (v.indexOf('\\') < 0) {
            return v;
        }
        StringBuilder s = new StringBuilder(v.length());
        for (int i = 0; i < v.length(); i++) {
            char ch = v.charAt(i);
            if (ch != '\\') {
                s.append(ch);
            } else if (i + 1 < v.length()) {
                char n = v.charAt(++i);
                s.append(switch (n) {
                    case ':' -> ';';
                    case 's' -> ' ';
                    case 'r' -> '\r';
                    case 'n' -> '\n';
                    default -> n;
                });
            }
        }
        return s.toString();
    }
}
