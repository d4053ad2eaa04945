package opsbot.config;

import java.time.Duration;

/**
 * How opsbot reaches hosts. Host keys are checked strictly against {@code knownHosts}.
 *
 * @param outputCap          bytes kept of each of stdout and stderr; the rest is counted and dropped
 * @param hostSessions       commands run at once on one host (SSH channels on its one connection); more wait
 *                           their turn. Keep it at or below the host sshd's {@code MaxSessions} (10 by default)
 * @param reservedForChanges of the {@code maxParallel} slots, how many only change commands may take, so a
 *                           flood of read commands never delays a failover
 * @param commandsPerMinute  host commands one person may start per minute (a burst of as many, then one
 *                           every 60/n seconds)
 */
public record SshConfig(String user, String privateKey, String knownHosts, Duration connectTimeout,
                        Duration commandTimeout, Integer maxParallel, Integer outputCap, Duration keepalive,
                        Integer hostSessions, Integer reservedForChanges, Integer commandsPerMinute) {
    public SshConfig {
        connectTimeout = connectTimeout == null ? Duration.ofSeconds(5) : connectTimeout;
        commandTimeout = commandTimeout == null ? Duration.ofSeconds(60) : commandTimeout;
        maxParallel = maxParallel == null ? 8 : maxParallel;
        outputCap = outputCap == null ? 64 * 1024 : outputCap;
        keepalive = keepalive == null ? Duration.ofSeconds(30) : keepalive;
        hostSessions = hostSessions == null ? 8 : hostSessions;
        reservedForChanges = reservedForChanges == null ? (maxParallel < 2 ? 0 : Math.max(1, maxParallel / 4))
                : reservedForChanges;
        commandsPerMinute = commandsPerMinute == null ? 20 : commandsPerMinute;
    }

    /** The same settings with the key and known_hosts paths replaced (resolved against the config's folder). */
    public SshConfig withPaths(String privateKey, String knownHosts) {
        return new SshConfig(user, privateKey, knownHosts, connectTimeout, commandTimeout, maxParallel, outputCap,
                keepalive, hostSessions, reservedForChanges, commandsPerMinute);
    }
}
