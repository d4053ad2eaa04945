package opsbot.config;

import java.util.List;

/**
 * One server of the inventory.
 *
 * @param pair   the host that takes over this one's services on failover, or null
 * @param groups group names, usable in chat as {@code @group}
 */
public record HostConfig(String name, String address, Integer port, String pair, List<String> groups,
                         List<String> aliases) {
    public HostConfig {
        groups = groups == null ? List.of() : List.copyOf(groups);
        aliases = aliases == null ? List.of() : List.copyOf(aliases);
        port = port == null ? 22 : port;
    }
}
