package opsbot.commands.policy;

import opsbot.commands.model.Builtin;
import opsbot.config.CommandSpec;
import opsbot.config.Kind;
import opsbot.config.Role;

/**
 * What is asked for, as the policy sees it: the name a denial quotes, whether it changes things, and the
 * least role that may use it. Every command has one: built-ins, incident subcommands (each with its own
 * role) and declared commands.
 *
 * @param name as denials quote it, e.g. {@code fo} or {@code incident open}
 */
public record CommandRef(String name, Kind kind, Role role) {
    public static CommandRef of(CommandSpec spec) {
        return new CommandRef(spec.name(), spec.kind(), spec.role());
    }

    /** A built-in as a whole; {@code incident} has a ref per subcommand (see the dispatcher's incident commands). */
    public static CommandRef of(Builtin b) {
        return new CommandRef(b.word, b.kind, b.role);
    }
}
