package opsbot.bot.outbox;

import opsbot.bot.chat.Message;

import java.time.Instant;

/** An outbox row as stored: the item, and how its delivery is going. */
public record Row(long id, Target target, String key, String thread, String threadKey, Message body, String ref,
                  State state, int attempts, Instant nextTry, String sentId, String lastError) {
    public enum State { PENDING, SENT }
}
