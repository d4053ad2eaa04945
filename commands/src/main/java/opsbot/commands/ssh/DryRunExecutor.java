package opsbot.commands.ssh;

import opsbot.config.HostConfig;

import java.time.Duration;

/** Runs nothing: answers what would have run where ({@code --dry-run} and the demo). */
public final class DryRunExecutor implements Executor {
    @Override
    public ExecResult run(HostConfig host, String commandLine) {
        return new ExecResult.Exited(0, "dry-run: would run on " + host.name() + " (" + host.address() + "): "
                + commandLine, "", 0, Duration.ZERO);
    }
}
