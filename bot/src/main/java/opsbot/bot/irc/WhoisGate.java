package opsbot.bot.irc;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Lines whose sender's account the server did not vouch for, waiting for a WHOIS answer. Everything here is
 * fed from the IRC connection in the order the server sent it, and that order is what binds an answer to
 * the lines that asked: a WHOIS answer describes whoever holds the nick at the point in the stream where the
 * answer arrives. So it belongs to a waiting line only if
 * <ul>
 *   <li>no NICK or QUIT involving that nick came between the line and the answer (else the nick may have
 *       passed to someone else: the line is anonymous), and</li>
 *   <li>the answer's user@host is the line's (the bot does not see NICK and QUIT of people it shares no
 *       channel with, e.g. a private message: another connection holding the nick shows another user@host).</li>
 * </ul>
 * Anything else (no answer within the wait, "no such nick", a reconnect) makes the line anonymous. Lines
 * from one nick leave in the order they came, whatever their account turns out to be.
 *
 * <p>Bounded: at most {@code perNick} lines wait per nick, {@code total} over all; a line beyond is refused
 * (the caller tells its sender, once per backlog).
 */
final class WhoisGate {
    private static final Logger log = LoggerFactory.getLogger(WhoisGate.class);

    /** What became of a line offered to the gate. */
    enum Outcome {
        /** Resolved at once (its account was known and nothing from its nick was waiting). */
        DELIVERED,
        /** Waiting for the server's answer. */
        WAITING,
        /** Over a bound; the first such line of a backlog: worth telling its sender. */
        REFUSED,
        /** Over a bound, and the sender was already told during this backlog. */
        REFUSED_AGAIN
    }

    private final Consumer<String> ask;
    private final ScheduledExecutorService timer;
    private final Duration wait;
    private final int perNick;
    private final int total;
    /** Guarded by {@code this}, like the fields below: waiting lines by lower-cased nick. */
    private final Map<String, Waiting> byNick = new HashMap<>();
    private final Map<String, Answer> answers = new HashMap<>();
    private int waiting;
    private boolean fullTold;

    private record Line(String userHost, boolean tainted, Consumer<String> resolved) {
    }

    private static final class Waiting {
        final List<Line> lines = new ArrayList<>();
        boolean told;
    }

    /** A WHOIS answer being collected, numeric by numeric. */
    private static final class Answer {
        String userHost;
        String account;
    }

    /**
     * @param ask sends a WHOIS for a nick
     * @param wait how long an answer is waited for; after that the waiting lines are anonymous
     */
    WhoisGate(Consumer<String> ask, ScheduledExecutorService timer, Duration wait, int perNick, int total) {
        this.ask = ask;
        this.timer = timer;
        this.wait = wait;
        this.perNick = perNick;
        this.total = total;
    }

    private static String key(String nick) {
        return nick.toLowerCase(Locale.ROOT);
    }

    /**
     * A line from {@code nick} ({@code userHost} as its prefix said). {@code known} is an account the caller
     * may trust without asking, or null; {@code resolved} gets the account (null: anonymous), in order.
     */
    synchronized Outcome offer(String nick, String userHost, String known, Consumer<String> resolved) {
        String k = key(nick);
        Waiting w = byNick.get(k);
        if (w == null && known != null) {
            resolved.accept(known);
            return Outcome.DELIVERED;
        }
        if (w != null && w.lines.size() >= perNick) {
            if (w.told) return Outcome.REFUSED_AGAIN;
            w.told = true;
            return Outcome.REFUSED;
        }
        if (waiting >= total) {
            if (fullTold) return Outcome.REFUSED_AGAIN;
            fullTold = true;
            return Outcome.REFUSED;
        }
        if (w == null) {
            w = new Waiting();
            byNick.put(k, w);
            Waiting asked = w;
            ask.accept(nick);
            timer.schedule(() -> timedOut(k, asked), wait.toMillis(), TimeUnit.MILLISECONDS);
        }
        w.lines.add(new Line(userHost, false, resolved));
        waiting++;
        return Outcome.WAITING;
    }

    /** Someone took or left {@code nick} (NICK from or to it, QUIT): answers now may describe someone else. */
    synchronized void changed(String nick) {
        Waiting w = byNick.get(key(nick));
        if (w != null) {
            w.lines.replaceAll(l -> new Line(l.userHost(), true, l.resolved()));
        }
        answers.remove(key(nick));
    }

    /** 311 RPL_WHOISUSER. */
    synchronized void user(String nick, String user, String host) {
        answers.computeIfAbsent(key(nick), n -> new Answer()).userHost = user + "@" + host;
    }

    /** 330 RPL_WHOISACCOUNT. */
    synchronized void account(String nick, String account) {
        answers.computeIfAbsent(key(nick), n -> new Answer()).account = account;
    }

    /** 318 RPL_ENDOFWHOIS, or 401 ERR_NOSUCHNICK: the answer is complete. */
    synchronized void end(String nick) {
        Answer a = answers.remove(key(nick));
        Waiting w = byNick.remove(key(nick));
        if (w == null) {
            return; // nobody waits (Kitteh's own WHOIS of the bot, or an answer after the wait)
        }
        for (Line l : w.lines) {
            String account = null;
            if (a != null && !l.tainted() && l.userHost().equalsIgnoreCase(a.userHost)) {
                account = a.account;
            } else if (a != null && a.account != null) {
                log.info("irc: WHOIS {} says account {}, but not for the line that asked ({}); taken as anonymous",
                        nick, a.account, l.tainted() ? "the nick changed hands meanwhile" : "another user@host");
            }
            release(l, account);
        }
    }

    private synchronized void timedOut(String k, Waiting asked) {
        if (byNick.get(k) != asked) {
            return; // answered meanwhile
        }
        byNick.remove(k);
        answers.remove(k);
        log.info("irc: no WHOIS answer for {} within {} ms; its {} line(s) are anonymous", k, wait.toMillis(),
                asked.lines.size());
        asked.lines.forEach(l -> release(l, null));
    }

    /** The connection is gone: whatever waits is anonymous, and no answer can come any more. */
    synchronized void reset() {
        answers.clear();
        List<Waiting> all = List.copyOf(byNick.values());
        byNick.clear();
        all.forEach(w -> w.lines.forEach(l -> release(l, null)));
    }

    private void release(Line l, String account) {
        waiting--;
        if (waiting <= total / 2) {
            fullTold = false;
        }
        try {
            l.resolved().accept(account);
        } catch (RuntimeException e) {
            log.error("irc: delivering a line failed", e);
        }
    }
}
