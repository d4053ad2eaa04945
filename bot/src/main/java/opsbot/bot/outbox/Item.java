package opsbot.bot.outbox;

import opsbot.bot.chat.Message;

/**
 * One message to put in the outbox. Producers (the incident log, later broadcasts and reminders) know
 * nothing of networks: a target, a body, and a key that names this message for good.
 *
 * @param key       unique per target; enqueuing the same key again is a no-op, and the network is given a
 *                  transaction ID made from it, so a retried post lands once (Matrix)
 * @param thread    the network ID of a thread root to post in, when it is known; or null
 * @param threadKey else the key of an earlier item to the same target whose message is the thread root
 *                  (it is sent first, so its ID is known by then); or null
 * @param ref       the producer's own reference (e.g. {@code incident-root:7}), handed to its
 *                  {@link Outbox.Delivered} hook when the message is sent; or null
 * @param budget    null: always sent (incident entries, replies, pages); else a broadcast that counts against
 *                  its target's line budget, and past it is summed up in a digest line instead
 */
public record Item(Target target, String key, Message body, String thread, String threadKey, String ref, Budget budget) {
    /**
     * A broadcast's place in its target's line budget.
     *
     * @param group     what a digest line sums up by, e.g. the source {@code backup}
     * @param label     what it counts within the group, e.g. the host {@code imap3} (or the summary), or null
     * @param severity  the word a digest uses ({@code errors}, {@code warnings}), e.g. {@code error}
     * @param perMinute lines this target may get per minute (the route's {@code lines-per-minute})
     */
    public record Budget(String group, String label, String severity, int perMinute) {
        public Budget {
            if (group == null || perMinute < 1) throw new IllegalArgumentException("bad budget");
        }
    }

    public Item(Target target, String key, Message body, String thread, String threadKey, String ref) {
        this(target, key, body, thread, threadKey, ref, null);
    }

    public Item {
        if (key == null || key.isBlank() || key.length() > 128) throw new IllegalArgumentException("bad outbox key: " + key);
        if (body == null) throw new IllegalArgumentException("no body");
    }

    public static Item of(Target target, String key, Message body) {
        return new Item(target, key, body, null, null, null);
    }
}
