package opsbot.bot.runbook;

import opsbot.commands.model.Binder;
import opsbot.commands.model.Inventory;
import opsbot.commands.model.Invocation;
import opsbot.commands.model.LookupException;
import opsbot.commands.parse.Tokenizer;
import opsbot.config.CommandSpec;
import opsbot.config.HostConfig;
import opsbot.config.Kind;
import opsbot.config.RunbookSpec;
import opsbot.config.RunbookStep;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A runbook's parameters bound like a command's arguments (same types, same messages: host aliases become
 * host names), and its steps with every placeholder filled.
 */
final class Resolver {
    private final Binder binder;
    private final Inventory inventory;

    Resolver(Inventory inventory) {
        this.inventory = inventory;
        this.binder = new Binder(inventory);
    }

    /**
     * @param title  {@code reinstall compute4}: the name and the bound values, for chat and the incident
     * @param params {@code host=compute4}, what the run row keeps
     */
    record Resolved(RunbookSpec spec, String title, String params, List<Step> steps) {
    }

    Resolved resolve(RunbookSpec spec, List<Tokenizer.Word> words) throws LookupException {
        // The parameters are a command's arguments: the binder types and checks them with the same messages.
        CommandSpec asCommand = new CommandSpec(spec.name(), spec.aliases(), spec.help(), spec.role(), Kind.CHANGE,
                true, List.of(), spec.params(), null, "true");
        Map<String, Invocation.Value> values = binder.bind(asCommand, words).values();
        List<Step> steps = new ArrayList<>();
        int n = 0;
        for (RunbookStep s : spec.steps()) {
            n++;
            int index = n;
            steps.add(switch (s) {
                case RunbookStep.Run r -> new Step.Run(fill(spec, index, r.line(), values, true),
                        r.continueOnFailure(), r.expectDisconnect());
                case RunbookStep.Wait w -> new Step.Wait(w.duration());
                case RunbookStep.Until u -> new Step.Until(inventory.resolve(fill(spec, index, u.on(), values, true)).name(),
                        u.every(), u.atMost());
                case RunbookStep.Ask a -> new Step.Ask(Step.flat(fill(spec, index, a.question(), values, false)));
                case RunbookStep.Report r -> new Step.Report();
            });
        }
        StringBuilder title = new StringBuilder(spec.name());
        StringBuilder params = new StringBuilder();
        values.forEach((k, v) -> {
            String shown = String.join(",", v.words());
            title.append(' ').append(shown);
            params.append(params.isEmpty() ? "" : " ").append(k).append('=').append(shown);
        });
        return new Resolved(spec, title.toString(), params.toString(), List.copyOf(steps));
    }

    /** The text with its placeholders filled; in command lines each value is one word (quoted if it must be). */
    private String fill(RunbookSpec spec, int step, String text, Map<String, Invocation.Value> values, boolean words)
            throws LookupException {
        List<String> missing = new ArrayList<>();
        String out = RunbookSpec.fill(text, p -> {
            Invocation.Value v = values.get(p.param());
            if (v == null) {
                missing.add("{" + p.param() + "} is not given, and step " + step + " uses it");
                return "";
            }
            if (p.pair()) {
                HostConfig h = v instanceof Invocation.HostValue hv ? hv.host() : null;
                HostConfig pair = h == null ? null : inventory.pairOf(h).orElse(null);
                if (pair == null) {
                    missing.add((h == null ? p.param() : h.name()) + " has no pair, and step " + step + " uses {"
                            + p.param() + ".pair}");
                    return "";
                }
                return pair.name();
            }
            String value = String.join(",", v.words());
            if (words) {
                String bad = unsafe(value);
                if (bad != null) {
                    missing.add(p.param() + " " + bad + " (it is put into step " + step + "'s command line)");
                    return "";
                }
                return word(value);
            }
            return value;
        });
        if (!missing.isEmpty()) {
            throw new LookupException(spec.name() + ": " + missing.get(0));
        }
        return out;
    }

    /**
     * Why a chat value may not go into a step's command line, or null. The filled line is split into words again,
     * so a value with a quote could close its quoting and add words, and one starting with {@code -} would be
     * read as a flag: neither is allowed (host, group and enum values never have them; text may not).
     */
    static String unsafe(String value) {
        if (value.startsWith("-")) {
            return "may not start with '-'";
        }
        if (value.indexOf('"') >= 0 || value.indexOf('\'') >= 0) {
            return "may not hold quotes";
        }
        return null;
    }

    /** A value as one word of a command line: quoted when it holds spaces (text), as the tokenizer reads it. */
    private static String word(String value) {
        if (!value.isEmpty() && value.chars().noneMatch(c -> Character.isWhitespace(c) || c == '"' || c == '\'')) {
            return value;
        }
        return "\"" + value + "\""; // no quote inside (see unsafe)
    }
}
