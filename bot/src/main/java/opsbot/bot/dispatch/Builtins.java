package opsbot.bot.dispatch;

import opsbot.commands.model.Binder;
import opsbot.commands.model.Builtin;
import opsbot.commands.model.CommandCatalog;
import opsbot.commands.model.Inventory;
import opsbot.commands.policy.Authorizer;
import opsbot.commands.policy.Caller;
import opsbot.commands.policy.CommandRef;
import opsbot.commands.policy.Venue;
import opsbot.config.CommandSpec;
import opsbot.config.HostConfig;
import opsbot.config.RunbookSpec;
import opsbot.config.RunbookStep;
import opsbot.config.Trust;

import java.util.ArrayList;
import java.util.List;

/** The text of the read-only built-ins: help, hosts, whoami. */
final class Builtins {
    private final CommandCatalog catalog;
    private final Inventory inventory;
    private final Authorizer gate;
    private final List<RunbookSpec> runbooks;

    Builtins(CommandCatalog catalog, Inventory inventory, Authorizer gate, List<RunbookSpec> runbooks) {
        this.runbooks = runbooks;
        this.catalog = catalog;
        this.inventory = inventory;
        this.gate = gate;
    }

    /** Only what the asker may run here: help asks the same door and never advertises what it would deny. */
    List<String> help(Caller caller, Venue venue) {
        List<String> may = new ArrayList<>();
        for (CommandSpec c : catalog.declared()) {
            if (gate.authorize(caller.identity(), venue, CommandRef.of(c)).allowed()) {
                may.add(c.name() + (c.aliases().isEmpty() ? "" : "(" + String.join(",", c.aliases()) + ")"));
            }
        }
        for (RunbookSpec r : runbooks) {
            if (gate.authorize(caller.identity(), venue, ref(r)).allowed()) {
                may.add(r.name() + (r.aliases().isEmpty() ? "" : "(" + String.join(",", r.aliases()) + ")") + "*");
            }
        }
        List<String> builtins = new ArrayList<>();
        for (Builtin b : Builtin.values()) {
            if (gate.authorize(caller.identity(), venue, CommandRef.of(b)).allowed()) builtins.add(b.word);
        }
        return List.of((may.isEmpty() ? "nothing to run for you here" : "you may run here: " + String.join(" ", may)
                        + (may.stream().anyMatch(m -> m.endsWith("*")) ? " (* runbook)" : "")),
                "built-ins: " + String.join(" ", builtins) + " · help CMD for usage");
    }

    List<String> helpFor(String word) {
        CommandCatalog.Lookup l = catalog.lookup(word);
        if (l instanceof CommandCatalog.Lookup.Unknown u) {
            return List.of(u.message());
        }
        Object found = ((CommandCatalog.Lookup.Found) l).command();
        if (found instanceof Builtin b) {
            return List.of(b.usage + " — " + b.help);
        }
        if (found instanceof RunbookSpec r) {
            return List.of(Binder.usage(r) + " — " + r.help(), "runbook · needs " + r.role().label() + " · asks to confirm"
                    + " · " + r.steps().size() + " steps (" + stepWords(r) + ")"
                    + (r.aliases().isEmpty() ? "" : " · aliases: " + String.join(", ", r.aliases())));
        }
        CommandSpec c = (CommandSpec) found;
        List<String> out = new ArrayList<>();
        out.add(Binder.usage(c) + " — " + c.help());
        out.add("needs " + c.role().label() + " · " + c.kind().label() + (c.confirm() ? " · asks to confirm" : "")
                + " · runs on " + where(c) + ": " + c.run()
                + (c.aliases().isEmpty() ? "" : " · aliases: " + String.join(", ", c.aliases())));
        for (CommandSpec.FlagSpec f : c.flags()) out.add("-" + f.flag() + "  " + f.help());
        for (CommandSpec.ArgSpec a : c.args()) {
            if (!a.help().isEmpty()) out.add(a.name().toUpperCase(java.util.Locale.ROOT) + "  " + a.help());
        }
        return out;
    }

    /** The door's view of a runbook: it chains change commands, at its own role. */
    static CommandRef ref(RunbookSpec r) {
        return new CommandRef(r.name(), opsbot.config.Kind.CHANGE, r.role());
    }

    private static String stepWords(RunbookSpec r) {
        List<String> out = new ArrayList<>();
        for (RunbookStep s : r.steps()) {
            out.add(switch (s) {
                case RunbookStep.Run run -> run.command();
                case RunbookStep.Wait w -> "wait " + opsbot.config.Durations.format(w.duration());
                case RunbookStep.Until u -> "until " + u.condition();
                case RunbookStep.Ask a -> "ask";
                case RunbookStep.Report rep -> "report";
            });
        }
        return String.join(" → ", out);
    }

    private static String where(CommandSpec c) {
        CommandSpec.Target t = c.on();
        if (t.host() != null) return t.host();
        if (t.group() != null) return "@" + t.group();
        if (t.arg() != null) return t.arg().toUpperCase(java.util.Locale.ROOT);
        return "the pair of " + t.pairOf().toUpperCase(java.util.Locale.ROOT);
    }

    List<String> hosts(String filter) {
        List<HostConfig> hs = filter == null ? inventory.hosts() : inventory.group(filter.replaceFirst("^@", ""));
        if (hs.isEmpty()) {
            return List.of("no such group; groups: @" + String.join(" @", inventory.groupNames()));
        }
        List<String> out = new ArrayList<>();
        out.add(hs.size() + " hosts · groups: @" + String.join(" @", inventory.groupNames()));
        for (HostConfig h : hs) {
            out.add(h.name() + (h.aliases().isEmpty() ? "" : " (" + String.join(",", h.aliases()) + ")")
                    + (h.pair() == null ? "" : " ↔ " + h.pair())
                    + (h.groups().isEmpty() ? "" : " · " + String.join(",", h.groups())));
        }
        return out;
    }

    static List<String> whoami(Caller caller, Venue venue) {
        String who;
        if (caller.anonymous()) {
            who = caller.display() + ": not logged in to services, so anonymous (viewer at most; a nick is not identity)";
        } else if (caller.person() == null) {
            who = caller.display() + ": account " + caller.account() + ", not in opsbot's people list: viewer";
        } else {
            who = caller.display() + ": " + caller.person().name() + " (account " + caller.account() + "), "
                    + caller.role().label();
        }
        String here = venue.isPrivate() ? "private message" : venue.label() + " is " + venue.trust().label()
                + (venue.trust() == Trust.OPS ? " (change commands allowed)" : " (read-only commands)");
        return List.of(who + " · " + here);
    }
}
