package opsbot.bot.irc;

import org.kitteh.irc.client.library.Client;
import org.kitteh.irc.client.library.feature.sending.MessageSendingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Field;

/**
 * Kitteh's last outgoing stage without its thread. Kitteh 9 passes every line, after our own rate limit
 * ({@link PacedSender}), through an internal "Immediate" queue with a thread of its own, which then hands
 * it to Netty: one more thread wake-up per reply, about half a millisecond on a small VM, and nothing gained,
 * since Netty's channel is thread-safe and our pacing already happened. This queue writes on the caller's
 * thread instead, under a lock so that lines keep their order; while the connection is down it buffers,
 * as Kitteh's does.
 *
 * <p>Kitteh offers no setting for this stage, so {@link #install} swaps the field in its client by
 * reflection. It is checked against the one Kitteh version we build with; if the field is not there (a new
 * Kitteh), it logs why and leaves Kitteh's own sender in place: slower by one hand-off, nothing else.
 */
final class InlineSender extends LineQueue {
    private static final Logger log = LoggerFactory.getLogger(InlineSender.class);
    private static final String FIELD = "messageSendingImmediate";

    /** Replaces the client's immediate sender; true if it did. Call before connecting. */
    static boolean install(Client client) {
        try {
            Field f = client.getClass().getDeclaredField(FIELD);
            if (!MessageSendingQueue.class.isAssignableFrom(f.getType())) {
                log.warn("irc: Kitteh's {} is a {}, not a MessageSendingQueue; keeping its sender thread", FIELD, f.getType());
                return false;
            }
            f.setAccessible(true);
            MessageSendingQueue old = (MessageSendingQueue) f.get(client);
            f.set(client, new InlineSender());
            if (old != null) old.shutdown(); // stops its thread
            return true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            log.warn("irc: cannot bypass Kitteh's sender thread ({}); replies take one more hand-off", e.toString());
            return false;
        }
    }

    @Override
    protected void drain() {
        while (sending() && !waiting.isEmpty()) {
            writeNext();
        }
    }
}
