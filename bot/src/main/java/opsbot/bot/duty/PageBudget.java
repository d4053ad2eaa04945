package opsbot.bot.duty;

import opsbot.bot.chat.ChatNetwork;
import opsbot.bot.chat.Message;
import opsbot.bot.dispatch.Toolbox;
import opsbot.bot.outbox.Item;
import opsbot.bot.outbox.Target;
import opsbot.bot.outbox.Window;
import opsbot.bot.schedule.Schedule;
import opsbot.commands.model.Sanitize;
import opsbot.config.Person;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Pages never flood: each channel or room gets at most {@code duty.pages-per-minute} page lines in any 60 seconds.
 * A step that fires past that budget is not said on its own line but HELD (a row written in the step's own
 * transaction: the step still counts as said, and the escalation goes on at its times). One timer per target
 * ({@code duty-digest}) fires when the minute has room, and ONE line then mentions everyone the held steps page,
 * each once, and sums them up ({@link PageDigest}). Held steps of an alert acknowledged, silenced or resolved
 * meanwhile are dropped by that transaction, so the digest never names them; when none are left it says nothing.
 *
 * <p>Exactly once: the digest's outbox row, the held rows marked DIGESTED and the digest's own place in the window
 * are one transaction, conditional on the held rows being the ones the line was rendered from; its key names the
 * oldest held row ({@code pages:812}), which is in no other digest. A lost timer (a crash between the step and the
 * arming) is armed again at start and by the minute's sweep. Every line, page or digest, is a DIRECT outbox row: it
 * never waits behind the broadcasts' budget.
 */
final class PageBudget {
    private static final Logger log = LoggerFactory.getLogger(PageBudget.class);
    /** The schedule's kind for digest timers; the id names the target ({@link #timerId}). */
    static final String KIND = "duty-digest";
    /** A digest line's size where the network has no line size (Matrix): a line, not an essay. */
    static final int MAX_BYTES = 400;
    /** The text after the mentions never gets less than this, however many people are mentioned. */
    private static final int MIN_TEXT = 80;
    /** Quartz's names are at most 200 characters. */
    private static final int ID_CHARS = 190;

    private final Toolbox tools;
    private final Schedule schedule;
    private final int perMinute;
    private final Function<String, Person> person;
    private final Function<String, ChatNetwork> network;
    /** The digest into the active incident. */
    private final StepLog stepLog;

    PageBudget(Toolbox tools, Schedule schedule, int perMinute, Function<String, Person> person,
               Function<String, ChatNetwork> network, StepLog stepLog) {
        this.stepLog = stepLog;
        this.tools = tools;
        this.schedule = schedule;
        this.perMinute = perMinute;
        this.person = person;
        this.network = network;
    }

    void install() {
        schedule.on(KIND, f -> target(f.id()).ifPresent(this::fire));
    }

    /**
     * In a step's transaction: its line to its target into the outbox when the target's page budget has room (and
     * counted), else held for the target's digest.
     *
     * @return null when said; else when the budget has room again (the digest's time)
     */
    Instant sayOrHold(Connection db, Item line, Page p, int step, List<Person> who) throws SQLException {
        Target t = line.target();
        Instant now = tools.clock().instant();
        Window w = PageLines.window(db, t, perMinute);
        if (w.free(now)) {
            if (!tools.outbox().enqueue(db, line)) log.error("duty: the outbox had {} already; not said again", line.key());
            PageLines.said(db, t, p, step, line.key(), who.stream().map(Person::name).toList(), now);
            return null;
        }
        PageLines.hold(db, t, p, step, who.stream().map(Person::name).toList(), now);
        return w.freeAt();
    }

    /** After the step's commit: a step held for {@code t}'s digest, due at {@code at}. */
    void held(Target t, Instant at) {
        tools.metrics().pagesHeld.labelValues(t.network()).inc();
        try {
            arm(t, at);
        } catch (RuntimeException e) {
            log.error("duty: cannot arm the page digest for {}; the minute's sweep does", t, e);
        }
    }

    /** Arms {@code t}'s digest at {@code at}, unless it is armed for then or earlier already (it looks again then). */
    private void arm(Target t, Instant at) {
        String id = timerId(t);
        Optional<Instant> next = schedule.next(KIND, id);
        if (next.isPresent() && !next.get().isAfter(at.plusSeconds(1))) return;
        schedule.at(KIND, id, at);
    }

