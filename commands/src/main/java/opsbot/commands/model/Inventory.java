package opsbot.commands.model;

import opsbot.config.HostConfig;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The hosts opsbot knows, looked up by name or alias, and their groups. Names are compared as {@link Names#key}:
 * case-insensitive and NFKC-folded, so {@code compute４} typed in a phone's fullwidth mode is compute4.
 */
public final class Inventory {
    private final List<HostConfig> hosts;
    private final Map<String, HostConfig> byName = new LinkedHashMap<>();
    private final Map<String, List<HostConfig>> groups = new LinkedHashMap<>();

    public Inventory(List<HostConfig> hosts) {
        this.hosts = List.copyOf(hosts);
        for (HostConfig h : hosts) {
            byName.put(key(h.name()), h);
            h.aliases().forEach(a -> byName.put(key(a), h));
            h.groups().forEach(g -> groups.computeIfAbsent(key(g), k -> new ArrayList<>()).add(h));
        }
    }

    public List<HostConfig> hosts() {
        return hosts;
    }

    public Optional<HostConfig> host(String nameOrAlias) {
        return Optional.ofNullable(byName.get(key(nameOrAlias)));
    }

    public Optional<HostConfig> pairOf(HostConfig h) {
        return h.pair() == null ? Optional.empty() : host(h.pair());
    }

    public List<HostConfig> group(String name) {
        return groups.getOrDefault(key(name), List.of());
    }

    public Set<String> groupNames() {
        return groups.keySet();
    }

    /** A host by name or alias, or a one-line error that suggests the nearest name. */
    public HostConfig resolve(String word) throws LookupException {
        HostConfig h = byName.get(key(word));
        if (h != null) {
            return h;
        }
        String near = Suggest.nearest(key(word), byName);
        throw new LookupException("unknown host '" + Sanitize.forReply(word) + "'"
                + (near != null ? ": did you mean " + near + "?" : " (!hosts lists them)"));
    }

    /** {@code compute4}, {@code @compute}, or a comma list of both; duplicates are dropped, order kept. */
    public List<HostConfig> resolveMany(String word) throws LookupException {
        Set<HostConfig> out = new LinkedHashSet<>();
        for (String part : word.split(",", -1)) {
            if (part.isEmpty()) {
                throw new LookupException("empty host name in '" + Sanitize.forReply(word) + "'");
            }
            if (part.startsWith("@")) {
                List<HostConfig> g = group(part.substring(1));
                if (g.isEmpty()) {
                    String near = Suggest.nearest(key(part.substring(1)), groups.keySet());
                    throw new LookupException("unknown group '" + Sanitize.forReply(part) + "'"
                            + (near != null ? ": did you mean @" + near + "?" : ""));
                }
                out.addAll(g);
            } else {
                out.add(resolve(part));
            }
        }
        return List.copyOf(out);
    }

    private static String key(String s) {
        return Names.key(s);
    }
}
