package opsbot.commands.model;

import opsbot.config.CommandSpec;
import opsbot.config.RunbookSpec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Resolves what a person typed to a command: exact names and aliases first (case-insensitive), then a
 * unique prefix ({@code fa} → {@code failover}), otherwise "did you mean …?".
 */
public final class CommandCatalog {
    private final Map<String, Object> byWord = new LinkedHashMap<>(); // Builtin, CommandSpec or RunbookSpec
    private final List<CommandSpec> declared;

    public CommandCatalog(List<CommandSpec> declared) {
        this(declared, List.of());
    }

    /**
     * Runbooks are words like commands: one catalog resolves all, so that a prefix or a typo near a runbook's
     * name is never taken for a command that happens to start the same ({@code reinst} is not {@code reinstall-grub}
     * when a runbook {@code reinstall} exists).
     */
    public CommandCatalog(List<CommandSpec> declared, List<RunbookSpec> runbooks) {
        this.declared = List.copyOf(declared);
        for (RunbookSpec r : runbooks) {
            byWord.put(r.name(), r);
            r.aliases().forEach(a -> byWord.put(a, r));
        }
        for (Builtin b : Builtin.values()) {
            byWord.put(b.word, b);
            b.aliases.forEach(a -> byWord.put(a, b));
        }
        for (CommandSpec c : declared) {
            byWord.put(c.name(), c);
            c.aliases().forEach(a -> byWord.put(a, c));
        }
    }

    public List<CommandSpec> declared() {
        return declared;
    }

    public sealed interface Lookup {
        record Found(Object command) implements Lookup {
            public boolean isBuiltin() {
                return command instanceof Builtin;
            }
        }

        record Unknown(String message) implements Lookup {
        }
    }

    public Lookup lookup(String typed) {
        String w = Names.key(typed); // a fullwidth "ｆｏ" from a phone is fo
        Object exact = byWord.get(w);
        if (exact != null) {
            return new Lookup.Found(exact);
        }
        List<Object> hits = new ArrayList<>();
        TreeSet<String> names = new TreeSet<>();
        for (Map.Entry<String, Object> e : byWord.entrySet()) {
            if (e.getKey().startsWith(w) && !hits.contains(e.getValue())) {
                hits.add(e.getValue());
                names.add(e.getKey());
            }
        }
        if (hits.size() == 1) {
            return new Lookup.Found(hits.get(0));
        }
        String shown = Sanitize.forReply(typed);
        if (hits.size() > 1) {
            return new Lookup.Unknown("'" + shown + "' is ambiguous: " + String.join(", ", names));
        }
        String near = Suggest.nearest(w, byWord); // a name and its alias do not compete
        return new Lookup.Unknown("unknown command '" + shown + "'"
                + (near != null ? ": did you mean `" + near + "`?" : " (!help lists them)"));
    }
}
