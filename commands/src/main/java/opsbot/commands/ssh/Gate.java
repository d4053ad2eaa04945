package opsbot.commands.ssh;

import opsbot.config.Kind;

import java.util.Optional;

/**
 * One of the bot-wide execution slots, for one step. The executor enters it only once the host is ready
 * (connected, a channel free there) and right before the command starts, so a dead host's connect
 * attempts or a busy host's queue never hold a slot that another host's command could use.
 */
public interface Gate {
    /** Waits for a slot; empty once it is held, otherwise why the step will not run (it waited too long). */
    Optional<ExecResult.NotRun> enter();

    /** Gives the slot back; only after a successful {@link #enter}. */
    void leave();

    /** The kind of command waiting: change commands go first, at the host as at the bot-wide slots. */
    default Kind kind() {
        return Kind.READ;
    }

    /** No limit: for a single caller (the CLI, tests). */
    Gate OPEN = new Gate() {
        public Optional<ExecResult.NotRun> enter() {
            return Optional.empty();
        }

        public void leave() {
        }
    };
}
