package opsbot.config;

import java.time.Duration;

/**
 * How opsbot reaches hosts. Host keys are checked strictly against {@code knownHosts}.
 *
 * @param outputCap bytes kept of each of stdout and stderr; the rest is counted and dropped
 */
public record SshConfig(String user, String privateKey, String knownHosts, Duration connectTimeout,
                        Duration commandTimeout, Integer maxParallel, Integer outputCap, Duration keepalive) {
    public SshConfig {
        connectTimeout = connectTimeout == null ? Duration.ofSeconds(5) : connectTimeout;
        commandTimeout = commandTimeout == null ? Duration.ofSeconds(60) : commandTimeout;
        maxParallel = maxParallel == null ? 8 : maxParallel;
        outputCap = outputCap == null ? 64 * 1024 : outputCap;
        keepalive = keepalive == null ? Duration.ofSeconds(30) : keepalive;
    }
}
