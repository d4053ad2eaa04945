package opsbot.commands.policy;

import opsbot.config.Trust;

/**
 * Where a line was said.
 *
 * @param channel channel or room, or null for a private message
 */
public record Venue(String network, String channel, Trust trust) {
    public boolean isPrivate() {
        return channel == null;
    }

    public String label() {
        return channel == null ? "private message" : channel;
    }
}
