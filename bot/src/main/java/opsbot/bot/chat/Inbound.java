package opsbot.bot.chat;

import opsbot.commands.policy.Identity;

import java.time.Duration;
import java.util.Objects;

/**
 * One line someone said where the bot can hear it. Built by a network adapter, which alone knows how to
 * establish identity on its network.
 *
 * @param channel  channel or room, or null for a private message
 * @param nick     display name, for replies only; never identity
 * @param who      identity as the network vouches for it (anonymous when it does not); never null
 * @param messageId the network's ID of this message (Matrix event ID), for reactions; or null
 * @param thread    the root message ID of the thread it was said in, or null
 * @param delay     how long before the bot heard it the line was said, as far as the network tells (Matrix
 *                  delivers what was said while the bot was away); zero for a line heard as it is said
 */
public record Inbound(String network, String channel, String nick, Identity who, String text, String messageId,
                      String thread, Duration delay) {
    public Inbound {
        Objects.requireNonNull(who, "identity (Identity.Anonymous when the network does not vouch)");
        delay = delay == null || delay.isNegative() ? Duration.ZERO : delay;
    }

    public Inbound(String network, String channel, String nick, Identity who, String text) {
        this(network, channel, nick, who, text, null, null, Duration.ZERO);
    }

    public Inbound(String network, String channel, String nick, Identity who, String text, String messageId,
                   String thread) {
        this(network, channel, nick, who, text, messageId, thread, Duration.ZERO);
    }

    /** The verified account, for logs and the store's columns only (null when anonymous); decisions use {@link #who}. */
    public String account() {
        return who.account();
    }

    public boolean isPrivate() {
        return channel == null;
    }

    /** Where replies go: the channel, or the sender for a private message. */
    public String replyTarget() {
        return channel != null ? channel : nick;
    }
}
