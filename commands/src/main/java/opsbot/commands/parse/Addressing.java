package opsbot.commands.parse;

import java.util.Locale;

/**
 * Decides whether a chat line is meant for the bot and returns the command part: {@code !fo -K c4},
 * {@code opsbot: fo -K c4} / {@code opsbot, fo…}, or anything in a private message.
 */
public final class Addressing {
    /** Longer lines are refused before parsing: no ops command needs them, and they are costly to echo. */
    public static final int MAX_LINE = 1000;

    private final String prefix;
    private final String nick;

    public Addressing(String prefix, String nick) {
        this.prefix = prefix;
        this.nick = nick.toLowerCase(Locale.ROOT);
    }

    /** Returns the command text (repaired, stripped) or null when the line is not for the bot. */
    public String commandText(String line, boolean privateMessage) {
        String s = PhoneRepair.repair(line).strip();
        if (s.startsWith(prefix)) {
            String rest = s.substring(prefix.length());
            // "!!!" or "! " is chatter, not a command
            return rest.isEmpty() || !Character.isLetter(rest.codePointAt(0)) ? null : rest.strip();
        }
        String lower = s.toLowerCase(Locale.ROOT);
        if (lower.startsWith(nick) && s.length() > nick.length()) {
            char c = s.charAt(nick.length());
            if (c == ':' || c == ',') {
                String rest = s.substring(nick.length() + 1).strip();
                return rest.isEmpty() ? null : rest;
            }
        }
        return privateMessage && !s.isEmpty() ? s : null;
    }
}
