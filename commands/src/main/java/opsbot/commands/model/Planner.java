package opsbot.commands.model;

import opsbot.config.CommandSpec;
import opsbot.config.HostConfig;
import opsbot.config.ShellTemplate;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;

/**
 * Renders an invocation's remote command line from its template and decides the hosts it runs on.
 * Each substituted value is shell-quoted word by word; the template's own text is the operator's, from
 * the config file, and is kept as written.
 */
public final class Planner {
    private final Inventory inventory;

    public Planner(Inventory inventory) {
        this.inventory = inventory;
    }

    public Plan plan(Invocation inv) throws LookupException {
        // check-config refuses unsafe templates; this keeps a config that skipped it from running one.
        ShellTemplate.Analysis shell = ShellTemplate.analyse(inv.spec().run());
        if (!shell.safe()) {
            throw new LookupException(inv.spec().name() + ": not run, its template is unsafe ("
                    + shell.refusals().get(0) + "); run opsbot check-config");
        }
        String line = render(inv);
        List<Plan.Step> steps = new ArrayList<>();
        for (HostConfig h : targets(inv)) {
            steps.add(new Plan.Step(h, line));
        }
        return new Plan(inv, List.copyOf(steps));
    }

    static String render(Invocation inv) {
        String t = inv.spec().run();
        Matcher m = CommandSpec.PLACEHOLDER.matcher(t);
        StringBuilder out = new StringBuilder();
        int last = 0;
        while (m.find()) {
            out.append(t, last, m.start());
            List<String> words = m.group(1).equals("flags")
                    ? inv.flags().stream().map(c -> "-" + c).toList()
                    : wordsOf(inv, m.group(1));
            out.append(String.join(" ", words.stream().map(ShellQuote::quote).toList()));
            last = m.end();
            // An empty expansion takes one following space with it: "x {flags} y" -> "x y".
            if (words.isEmpty() && last < t.length() && t.charAt(last) == ' ') {
                last++;
            }
        }
        out.append(t.substring(last));
        return out.toString().strip();
    }

    private static List<String> wordsOf(Invocation inv, String name) {
        Invocation.Value v = inv.values().get(name);
        return v == null ? List.of() : v.words();
    }

    private List<HostConfig> targets(Invocation inv) throws LookupException {
        CommandSpec.Target t = inv.spec().on();
        if (t.host() != null) {
            return List.of(inventory.resolve(t.host()));
        }
        if (t.group() != null) {
            return inventory.group(t.group());
        }
        if (t.arg() != null) {
            Invocation.Value v = inv.values().get(t.arg());
            if (v instanceof Invocation.HostValue h) return List.of(h.host());
            if (v instanceof Invocation.HostsValue hs) return hs.hosts();
            throw new LookupException(inv.spec().name() + ": no target host given");
        }
        Invocation.Value v = inv.values().get(t.pairOf());
        if (!(v instanceof Invocation.HostValue h)) {
            throw new LookupException(inv.spec().name() + ": no host given");
        }
        return List.of(inventory.pairOf(h.host()).orElseThrow(
                () -> new LookupException(h.host().name() + " has no pair (see !hosts)")));
    }
}
