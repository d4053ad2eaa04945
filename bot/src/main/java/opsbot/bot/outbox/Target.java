package opsbot.bot.outbox;

/** Where an outbox message goes: a network by name ("irc", "matrix") and a channel, room or person on it. */
public record Target(String network, String place) {
    @Override
    public String toString() {
        return network + " " + place;
    }
}
