package opsbot.bot.chat;

import java.util.function.Consumer;

/**
 * A chat network adapter (IRC, Matrix, the demo console). Adapters translate their protocol into
 * {@link Inbound} lines and plain-text replies; nothing protocol-specific passes this interface.
 */
public interface ChatNetwork extends AutoCloseable {
    /** Short name used in logs, the store and incident entries ("irc", "matrix", "console"). */
    String name();

    /** Connects (and keeps reconnecting) in the background, delivering lines to {@code inbox}. */
    void start(Consumer<Inbound> inbox);

    /** Sends lines to a channel or person, in order, splitting to the network's line limits. */
    void send(String target, java.util.List<String> lines);

    /** The bot's own nick on this network, for "opsbot: cmd" addressing. */
    String selfName();

    @Override
    void close();
}
