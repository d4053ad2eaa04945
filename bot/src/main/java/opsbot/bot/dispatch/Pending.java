package opsbot.bot.dispatch;

import opsbot.bot.chat.Inbound;
import opsbot.commands.model.Plan;

import java.time.Instant;

/** A destructive command shown to its author and waiting for their {@code !yes} in the same place. */
record Pending(Inbound request, Plan plan, long attemptId, Instant expires) {
}
