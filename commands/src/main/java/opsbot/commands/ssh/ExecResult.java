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

    /**
     * The command was started but did not finish in time.
     *
     * @param stopped the host confirmed the command's end after the bot killed its process group; when false
     *                it may still be running there
     */
    record TimedOut(Duration after, String stdout, String stderr, Duration took, boolean stopped) implements ExecResult {
        public String brief() {
            return "timed out after " + Durations.format(after) + (stopped ? ", killed" : ", may still be running");
        }
    }

    /**
     * The command was started, then the connection to the host broke before it said how the command ended:
     * it may have finished, failed, or still be running.
     */
    record Lost(String stdout, String stderr, Duration took) implements ExecResult {
        public String brief() {
            return "connection lost while running, may still be running";
        }
    }

    /** The command never started. Nothing ran on the host. */
    record NotRun(Why why, String detail, Duration took) implements ExecResult {
        public String brief() {
            return why.label + (detail.isEmpty() ? "" : why.joiner + detail);
        }
    }

    enum Why {
        UNREACHABLE("unreachable"), HOST_KEY("host key refused"), AUTH("login refused"), ERROR("ssh error"),
        /** The host failed to connect moments ago; not tried again yet ({@code unreachable 4s ago, ...}). */
        NOT_RETRIED("unreachable", " "),
        /** Too much already waiting or running: nothing was queued. */
        BUSY("busy");

        final String label;
        final String joiner;

        Why(String label) {
            this(label, ", ");
        }

        Why(String label, String joiner) {
            this.label = label;
            this.joiner = joiner;
        }
    }
}