    /**
     * The digest timer of {@code t} fired: when the budget has room, one line for every step still held, in one
     * transaction; early, it is armed for when there is room. A held set that changed while the line was rendered
     * (an ack, a new held step) is read and rendered again.
     */
    void fire(Target t) {
        for (int attempt = 0; attempt < 5; attempt++) {
            record Look(PageLines.Held held, Window window) {
            }
            Look look = tools.store().transaction("read the held pages", db ->
                    new Look(PageLines.held(db, t), PageLines.window(db, t, perMinute)));
            PageLines.Held h = look.held();
            if (h.isEmpty()) return; // acknowledged or resolved meanwhile, or said by another firing
            Instant now = tools.clock().instant();
            if (!look.window().free(now)) {
                arm(t, look.window().freeAt());
                return;
            }
            Message m = render(t, h, now);
            String key = "pages:" + h.firstId();
            boolean[] logged = {false};
            boolean said = tools.store().transaction("sum up the held pages", db -> {
                long[] tally = PageLines.tally(db, t);
                if (tally[0] != h.count() || tally[1] != h.lastId()) return false; // changed: render again
                Instant at = tools.clock().instant();
                if (!PageLines.window(db, t, perMinute).free(at)) return false;
                if (!tools.outbox().enqueue(db, Item.of(t, key, m))) {
                    log.error("duty: the outbox had {} already; not said again", key);
                }
                int marked = PageLines.digested(db, t, h.lastId(), key);
                if (marked != h.count()) throw new SQLException("the digest read " + h.count() + " held pages but marked " + marked);
                PageLines.digestSaid(db, t, key, at);
                logged[0] = stepLog.log(db, StepLog.digest(t.network() + " " + t.place(), h));
                return true;
            });
            if (!said) continue;
            if (logged[0]) stepLog.written();
            tools.outbox().wake(t);
            log.info("duty: {}: {} held pages of {} alerts summed up in one line ({}), mentioning {}", t, h.count(),
                    h.alerts(), key, h.who());
            rearm(t); // steps held since this read
            return;
        }
        log.warn("duty: {}: the held pages kept changing; the digest looks again in a few seconds", t);
        schedule.at(KIND, timerId(t), tools.clock().instant().plusSeconds(5));
    }

    /**
     * The digest line: everyone the held steps page, each once, rendered by the network now, then the sum. The
     * mentions get what the line has left after {@link #MIN_TEXT}: past that, the first people in the order they were
     * held (the primary first) and how many more ({@code alice, bob +7: }), so the line stays one line.
     */
    private Message render(Target t, PageLines.Held h, Instant now) {
        ChatNetwork net = network.apply(t.network());
        List<Person> who = h.who().stream().map(person).toList();
        int line = net == null ? 0 : net.lineBytes(t.place());
        int max = line > 0 ? Math.min(line, MAX_BYTES) : MAX_BYTES;
        if (who.isEmpty()) return Message.plain(PageDigest.text(h, Duration.between(h.oldest(), now), max));
        int shown = who.size();
        int prefix = prefix(net, t, who, shown);
        while (shown > 1 && prefix > max - MIN_TEXT) prefix = prefix(net, t, who, --shown); // a roster is a few dozen
        if (shown < who.size()) {
            log.info("duty: {}: the digest mentions {} of the {} people its held pages page (no room on the line for more)",
                    t, shown, who.size());
        }
        String text = PageDigest.text(h, Duration.between(h.oldest(), now), Math.max(MIN_TEXT, max - prefix));
        return Mentions.render(net, t.network(), who.subList(0, shown), who.size() - shown, text);
    }

    /** The bytes of the mentions of the first {@code shown} of {@code who} (and {@code +N} for the others). */
    private static int prefix(ChatNetwork net, Target t, List<Person> who, int shown) {
        return Sanitize.utf8Length(Mentions.render(net, t.network(), who.subList(0, shown), who.size() - shown, "").plain());
    }

    /** A digest timer for every target with held steps that has none (at start, and every minute). */
    void rearm() {
        Set<String> armed = schedule.ids(KIND);
        List<Target> held = tools.store().transaction("read the held pages", PageLines::heldTargets);
        for (Target t : held) {
            if (!armed.contains(timerId(t))) {
                log.info("duty: {} has held pages without a digest timer; armed again", t);
                try {
                    rearm(t);
                } catch (RuntimeException e) {
                    log.error("duty: cannot arm the page digest for {}; the next sweep tries again", t, e);
                }
            }
        }
    }

    private void rearm(Target t) {
        Window w = tools.store().transaction("read the page budget", db ->
                PageLines.tally(db, t)[0] == 0 ? null : PageLines.window(db, t, perMinute));
        if (w == null) return;
        Instant now = tools.clock().instant();
        Instant free = w.freeAt();
        arm(t, free == null || free.isBefore(now) ? now : free);
    }

    /** {@code irc #ops}; a place too long for a timer's name is named by its hash. */
    static String timerId(Target t) {
        String id = t.network() + " " + t.place();
        if (id.length() <= ID_CHARS) return id;
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(t.place().getBytes(StandardCharsets.UTF_8));
            return t.network() + " #" + HexFormat.of().formatHex(d, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The target a timer names: one of those with held steps (none held: nothing to say). */
    private Optional<Target> target(String id) {
        List<Target> held = tools.store().transaction("read the held pages", PageLines::heldTargets);
        return held.stream().filter(t -> timerId(t).equals(id)).findFirst();
    }
}
