package opsbot.config;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.time.Duration;

/**
 * One step of a {@link RunbookSpec}. In YAML each step is a mapping with exactly one of {@code run},
 * {@code wait}, {@code until} or {@code ask} (plus that kind's own keys), or the plain word {@code report}.
 * Texts may hold placeholders ({@link RunbookSpec#PLACEHOLDER}); the bot fills them before binding.
 */
public sealed interface RunbookStep {
    /**
     * A declared command, written as typed in chat: {@code srv {host} stop}.
     *
     * @param line              the command line; its first word is a declared command's name or alias
     * @param continueOnFailure a failure (or a dead host) is recorded and the runbook goes on
     * @param expectDisconnect  a dropped connection counts as success (a reboot)
     */
    record Run(String line, boolean continueOnFailure, boolean expectDisconnect) implements RunbookStep {
        /** The command word (first word of the line), as written. */
        public String command() {
            String s = line.strip();
            int sp = s.indexOf(' ');
            return sp < 0 ? s : s.substring(0, sp);
        }
    }

    /** Pause the runbook durably for this long (the rest is scheduled). */
    record Wait(Duration duration) implements RunbookStep {
    }

    /**
     * Poll until a condition holds, or fail the step after {@code atMost}.
     *
     * @param on    a host name, or a placeholder such as {@code {host}} or {@code {host.pair}}
     * @param every time between tries (default 1m)
     * @param atMost give up after this long (default 60m)
     */
    record Until(Condition condition, String on, Duration every, Duration atMost) implements RunbookStep {
        public static final Duration DEFAULT_EVERY = Duration.ofMinutes(1);
        public static final Duration DEFAULT_AT_MOST = Duration.ofMinutes(60);

        public Until {
            every = every == null ? DEFAULT_EVERY : every;
            atMost = atMost == null ? DEFAULT_AT_MOST : atMost;
        }
    }

    /** Pause, mention the asker with this question; {@code !y} goes on, {@code !cancel} stops. */
    record Ask(String question) implements RunbookStep {
    }

    /** A closing summary line: every step with its outcome. */
    record Report() implements RunbookStep {
    }

    /** What an {@link Until} step waits for. */
    enum Condition {
        /** The host's sshd accepts a connection and the bot can log in. */
        @JsonProperty("ssh-reachable") SSH_REACHABLE;

        /** As written in the config. */
        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }
}
