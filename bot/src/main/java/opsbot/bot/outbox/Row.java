package opsbot.bot.outbox;

import opsbot.bot.chat.Message;

import java.time.Instant;

/**
 * An outbox row as stored: the item, and how its delivery is going.
 *
 * @param budget    the broadcast's budget (lane {@link Lane#BUDGET}), or null
 * @param digestOf  for a digest row: how many rows it sums up; else null
 * @param digestId  for a row summed up in a digest ({@link State#DIGESTED}): the digest row's id; else null
 */
public record Row(long id, Target target, String key, String thread, String threadKey, Message body, String ref,
                  State state, int attempts, Instant nextTry, String sentId, String lastError, Lane lane,
                  Item.Budget budget, Integer digestOf, Long digestId, Instant createdAt) {
    /**
     * PENDING until the network took it (SENT) or a digest row sums it up instead (DIGESTED). WITHDRAWN: a page
     * line the ack or the resolve of its alert took back before it went out. A line the sender had already taken
     * is still sent, and marked SENT over WITHDRAWN: the row says what was said.
     */
    public enum State { PENDING, SENT, DIGESTED, WITHDRAWN }

    /**
     * DIRECT rows (incident entries, pages, reminders) are never held back by a budget; BUDGET rows (broadcasts
     * and the digests that sum them up) each count as one line against their target's lines per minute.
     */
    public enum Lane {
        DIRECT, BUDGET;

        String column() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        static Lane of(String column) {
            return valueOf(column.toUpperCase(java.util.Locale.ROOT));
        }
    }

    public boolean isDigest() {
        return digestOf != null;
    }
}
