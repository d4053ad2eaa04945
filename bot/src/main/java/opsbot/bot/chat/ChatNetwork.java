package opsbot.bot.chat;

import opsbot.commands.policy.Identity;

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

    /**
     * Whether the thread that delivers lines may wait when the dispatcher is backed up. True for a reader of
     * its own whose input stays safe meanwhile (Matrix: the homeserver holds the rest of the timeline, and a
     * caught-up gap of 60 notes must not be cut); false for a network library's I/O thread, which must never
     * stall (IRC): there, a line beyond the bounds is answered "busy" instead.
     */
    default boolean readerMayWait() {
        return false;
    }

    /** Sends lines to a channel or person, in order, splitting to the network's line limits. */
    void send(String target, java.util.List<String> lines);

    /** Replies to a line heard: where it was said (inside its thread, on networks with threads). */
    default void reply(Inbound to, java.util.List<String> lines) {
        send(to.replyTarget(), lines);
    }

    /**
     * Posts one message, in the thread hanging from {@code thread} when the network has threads, and returns
     * the network's ID for it (null where messages have none). Unlike {@link #send}, failures are thrown
     * ({@link PostFailed}) so that the caller can retry: incident entries must arrive. {@code key}, when
     * given, names this message for good: posting again with the same key does not post it twice, where the
     * network can tell (Matrix transaction IDs).
     */
    default String post(String target, Message message, String thread, String key) {
        send(target, java.util.List.of(message.plain().split("\n")));
        return null;
    }

    /**
     * The most UTF-8 bytes of text one line to {@code target} may hold, after the network's framing (IRC: what is
     * left of 512 bytes); 0 where a line has no such size. The outbox cuts a broadcast to one such line.
     */
    default int lineBytes(String target) {
        return 0;
    }

    /** Whether {@link #post} threads messages (the incident thread then has a root message here). */
    default boolean hasThreads() {
        return false;
    }

    /** Marks a message (by its network ID) with an emoji reaction, where the network has them. */
    default void react(String target, String messageId, String emoji) {
    }

    /**
     * The name {@code who} goes by here now, to address them (IRC: the current nick of the user logged in to
     * that account, where the bot sees them); {@code lastNick} (their nick when they last spoke) otherwise.
     */
    default String nameOf(Identity who, String lastNick) {
        return lastNick;
    }

    /**
     * {@code text} addressed to {@code who} so that the network notifies them: {@code "nick: text"}, or a real
     * mention where the network has them (Matrix: the user ID in the body, a pill and {@code m.mentions}).
     */
    default Message mention(Identity who, String lastNick, String text) {
        return Message.plain(nameOf(who, lastNick) + ": " + text);
    }

    /** Whether the bot is connected (and logged in) now, for the intake's health check; as far as it knows. */
    default boolean connected() {
        return true;
    }

    /**
     * Whether {@link #nameOf} can find people now: on IRC, right after a (re)join, the channels' users and their
     * accounts are not known until the server answered the bot's WHO. A mention made before that names people
     * by their configured nick; callers that can wait a little (a page fired at start) wait for this first.
     */
    default boolean knowsWhoIsWhere() {
        return connected();
    }

    /** The bot's own nick on this network, for "opsbot: cmd" addressing. */
    String selfName();

    @Override
    void close();

    /** A post that did not reach the network; worth retrying. */
    final class PostFailed extends RuntimeException {
        public PostFailed(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
