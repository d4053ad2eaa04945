package opsbot.bot.incident;

/**
 * Who did something, and where: the person's configured name (or a nick marked unverified), the network
 * and the channel or room.
 */
public record Actor(String person, String network, String place) {
    /** opsbot itself (automatic entries, timers). */
    public static Actor bot() {
        return new Actor("opsbot", null, null);
    }
}
