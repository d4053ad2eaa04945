package opsbot.bot.dispatch;

import opsbot.commands.model.Builtin;
import opsbot.commands.policy.CommandRef;
import opsbot.commands.policy.Identity;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A capability beside the declared commands (follow-ups, runbooks, health checks) that answers some built-ins
 * or command words of its own. The dispatcher asks the one door first, with the built-in's role or the
 * {@link CommandRef} the extension gives for its word; an extension is only called for what the door allowed.
 * It gets the rest of the bot through the {@link Toolbox}. Methods run on the asker's lane: long work (a
 * runbook's steps) goes to a thread of the extension's own.
 */
public interface Extension {
    /** The built-ins it answers. */
    default Set<Builtin> answers() {
        return Set.of();
    }

    /**
     * What the door is asked for a built-in it answers, when not the built-in as a whole: a subcommand with a
     * role of its own ({@code duty take}), like the incident subcommands. {@code rest} is the text after the
     * command word as typed. Empty: the built-in's own role.
     */
    default Optional<CommandRef> ref(Builtin b, Identity who, String rest) {
        return Optional.empty();
    }

    /** Lines for the asker (paged by the dispatcher); empty when it replies later or has said it already. */
    default List<String> answer(Request r) {
        return List.of();
    }

    /**
     * A runbook of its own, by its name (the catalog resolved what was typed: alias, prefix), as the door should
     * see it; empty when not its own.
     */
    default Optional<CommandRef> command(String word) {
        return Optional.empty();
    }

    /** Answers its own command word, after the door allowed {@link #command}. */
    default List<String> invoke(Request r) {
        return List.of();
    }

    /** {@code !cancel ID}: empty when the id is not this extension's (F12 is a follow-up, R3 a runbook run). */
    default Optional<List<String>> cancel(Request r, String id) {
        return Optional.empty();
    }

    /**
     * A {@code !yes} (with the words after it) when nothing waits in the confirmations: something of this
     * extension waiting for this person here (a runbook's question, a step whose outcome is unknown)?
     */
    default Optional<List<String>> yes(Request r) {
        return Optional.empty();
    }
}
