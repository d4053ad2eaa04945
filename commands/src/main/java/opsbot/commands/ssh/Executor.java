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

    /**
     * Whether the host answers now: a connection and a login, nothing run (a runbook's {@code until:
     * ssh-reachable}). Empty when it does, else why not. Never answered from a remembered failure: a host that
     * was down moments ago is tried again. This default runs {@code true}; an SSH executor overrides it.
     */
    default Optional<ExecResult.NotRun> reachable(HostConfig host) {
        ExecResult r = run(host, "true");
        if (r.ok()) {
            return Optional.empty();
        }
        return Optional.of(r instanceof ExecResult.NotRun n ? n
                : new ExecResult.NotRun(ExecResult.Why.ERROR, r.brief(), r.took()));
    }

    @Override
    default void close() {
    }
}
