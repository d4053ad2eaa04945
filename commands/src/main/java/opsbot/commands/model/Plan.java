package opsbot.commands.model;

import opsbot.config.HostConfig;

import java.util.List;

/** What an invocation will run where: one step per host, each a complete, quoted remote command line. */
public record Plan(Invocation invocation, List<Step> steps) {
    public record Step(HostConfig host, String commandLine) {
    }

    /** {@code compute4: utils/FailOver.pl -K compute4} for one step, a summary for many. */
    public String describe() {
        if (steps.size() == 1) {
            return steps.get(0).host().name() + ": " + steps.get(0).commandLine();
        }
        boolean same = steps.stream().map(Step::commandLine).distinct().count() == 1;
        String hosts = String.join(",", steps.stream().map(s -> s.host().name()).toList());
        return same ? steps.size() + " hosts (" + hosts + "): " + steps.get(0).commandLine()
                : steps.size() + " hosts (" + hosts + ")";
    }
}
