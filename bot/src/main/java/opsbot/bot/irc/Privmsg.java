package opsbot.bot.irc;

/**
 * A PRIVMSG as it arrives from the server, parsed just enough for opsbot: the sender's nick, the target,
 * the text and the IRCv3 {@code account} tag. Anything else (CTCP, other commands, malformed lines) is not
 * a {@code Privmsg}, and goes to Kitteh as usual.
 */
record Privmsg(String nick, String target, String text, String account) {

    /** Parses {@code @tags :nick!user@host PRIVMSG target :text}; null if the line is anything else. */
    static Privmsg parse(String line) {
        int i = 0;
        String account = null;
        if (line.startsWith("@")) {
            int sp = line.indexOf(' ');
            if (sp < 0) return null;
            account = tag(line.substring(1, sp), "account");
            i = sp + 1;
        }
        if (!line.startsWith(":", i)) return null;
        int sp = line.indexOf(' ', i);
        if (sp < 0) return null;
        String prefix = line.substring(i + 1, sp);
        int bang = prefix.indexOf('!');
        if (bang <= 0) return null; // a server, not a user
        String nick = prefix.substring(0, bang);
        int cmdEnd = line.indexOf(' ', sp + 1);
        if (cmdEnd < 0 || !line.substring(sp + 1, cmdEnd).equals("PRIVMSG")) return null;
        int targetEnd = line.indexOf(' ', cmdEnd + 1);
        if (targetEnd < 0) return null;
        String target = line.substring(cmdEnd + 1, targetEnd);
        String text = line.startsWith(":", targetEnd + 1) ? line.substring(targetEnd + 2) : line.substring(targetEnd + 1);
        if (target.isEmpty() || text.startsWith("\u0001")) return null; // CTCP is Kitteh's
        return new Privmsg(nick, target, text, account);
    }

    /** A tag's value, unescaped as IRCv3 message-tags says; null when absent or empty. */
    static String tag(String tags, String key) {
        for (String t : tags.split(";")) {
            int eq = t.indexOf('=');
            String k = eq < 0 ? t : t.substring(0, eq);
            if (!k.equals(key)) continue;
            if (eq < 0) return null;
            String v = t.substring(eq + 1);
            StringBuilder b = new StringBuilder(v.length());
            for (int j = 0; j < v.length(); j++) {
                char c = v.charAt(j);
                if (c != '\\') {
                    b.append(c);
                    continue;
                }
                if (++j >= v.length()) break; // a trailing backslash is dropped
                switch (v.charAt(j)) {
                    case ':' -> b.append(';');
                    case 's' -> b.append(' ');
                    case 'r' -> b.append('\r');
                    case 'n' -> b.append('\n');
                    default -> b.append(v.charAt(j));
                }
            }
            return b.isEmpty() ? null : b.toString();
        }
        return null;
    }
}
