package opsbot.config;

import java.time.ZoneId;

/**
 * Someone the bot knows. Identity is the IRC services account or the Matrix user ID, never a nick.
 *
 * @param ircAccount services (NickServ) account name, or null
 * @param matrixId   Matrix user ID such as {@code @alice:example.org}, or null
 * @param timezone   the zone due times are shown to this person in (beside UTC), or null for
 *                   {@code bot.timezone}; see {@link #zone(BotConfig)}
 */
public record Person(String name, String ircAccount, String matrixId, Role role, ZoneId timezone) {
    public Person(String name, String ircAccount, String matrixId, Role role) {
        this(name, ircAccount, matrixId, role, null);
    }

    /** This person's zone: their own, else the bot's. */
    public ZoneId zone(BotConfig bot) {
        return timezone != null ? timezone : bot.timezone();
    }
}
