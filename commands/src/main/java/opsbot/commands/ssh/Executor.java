package opsbot.commands.ssh;

import opsbot.config.HostConfig;

/** Runs one remote command line on one host. Implementations never throw: failures are results. */
public interface Executor extends AutoCloseable {
    ExecResult run(HostConfig host, String commandLine);

    @Override
    default void close() {
    }
}
