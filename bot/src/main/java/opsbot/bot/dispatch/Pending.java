package opsbot.bot.dispatch;

import opsbot.bot.chat.Inbound;
import opsbot.commands.model.Plan;

import java.time.Instant;

/** A destructive command ({@code line} as typed) shown to its author and waiting for their {@code !yes} in the same place. */
record Pending(Inbound request, String line, Plan plan, long attemptId, Instant expires) {
}
