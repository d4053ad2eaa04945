package opsbot.bot.followup;

import opsbot.commands.policy.Identity;

import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One follow-up as stored: a reminder ({@code !remind}) or a declared command to run later as its asker
 * ({@code !in}). Shown as {@code F<id>}: short, and typable on a phone.
 *
 * @param asker      who asked, as {@link Identity#key()}: the follow-up acts as them, checked again when it fires
 * @param person     their configured name when they asked, or null
 * @param nick       their nick when they asked (where to write when the network knows no better)
 * @param place      the channel or room it was asked in; null for a private message
 * @param text       the reminder's text, or the command line
 * @param incidentId the incident active when it was asked (a reminder is logged there), or null
 * @param result     what happened (for the log and {@code !followups}), or null
 */
public record FollowUp(long id, Kind kind, Instant dueAt, Instant createdAt, String asker, String person, String nick,
                       String network, String place, String text, Long incidentId, State state, String result,
                       Instant firedAt) {
    public enum Kind {
        REMIND, COMMAND;

        String db() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Kind of(String db) {
            return valueOf(db.toUpperCase(Locale.ROOT));
        }
    }

    /** Stored by name in lower case: never rename one. */
    public enum State {
        /** Waiting for its time (a timer is armed). */
        PENDING,
        /** A command started and has not finished: found so at start, it is {@link #UNKNOWN}, never re-run. */
        RUNNING,
        DONE,
        CANCELLED,
        /** Fell due while the bot was down, later than the grace: waits for {@code !run} or {@code !cancel}. */
        MISSED,
        /** Was running when the bot stopped: whether it ran is not known; waits for {@code !run} or {@code !cancel}. */
        UNKNOWN;

        String db() {
            return name().toLowerCase(Locale.ROOT);
        }

        static State of(String db) {
            return valueOf(db.toUpperCase(Locale.ROOT));
        }
    }

    private static final Pattern ID = Pattern.compile("[Ff]?(\\d{1,15})");

    /** {@code F12} (also {@code f12} or {@code 12}) as an id; empty when it is not one. */
    public static Optional<Long> parseId(String word, boolean bareNumberToo) {
        Matcher m = ID.matcher(word.strip());
        if (!m.matches() || (!bareNumberToo && !Character.isLetter(word.strip().charAt(0)))) {
            return Optional.empty();
        }
        return Optional.of(Long.parseLong(m.group(1)));
    }

    public String tag() {
        return "F" + id;
    }

    /** The Quartz id of its timer. */
    String timerId() {
        return tag();
    }

    public Identity identity() {
        return Identity.fromKey(asker);
    }

    /** Who asked, for people: the configured name, else the nick. */
    public String who() {
        return person != null ? person : nick;
    }

    /** What it does, for people: {@code remind: check compute4} or {@code in: srv c4 start}. */
    public String what() {
        return (kind == Kind.REMIND ? "remind: " : "run: ") + text;
    }

    /** Where it was asked, for people: {@code irc #ops} or {@code irc private}. */
    public String where() {
        return network + " " + (place == null ? "private" : place);
    }
}
