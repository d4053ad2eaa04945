package opsbot.config;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A declared runbook: a named sequence of steps, run with typed parameters after one confirmation up front.
 * Chat: {@code !reinstall c4} (name or alias, then the parameters as for a command).
 *
 * @param role   who may start it (default admin: a runbook chains change commands)
 * @param params typed parameters, the same types as a command's arguments
 * @param steps  what it does, in order
 */
public record RunbookSpec(String name, List<String> aliases, String help, Role role,
                          List<CommandSpec.ArgSpec> params, List<RunbookStep> steps) {
    /**
     * A placeholder in a step's text: {@code {host}} (the parameter's value) or {@code {host.pair}} (the
     * pair of a host parameter). Group 1 is the parameter, group 2 the suffix, if any.
     */
    public static final Pattern PLACEHOLDER = Pattern.compile("\\{([a-zA-Z][a-zA-Z0-9_-]*)(?:\\.([a-zA-Z]+))?}");

    /** The one suffix a placeholder may have. */
    public static final String PAIR = "pair";

    public RunbookSpec {
        aliases = aliases == null ? List.of() : List.copyOf(aliases);
        help = help == null ? "" : help;
        role = role == null ? Role.ADMIN : role;
        params = params == null ? List.of() : List.copyOf(params);
        steps = steps == null ? List.of() : List.copyOf(steps);
    }

    public CommandSpec.ArgSpec param(String paramName) {
        for (CommandSpec.ArgSpec a : params) {
            if (a.name().equals(paramName)) {
                return a;
            }
        }
        return null;
    }

    /** One placeholder use: {@code {host}} is (host, false), {@code {host.pair}} is (host, true). */
    public record Placeholder(String param, boolean pair) {
    }

    /** The placeholders of a step text, in order. */
    public static List<Placeholder> placeholders(String text) {
        List<Placeholder> out = new ArrayList<>();
        Matcher m = PLACEHOLDER.matcher(text);
        while (m.find()) {
            out.add(new Placeholder(m.group(1), PAIR.equals(m.group(2))));
        }
        return out;
    }

    /**
     * The text with each placeholder replaced by {@code value}'s answer (taken literally). The config check
     * has made sure that every placeholder names a parameter, and that in run lines and {@code on} each is a
     * whole word.
     */
    public static String fill(String text, Function<Placeholder, String> value) {
        Matcher m = PLACEHOLDER.matcher(text);
        StringBuilder b = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(b, Matcher.quoteReplacement(value.apply(new Placeholder(m.group(1), PAIR.equals(m.group(2))))));
        }
        m.appendTail(b);
        return b.toString();
    }
}
