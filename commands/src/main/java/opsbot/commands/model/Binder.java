package opsbot.commands.model;

import opsbot.commands.parse.Tokenizer.Word;
import opsbot.config.CommandSpec;
import opsbot.config.CommandSpec.ArgSpec;
import opsbot.config.Durations;
import opsbot.config.ShellTemplate;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * Turns the words after a command name into an {@link Invocation}: flags (anywhere, combinable as
 * {@code -Ka}, dashes repaired), then positional arguments typed and checked one by one. Every error is
 * one line that ends with the usage.
 */
public final class Binder {
    private final Inventory inventory;

    public Binder(Inventory inventory) {
        this.inventory = inventory;
    }

    public Invocation bind(CommandSpec spec, List<Word> words) throws LookupException {
        TreeSet<Character> given = new TreeSet<>();
        List<Word> positional = new ArrayList<>();
        boolean flagsDone = false;
        for (Word w : words) {
            String t = w.text();
            if (Sanitize.hasControl(t)) {
                throw error(spec, "control characters or invalid text in '" + Sanitize.forReply(t) + "'");
            }
            if (!flagsDone && !w.quoted() && t.equals("--")) {
                flagsDone = true;
            } else if (!flagsDone && !w.quoted() && t.length() > 1 && t.charAt(0) == '-' && !spec.flags().isEmpty()) {
                String letters = t.replaceFirst("^-+", "");
                if (letters.isEmpty()) {
                    throw error(spec, "a lone dash is not a flag");
                }
                for (char c : letters.toCharArray()) {
                    if (spec.flag(c) == null) {
                        throw error(spec, "unknown flag -" + Sanitize.forReply(String.valueOf(c)));
                    }
                    given.add(c);
                }
            } else {
                positional.add(w);
            }
        }
        List<Character> flags = new ArrayList<>();
        for (CommandSpec.FlagSpec f : spec.flags()) { // declared order, so the remote line is stable
            if (given.contains(f.letter())) {
                flags.add(f.letter());
            }
        }
        Map<String, Invocation.Value> values = new LinkedHashMap<>();
        int i = 0;
        for (ArgSpec a : spec.args()) {
            if (a.type() == CommandSpec.ArgType.TEXT) {
                List<String> rest = positional.subList(Math.min(i, positional.size()), positional.size())
                        .stream().map(Word::text).toList();
                i = positional.size();
                if (rest.isEmpty()) {
                    if (!a.optional()) throw error(spec, "missing " + placeholder(a));
                } else {
                    values.put(a.name(), new Invocation.TextValue(String.join(" ", rest)));
                }
                continue;
            }
            if (i >= positional.size()) {
                if (a.optional()) {
                    continue;
                }
                throw error(spec, "missing " + placeholder(a));
            }
            values.put(a.name(), value(spec, a, positional.get(i++).text()));
        }
        if (i < positional.size()) {
            throw error(spec, "too many arguments: '" + Sanitize.forReply(positional.get(i).text()) + "'");
        }
        noOptionsFromChat(spec, values);
        return new Invocation(spec, List.copyOf(flags), values);
    }

    /**
     * A value that starts with '-' would reach the tool as an option ({@code --include=/etc/shadow}), quoted
     * or not, unless the template puts {@code --} before its placeholder or uses it as {@code --name={x}}.
     * Only text can start with '-' (host names, enum words and durations cannot), but every value is
     * checked the same way.
     */
    private static void noOptionsFromChat(CommandSpec spec, Map<String, Invocation.Value> values) throws LookupException {
        ShellTemplate.Analysis shell = ShellTemplate.analyse(spec.run());
        for (Map.Entry<String, Invocation.Value> e : values.entrySet()) {
            boolean dash = e.getValue().words().stream().anyMatch(w -> w.startsWith("-"));
            if (dash && shell.uses(e.getKey()).stream().anyMatch(ShellTemplate.Use::optionLike)) {
                throw error(spec, e.getKey() + " may not start with '-': the tool would take it as an option");
            }
        }
    }

    private Invocation.Value value(CommandSpec spec, ArgSpec a, String t) throws LookupException {
        try {
            return switch (a.type()) {
                case HOST -> new Invocation.HostValue(inventory.resolve(t));
                case HOSTS -> new Invocation.HostsValue(inventory.resolveMany(t));
                case ENUM -> {
                    String v = t.toLowerCase(Locale.ROOT);
                    for (String allowed : a.values()) {
                        if (allowed.equalsIgnoreCase(v)) yield new Invocation.WordValue(allowed);
                    }
                    List<String> prefixed = a.values().stream().filter(x -> x.toLowerCase(Locale.ROOT).startsWith(v)).toList();
                    if (prefixed.size() == 1 && !v.isEmpty()) yield new Invocation.WordValue(prefixed.get(0));
                    throw new LookupException(a.name() + " must be one of " + String.join("|", a.values())
                            + ", not '" + Sanitize.forReply(t) + "'");
                }
                case DURATION -> {
                    try {
                        yield new Invocation.DurationValue(Durations.parse(t));
                    } catch (IllegalArgumentException e) {
                        throw new LookupException(e.getMessage());
                    }
                }
                case TEXT -> new Invocation.TextValue(t);
            };
        } catch (LookupException e) {
            throw error(spec, e.getMessage());
        }
    }

    private static LookupException error(CommandSpec spec, String why) {
        return new LookupException(spec.name() + ": " + why + " (usage: " + usage(spec) + ")");
    }

    /** {@code fo [-Kam] HOST}. */
    public static String usage(CommandSpec spec) {
        StringBuilder b = new StringBuilder(spec.name());
        if (!spec.flags().isEmpty()) {
            b.append(" [-");
            spec.flags().forEach(f -> b.append(f.letter()));
            b.append(']');
        }
        for (ArgSpec a : spec.args()) {
            b.append(' ').append(a.optional() ? "[" + placeholder(a) + "]" : placeholder(a));
        }
        return b.toString();
    }

    /** A runbook's usage line: its name and parameters, like a command's. */
    public static String usage(opsbot.config.RunbookSpec rb) {
        StringBuilder b = new StringBuilder(rb.name());
        for (ArgSpec a : rb.params()) {
            b.append(' ').append(a.optional() ? "[" + placeholder(a) + "]" : placeholder(a));
        }
        return b.append(" [--dry-run]").toString();
    }

    static String placeholder(ArgSpec a) {
        return switch (a.type()) {
            case HOST -> a.name().toUpperCase(Locale.ROOT);
            case HOSTS -> a.name().toUpperCase(Locale.ROOT) + "|@GROUP";
            case ENUM -> String.join("|", a.values());
            case DURATION -> a.name().toUpperCase(Locale.ROOT) + "(30m)";
            case TEXT -> a.name().toUpperCase(Locale.ROOT) + "…";
        };
    }
}
