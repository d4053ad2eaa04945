package opsbot.bot.incident;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Denied change commands from strangers (anonymous nicks, accounts not in {@code people}), collapsed so that
 * nobody outside {@code people} can flood the incident log, and with it both networks' feeds. The chain is
 * append-only, so: per window, a stranger's first denial is logged as it is; further ones are counted and
 * written as one "×N more" entry when the window ends. At most {@link #FULL_PER_WINDOW} strangers get
 * entries of their own per window; denials from any more (a nick-rotating flood) are counted together into
 * one entry. Per window at most 2 × {@value #FULL_PER_WINDOW} + 1 entries, however many lines arrive;
 * nothing is dropped without a count.
 */
final class Denials {
    static final Duration WINDOW = Duration.ofMinutes(5);
    static final int FULL_PER_WINDOW = 5;
    /** Distinct strangers told apart in the shared count; beyond, the count still grows, the names do not. */
    private static final int TRACKED = 1000;
    private static final int NAMED = 3;

    /** What to write: an entry now, or nothing (counted). */
    record Decision(boolean logNow, boolean windowOpened) {
    }

    /** One entry to write when a window ends. */
    record Summary(Actor who, String text) {
    }

    private static final class Count {
        final Actor who;
        int more;
        String last;

        Count(Actor who) {
            this.who = who;
        }
    }

    private final Clock clock;
    private Instant windowEnd;
    private final Map<String, Count> own = new LinkedHashMap<>();
    private final Set<String> others = new HashSet<>();
    private final Set<String> otherNames = new LinkedHashSet<>();
    private final Set<String> otherPlaces = new LinkedHashSet<>();
    private int othersCount;
    private String othersNetwork;
    private String othersLast;

    Denials(Clock clock) {
        this.clock = clock;
    }

    /** Whether the window that is open has ended (its counts are then due). */
    synchronized boolean windowEnded() {
        return windowEnd != null && !clock.instant().isBefore(windowEnd);
    }

    /** A denial from the stranger {@code key} ({@code who}, for the entry); {@code line} is what they typed. */
    synchronized Decision denied(String key, Actor who, String line) {
        boolean opened = false;
        if (windowEnd == null) {
            windowEnd = clock.instant().plus(WINDOW);
            opened = true;
        }
        Count c = own.get(key);
        if (c != null) {
            c.more++;
            c.last = line;
            return new Decision(false, opened);
        }
        if (own.size() < FULL_PER_WINDOW) {
            own.put(key, new Count(who));
            return new Decision(true, opened);
        }
        othersCount++;
        othersLast = line;
        othersNetwork = othersNetwork == null || othersNetwork.equals(who.network()) ? who.network() : "several networks";
        if (others.size() < TRACKED) others.add(key);
        if (otherNames.size() < NAMED) otherNames.add(who.person());
        if (otherPlaces.size() < NAMED) otherPlaces.add(who.place());
        return new Decision(false, opened);
    }

    /** Ends the window: the entries that sum it up (none when nothing was counted), and a fresh window. */
    synchronized List<Summary> endWindow() {
        List<Summary> out = new ArrayList<>();
        String within = "within " + WINDOW.toMinutes() + "m";
        for (Count c : own.values()) {
            if (c.more > 0) out.add(new Summary(c.who, "×" + c.more + " more " + within + " (last: " + c.last + ")"));
        }
        if (othersCount > 0) {
            String senders = others.size() >= TRACKED ? TRACKED + "+" : Integer.toString(others.size());
            out.add(new Summary(new Actor("unknown senders", "several networks".equals(othersNetwork) ? null
                    : othersNetwork, String.join(", ", otherPlaces)),
                    "×" + othersCount + " " + within + " from " + senders + " more senders not in people (e.g. "
                            + String.join(", ", otherNames) + "; last: " + othersLast + ")"));
        }
        windowEnd = null;
        own.clear();
        others.clear();
        otherNames.clear();
        otherPlaces.clear();
        othersCount = 0;
        othersNetwork = null;
        othersLast = null;
        return out;
    }
}
