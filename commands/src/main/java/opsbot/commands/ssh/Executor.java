package opsbot.commands.ssh;

import opsbot.config.HostConfig;

import java.util.Optional;

/** Runs one remote command line on one host. Implementations never throw: failures are results. */
public interface Executor extends AutoCloseable {
    ExecResult run(HostConfig host, String commandLine);

    /**
     * Runs holding one of the bot-wide slots, taken through {@code gate}. This default takes it first; an
     * executor that connects to hosts overrides it to connect (and wait for the host) before taking it.
     */
    default ExecResult run(HostConfig host, String commandLine, Gate gate) {
        Optional<ExecResult.NotRun> refused = gate.enter();
        if (refused.isPresent()) {
            return refused.get();
        }
        try {
            return run(host, commandLine);
        } finally {
            gate.leave();
        }
    }

    @Override
    default void close() {
    }
}
