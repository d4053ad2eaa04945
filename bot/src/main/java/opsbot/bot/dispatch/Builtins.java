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
import opsbot.config.Trust;

import java.util.ArrayList;
import java.util.List;

/** The text of the read-only built-ins: help, hosts, whoami. */
final class Builtins {
    private final CommandCatalog catalog;
    private final Inventory inventory;
    private final Authorizer gate;

    Builtins(CommandCatalog catalog, Inventory inventory, Authorizer gate) {
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
        List<String> builtins = new ArrayList<>();
        for (Builtin b : Builtin.values()) {
            if (gate.authorize(caller.identity(), venue, CommandRef.of(b)).allowed()) builtins.add(b.word);
        }
        return List.of((may.isEmpty() ? "nothing to run for you here" : "you may run here: " + String.join(" ", may)),
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
