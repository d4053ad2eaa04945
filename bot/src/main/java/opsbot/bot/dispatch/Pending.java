package opsbot.bot.dispatch;

import opsbot.bot.chat.Inbound;
import opsbot.commands.model.Plan;
import opsbot.commands.policy.CommandRef;
import opsbot.config.Kind;

import java.time.Instant;
import java.util.function.Consumer;

/**
 * Something destructive ({@code line} as typed) shown to its author and waiting for their {@code !yes} in the
 * same place: a plan to run now ({@code onYes} null), or an extension's action (a follow-up to schedule, a
 * runbook to start), which gets the confirming line after the door said yes again to {@code ref}.
 *
 * @param plan what runs, or for an extension's action the plan it shows (may be null)
 * @param what the one-line description that "cancelled: …", "expired, not run: …" quote
 */
record Pending(Inbound request, String line, Plan plan, long attemptId, Instant expires, CommandRef ref, String what,
               String hosts, Consumer<Inbound> onYes) {
    /** A plan to run when confirmed. */
    static Pending of(Inbound request, String line, Plan plan, long attemptId, Instant expires) {
        return new Pending(request, line, plan, attemptId, expires, CommandRef.of(plan.invocation().spec()),
                plan.describe(), hostsOf(plan), null);
    }

    boolean isChange() {
        return ref.kind() == Kind.CHANGE;
    }

    static String hostsOf(Plan plan) {
        return plan == null ? null : String.join(",", plan.steps().stream().map(s -> s.host().name()).toList());
    }
}
