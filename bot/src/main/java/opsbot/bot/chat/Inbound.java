package opsbot.bot.chat;

import java.time.Duration;

/**
 * One line someone said where the bot can hear it. Built by a network adapter, which alone knows how to
 * establish identity on its network.
 *
 * @param channel  channel or room, or null for a private message
 * @param nick     display name, for replies only; never identity
 * @param account  verified identity (IRC services account, Matrix user ID), or null when anonymous
 * @param messageId the network's ID of this message (Matrix event ID), for reactions; or null
 * @param thread    the root message ID of the thread it was said in, or null
 * @param delay     how long before the bot heard it the line was said, as far as the network tells (Matrix
 *                  delivers what was said while the bot was away); zero for a line heard as it is said
 */
public record Inbound(String network, String channel, String nick, String account, String text, String messageId,
                      String thread, Duration delay) {
    public Inbound {
        delay = delay == null || delay.isNegative() ? Duration.ZERO : delay;
    }

    public Inbound(String network, String channel, String nick, String account, String text) {
        this(network, channel, nick, account, text, null, null, Duration.ZERO);
    }

    public Inbound(String network, String channel, String nick, String account, String text, String messageId,
                   String thread) {
        this(network, channel, nick, account, text, messageId, thread, Duration.ZERO);
    }

    public boolean isPrivate() {
        return channel == null;
    }

    /** Where replies go: the channel, or the sender for a private message. */
    public String replyTarget() {
        return channel != null ? channel : nick;
    }
}
