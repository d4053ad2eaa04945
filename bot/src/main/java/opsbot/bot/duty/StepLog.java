package opsbot.bot.duty;

import opsbot.bot.alerts.PerMinute;
import opsbot.bot.dispatch.Toolbox;
import opsbot.bot.incident.Actor;
import opsbot.bot.incident.EntryKind;
import opsbot.bot.incident.Incident;
import opsbot.commands.model.Sanitize;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/**
 * Escalation into the active incident: a page repeated, sent to the secondary or to everyone, and a page digest, one
 * entry each, written in the transaction of the step (or digest), so the log says exactly the steps that were taken.
 * Only into an incident that is active: a page never opens one. At most {@link #PER_MINUTE} entries a minute, then one
 * saying the rest are not logged (a storm of pages must not flood the incident's feeds).
 */
final class StepLog {
    /** Entries per minute, at most. */
    static final int PER_MINUTE = 10;
    /** An entry's text, at most (the names of a big roster). */
    private static final int MAX_BYTES = 400;

    private final Toolbox tools;
    private final PerMinute budget = new PerMinute(PER_MINUTE);

    StepLog(Toolbox tools) {
        this.tools = tools;
    }

    /**
     * In the step's transaction: {@code text} into the active incident, if one is. True when an entry was written:
     * wake the feeds ({@link #written}) once the transaction committed.
     */
    boolean log(Connection db, String text) throws SQLException {
        Optional<Incident> active = tools.incidents().activeIn(db);
        if (active.isEmpty()) return false;
        PerMinute.Verdict v = budget.spend("pages", tools.clock().instant());
        if (v == PerMinute.Verdict.NO) return false;
        tools.incidents().logIn(db, active.get(), EntryKind.NOTE, Actor.bot(), v == PerMinute.Verdict.LAST
                ? "duty: more pages this minute are not logged one by one; !alerts lists the alerts"
                : Sanitize.capBytes(text, MAX_BYTES));
        return true;
    }

    /** After the commit of a transaction that wrote an entry: its feeds' senders see it. */
    void written() {
        tools.incidents().wakeFeeds();
    }

    /** {@code A12 unacknowledged after 20 min: paged the secondary bob}, or null for the first mention (not logged). */
    static String step(Page p, Page.Step s, Roster.Turn t, List<String> who, String since) {
        boolean noSecondary = t.secondary() == null || t.secondary().equals(t.primary());
        String paged = switch (s) {
            case PRIMARY -> null;
            case REPEAT -> "paged the primary " + String.join(", ", who) + " again";
            case SECONDARY -> noSecondary ? "paged the primary " + String.join(", ", who) + " again (no secondary)"
                    : "paged the secondary " + String.join(", ", who);
            case EVERYONE -> "paged everyone (" + String.join(", ", who) + ")";
        };
        return paged == null ? null : p.alert() + " unacknowledged after " + since + ": " + paged;
    }

    /** {@code irc #ops: one line for 4 held pages of 3 alerts (A3, A4, A5), mentioning alice, bob}. */
    static String digest(String where, PageLines.Held h) {
        List<String> ids = h.ids().stream().limit(5).map(id -> "A" + id).toList();
        return where + ": one line for " + h.count() + " held page" + (h.count() == 1 ? "" : "s") + " of " + h.alerts()
                + " alert" + (h.alerts() == 1 ? "" : "s") + " (" + String.join(", ", ids) + (h.alerts() > ids.size() ? " …" : "")
                + "), mentioning " + String.join(", ", h.who());
    }
}
