package opsbot.bot.irc;

/**
 * A PRIVMSG that carries its sender's services account in the server's IRCv3 {@code account} tag, read from
 * the raw line alone: {@code @...;account=alice;... :nick!user@host PRIVMSG target :text}.
 *
 * <p>Why the tag alone is enough: {@code account} (without the {@code +} of client-only tags) is a tag only
 * the server writes; servers relay no such tag from a client. So a line that has it says who is logged in,
 * whatever else is negotiated, and it says so for this very line (not as of some earlier login or WHOIS).
 *
 * <p>{@link #parse} is a pure function of the line, strict on purpose: anything unusual (no or empty account,
 * a {@code batch} tag (Kitteh holds those lines until the batch ends), CTCP, a status-message or other target
 * that is neither a {@code #}/{@code &} channel nor a nick, extra parameters or spaces) is not one, and is left
 * to Kitteh's events. Both the reader thread and Kitteh's thread ask it about the same line and so agree on
 * which of them hands the line on.
 *
 * @param channel the channel, or null when sent to the bot alone
 */
record TaggedMessage(String account, String nick, String channel, String text) {

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
        for (String tag : line.substring(1, sp).split(";")) {
            int eq = tag.indexOf('=');
            String key = eq < 0 ? tag : tag.substring(0, eq);
            if (key.equals("batch")) {
                return null;
            }
            if (key.equals("account") && eq > 0) {
                account = unescape(tag.substring(eq + 1));
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
        String nick = bang < 0 ? source : source.substring(0, bang);
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
        if (nick.isEmpty() || nick.contains("@") || target.isEmpty() || text.startsWith("\u0001")) {
            return null;
        }
        char first = target.charAt(0);
        if (first == '#' || first == '&') {
            return new TaggedMessage(account, nick, target, text);
        }
        if (Character.isLetter(first) || "[]\\`_^{|}".indexOf(first) >= 0) {
            return new TaggedMessage(account, nick, null, text); // the server sends us only what is addressed to us
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
