package opsbot.bot.duty;

import opsbot.bot.outbox.Target;
import opsbot.config.DutyConfig;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * One alert's pages: how far its escalation went ({@code step}: how many mentions were said) and when the next is
 * due. The row is the truth; a timer only says when to look at it.
 *
 * @param about   what the alert is, as the pages say it ({@code backup imap3: missing file})
 * @param targets where its route says it, and so where it pages
 */
record Page(long id, long alertId, String severity, String about, List<Target> targets, int step, State state,
            Instant openedAt, Instant nextDue) {
    /** PAGING: steps to come; DONE: all said (everyone was mentioned); STOPPED: acknowledged or resolved. */
    enum State { PAGING, DONE, STOPPED }

    /** The steps, in order, each counted from when the alert opened. */
    enum Step {
        PRIMARY, REPEAT, SECONDARY, EVERYONE;

        /** Step number as stored (1 = the first mention). */
        int number() {
            return ordinal() + 1;
        }

        static Optional<Step> of(int number) {
            return number >= 1 && number <= values().length ? Optional.of(values()[number - 1]) : Optional.empty();
        }

        Instant due(Instant openedAt, DutyConfig d) {
            return switch (this) {
                case PRIMARY -> openedAt;
                case REPEAT -> openedAt.plus(d.repeatAfter());
                case SECONDARY -> openedAt.plus(d.secondaryAfter());
                case EVERYONE -> openedAt.plus(d.everyoneAfter());
            };
        }
    }

    Page {
        targets = List.copyOf(targets);
    }

    /** {@code A12}: the alert's short id, as chat shows it. */
    String alert() {
        return "A" + alertId;
    }

    /** The timer's id: {@code P12}. */
    String timerId() {
        return "P" + id;
    }

    /** The step due next, if any. */
    Optional<Step> next() {
        return state == State.PAGING ? Step.of(step + 1) : Optional.empty();
    }

    /** The outbox key of a step's line: stable, so a step is in the outbox once whatever fires it. */
    static String key(long pageId, int step) {
        return "page:" + pageId + ":" + step;
    }

    static Optional<Long> parseTimerId(String id) {
        if (id == null || id.length() < 2 || id.charAt(0) != 'P') return Optional.empty();
        try {
            return Optional.of(Long.parseLong(id.substring(1)));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
