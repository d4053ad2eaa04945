package opsbot.bot.store;

import java.time.Instant;

/**
 * One command attempt as stored: who asked what, where, what the policy said, and what came of it.
 *
 * @param decision {@code denied}, {@code invalid}, {@code awaiting-confirmation}, {@code expired},
 *                 {@code cancelled}, {@code ran}
 * @param exitCodes per-host outcome, e.g. {@code compute3=1 compute4=0} or {@code compute4=unreachable}
 */
public record Attempt(long id, Instant at, String network, String channel, String nick, String account,
                      String person, String line, String command, String decision, String reason, String hosts,
                      String exitCodes, long durationMs, String output) {
}
