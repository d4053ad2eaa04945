package opsbot.config;

import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A declarative ops command: what chat users type, who may run it, where it runs, and the remote command
 * line it becomes. Only validated argument values are substituted into {@code run}, each shell-quoted.
 *
 * @param on  where the command runs; see {@link Target}
 * @param run remote command template: {@code {name}} names a declared argument, {@code {flags}} expands
 *            to the given flags, one word each ({@code -K -a})
 */
public record CommandSpec(String name, List<String> aliases, String help, Role role, Kind kind, Boolean confirm,
                          List<FlagSpec> flags, List<ArgSpec> args, Target on, String run) {
    /** A placeholder in {@code run}: {@code {name}}. The one definition of the template syntax. */
    public static final Pattern PLACEHOLDER = Pattern.compile("\\{([a-zA-Z][a-zA-Z0-9_-]*)}");

    /**
     * Names of built-in commands (and those later issues add); declared commands and aliases may not take
     * them. The commands module's tests check that every built-in is listed here.
     */
    public static final Set<String> RESERVED_NAMES = Set.of("help", "?", "hosts", "whoami", "more", "yes", "y",
            "no", "ping", "incident", "inc", "note",
            // issue 9: follow-ups, runbooks, checks
            "remind", "in", "followups", "cancel", "run", "snooze", "runbook", "rb", "checks",
            // issue 10: alerts
            "alerts", "silence", "unsilence",
            // issue 10: on duty
            "duty", "ack");

    public CommandSpec {
        aliases = aliases == null ? List.of() : List.copyOf(aliases);
        flags = flags == null ? List.of() : List.copyOf(flags);
        args = args == null ? List.of() : List.copyOf(args);
        role = role == null ? Role.OPERATOR : role;
        kind = kind == null ? Kind.CHANGE : kind;
        // Change commands confirm unless the config says otherwise: the safe default at 3am.
        confirm = confirm == null ? kind == Kind.CHANGE : confirm;
        help = help == null ? "" : help;
    }

    public FlagSpec flag(char c) {
        for (FlagSpec f : flags) {
            if (f.letter() == c) {
                return f;
            }
        }
        return null;
    }

    public ArgSpec arg(String argName) {
        for (ArgSpec a : args) {
            if (a.name().equals(argName)) {
                return a;
            }
        }
        return null;
    }

    /** A single-letter flag such as {@code -K}. */
    public record FlagSpec(String flag, String help) {
        public char letter() {
            return flag.charAt(0);
        }
    }

    /**
     * A typed positional argument.
     *
     * @param values allowed words for {@link ArgType#ENUM}
     */
    public record ArgSpec(String name, ArgType type, List<String> values, Boolean optional, String help) {
        public ArgSpec {
            values = values == null ? List.of() : List.copyOf(values);
            optional = optional != null && optional;
            help = help == null ? "" : help;
        }
    }

    public enum ArgType {
        /** One inventory host; aliases accepted. */
        HOST,
        /** A host, {@code @group}, or comma-separated list of them; runs fan out over these. */
        HOSTS,
        /** One of {@code values}. */
        ENUM,
        /** A duration such as {@code 30m}. */
        DURATION,
        /** The rest of the line as one value; only where a command declares it. */
        TEXT
    }

    /**
     * Where a command runs: exactly one of a fixed {@code host}, the host(s) named by argument {@code arg},
     * the pair of the host named by argument {@code pairOf}, or every host of {@code group}.
     */
    public record Target(String host, String arg, String pairOf, String group) {
    }
}
