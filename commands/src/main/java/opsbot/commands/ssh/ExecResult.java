package opsbot.commands.ssh;

import opsbot.config.Durations;

import java.time.Duration;

/** What happened when a command line was run on one host. */
public sealed interface ExecResult {
    Duration took();

    /** One short phrase for summaries: {@code exit 0}, {@code timed out after 60s}, {@code unreachable}. */
    String brief();

    default boolean ok() {
        return this instanceof Exited e && e.status() == 0;
    }

    /**
     * The command ran and exited.
     *
     * @param dropped bytes of output beyond the cap that were counted and thrown away
     */
    record Exited(int status, String stdout, String stderr, long dropped, Duration took) implements ExecResult {
        public String brief() {
            return "exit " + status;
        }
    }

    /** The command was started but did not finish in time; its channel was closed. */
    record TimedOut(Duration after, String stdout, String stderr, Duration took) implements ExecResult {
        public String brief() {
            return "timed out after " + Durations.format(after);
        }
    }

    /** The command never started. Nothing ran on the host. */
    record NotRun(Why why, String detail, Duration took) implements ExecResult {
        public String brief() {
            return why.label + (detail.isEmpty() ? "" : ", " + detail);
        }
    }

    enum Why {
        UNREACHABLE("unreachable"), HOST_KEY("host key refused"), AUTH("login refused"), ERROR("ssh error");

        final String label;

        Why(String label) {
            this.label = label;
        }
    }
}
