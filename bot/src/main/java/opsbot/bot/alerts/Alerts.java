package opsbot.bot.alerts;

import opsbot.bot.chat.Message;
import opsbot.bot.dispatch.Dispatcher;
import opsbot.bot.dispatch.Extension;
import opsbot.bot.dispatch.Request;
import opsbot.bot.dispatch.Toolbox;
import opsbot.bot.incident.Actor;
import opsbot.bot.incident.EntryKind;
import opsbot.bot.incident.Incident;
import opsbot.bot.incident.Incidents;
import opsbot.bot.outbox.Item;
import opsbot.bot.store.Forgetting;
import opsbot.bot.outbox.Target;
import opsbot.bot.schedule.Schedule;
import opsbot.bot.schedule.Times;
import opsbot.commands.model.Builtin;
import opsbot.commands.model.Sanitize;
import opsbot.commands.policy.Identity;
import opsbot.config.Durations;
import opsbot.config.ExpectedSpec;
import opsbot.config.IntakeConfig;
import opsbot.config.OpsbotConfig;
import opsbot.config.Person;
import opsbot.config.RouteSpec;
import opsbot.config.Severity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Alerts: events folded into state, said in the channels and rooms their routes name, silenced, and watched for
 * missing reports. The intake calls {@link #fold} inside the transaction that stores each event, so the event, the
 * alert's change, its chat lines (outbox rows) and its incident entry commit together or not at all.
 *
 * <p>What is said: the opening of an alert (a new key, or a resolved key firing again), a severity increase at
 * once, an acknowledgement and a resolution once each; a repeat within {@code intake.dedup-window} of the last line
 * is only counted, after it one "still firing" line (none once acknowledged). A redelivered Alertmanager group or
 * a repeated PagerDuty {@code dedup_key} therefore says nothing new. Every line's outbox key names the alert and
 * its line number ({@code alert:12:open:1}): a state change is enqueued once per target.
 *
 * <p>A silenced alert is stored and counted but not said, and its listeners are not told (nobody is paged); if it
 * is still firing when the silence ends, its next event opens it out loud.
 */
public final class Alerts implements Folder, AlertBook, Extension {
    private static final Logger log = LoggerFactory.getLogger(Alerts.class);
    /** The schedule's kind for silence ends; the id is the silence's tag ({@code S3}). */
    public static final String SILENCE = "silence";
    /** The schedule's kind for expected reports; the id is the source's name. */
    public static final String EXPECTED = "expected";
    /** The schedule's kind for the minute's check that every silence and expected source has its timer. */
    static final String SWEEP = "alerts-sweep";
    /** The missing-report alert's format and key. */
    public static final String EXPECTED_FORMAT = "expected";
    public static final String MISSING_KEY = "missing-report";
    /** {@code !alerts} lists this many at most (then says how many more). */
    static final int LIST_LIMIT = 30;
    /** {@code !alerts} shows alerts resolved this recently. */
    static final Duration RECENT = Duration.ofHours(24);
    /** Incident entries per source and minute, at most (a storm must not flood the incident's feeds). */
    static final int INCIDENT_PER_MINUTE = 10;
    /** A silence lasts at least this, at most {@link #MAX_SILENCE}. */
    static final Duration MIN_SILENCE = Duration.ofMinutes(1);
    static final Duration MAX_SILENCE = Duration.ofDays(30);
    /** The summary in an {@code !alerts} line, at most. */
    static final int LIST_SUMMARY = 120;

    private final OpsbotConfig cfg;
    private final IntakeConfig intake;
    private final Toolbox tools;
    private final Schedule schedule;
    private final List<AlertListener> listeners = new CopyOnWriteArrayList<>();
    private final Map<String, Expected> expected = new LinkedHashMap<>();
    private final PerMinute incidentBudget = new PerMinute(INCIDENT_PER_MINUTE);
    /** Where lines go: the outbox, in the caller's transaction (tests look at the items on their way). */
    interface Enqueue {
        boolean enqueue(Connection db, Item item) throws SQLException;
    }

    private volatile Enqueue enqueue;

    Alerts(OpsbotConfig cfg, Toolbox tools, Schedule schedule) {
        this.cfg = cfg;
        this.intake = cfg.intake() != null ? cfg.intake() : new IntakeConfig(null, null, null, null, null, null, null, null);
        this.tools = tools;
        this.schedule = schedule;
        this.enqueue = tools.outbox()::enqueue;
        for (ExpectedSpec s : intake.expected()) {
            expected.put(s.source(), new Expected(s, s.zone(cfg.bot())));
        }
    }

    /**
     * Registers the timers' handlers and the chat commands (before the schedule starts); after it started, arms
     * every expected source and every active silence that has no timer, and checks so every minute.
     */
    public static Alerts install(OpsbotConfig cfg, Dispatcher dispatcher, Schedule schedule) {
        Alerts a = new Alerts(cfg, dispatcher.toolbox(), schedule);
        schedule.on(SILENCE, a::silenceEnds);
        schedule.on(EXPECTED, f -> a.look(f.id()));
        schedule.on(SWEEP, f -> {
            a.rearm(false);
            a.prune();
        });
        schedule.afterStart(() -> {
            a.rearm(true);
            schedule.every(SWEEP, "timers", Duration.ofMinutes(1));
        });
        dispatcher.extend(a);
        return a;
    }

    /** Tests: every item on its way to the outbox is shown to {@code seen} first. */
    void watchItems(java.util.function.Consumer<Item> seen) {
        Enqueue to = tools.outbox()::enqueue;
        enqueue = (db, item) -> {
            boolean added = to.enqueue(db, item);
            if (added) seen.accept(item);
            return added;
        };
    }

    // --- AlertBook -------------------------------------------------------------------------------------------

    @Override
    public void listen(AlertListener l) {
        listeners.add(l);
    }

    @Override
    public Optional<Alert> find(Connection db, String shortId) throws SQLException {
        Optional<Long> id = AlertRow.parseId(shortId);
        if (id.isEmpty()) return Optional.empty();
        return AlertRow.find(db, id.get()).map(this::alert);
    }

    /**
     * {@inheritDoc} Said in its places; not written into the incident here: the one who acknowledges in chat (the
     * duty package) logs that, as that person.
     */
    @Override
    public Optional<Alert> acknowledge(Connection db, long id, String by, Instant at) throws SQLException {
        return acknowledge(db, id, by, at, false);
    }

    /** {@code logged}: also into the incident (an acknowledge that came as an event, by {@code intake:SOURCE}). */
    private Optional<Alert> acknowledge(Connection db, long id, String by, Instant at, boolean logged) throws SQLException {
        Optional<AlertRow> row = AlertRow.find(db, id);
        if (row.isEmpty() || row.get().state() != Alert.State.OPEN) return Optional.empty();
        AlertRow a = row.get().acked(by, at);
        Set<Target> woken = new HashSet<>();
        if (a.told()) {
            a = say(db, a, "ack", "[" + a.shortId() + "] acknowledged by " + nameOf(by) + ": ", a.summary(), "", woken);
            if (logged) incident(db, a, "acknowledged by " + nameOf(by) + ": " + plain(a), false);
            for (AlertListener l : listeners) l.acknowledged(db, alert(a));
        }
        a.save(db);
        woken.forEach(tools.outbox()::wake);
        return Optional.of(alert(a));
    }

    // --- folding ---------------------------------------------------------------------------------------------

    @Override
    public void fold(Connection db, long eventId, Event e) throws SQLException {
        Instant now = tools.clock().instant();
        // Woken now, while the caller's transaction holds the store: a sender reads its rows through the store,
        // so it sees them once they are committed (and nothing, harmlessly, if they are rolled back).
        Set<Target> woken = new HashSet<>();
        if (!e.format().equals(EXPECTED_FORMAT) && expected.containsKey(e.source())) {
            reported(db, eventId, e.source(), now, woken);
        }
        switch (e.action()) {
            case FIRING -> firing(db, eventId, e, now, woken);
            case ACKNOWLEDGED -> {
                Optional<AlertRow> live = AlertRow.live(db, e.source(), e.key());
                if (live.isPresent() && live.get().state() == Alert.State.OPEN) {
                    acknowledge(db, live.get().id(), "intake:" + e.source(), now, true);
                } else {
                    suppressed(e.source(), "dedup");
                }
            }
            case RESOLVED -> {
                Optional<AlertRow> live = AlertRow.live(db, e.source(), e.key());
                if (live.isPresent()) {
                    resolve(db, live.get(), eventId, now, null, woken);
                } else {
                    suppressed(e.source(), "dedup"); // unknown or already resolved: nothing changes, nothing is said
                }
            }
        }
        woken.forEach(tools.outbox()::wake);
    }

    private void firing(Connection db, long eventId, Event e, Instant now, Set<Target> woken) throws SQLException {
        Optional<AlertRow> live = AlertRow.live(db, e.source(), e.key());
        Silence silence = silencing(db, e, now);
        if (live.isEmpty()) {
            AlertRow a = AlertRow.insert(db, e, eventId, now, false, silence == null ? null : silence.id());
            if (silence != null) {
                suppressed(e.source(), "silenced");
                return;
            }
            opened(db, a, now, woken);
            return;
        }
        AlertRow before = live.get();
        Severity sev = e.severity().atLeast(before.severity()) ? e.severity() : before.severity();
        AlertRow a = before.fired(e, eventId, now, sev, silence == null ? null : silence.id());
        if (silence != null) {
            a.save(db);
            suppressed(e.source(), "silenced");
            return;
        }
        if (!a.told()) { // held by a silence that has ended since: said now, as it opens
            opened(db, a, now, woken);
            return;
        }
        ZoneId zone = cfg.bot().timezone();
        if (sev.compareTo(before.severity()) > 0) {
            a = say(db, a, "raised", "[" + a.shortId() + "] " + AlertText.upper(sev) + " (was " + before.severity().word()
                    + ") " + AlertText.subject(a), a.summary(), " · " + AlertText.count(a, zone, now), woken);
            incident(db, a, "now " + sev.word() + ": " + plain(a), true);
            for (AlertListener l : listeners) l.raised(db, alert(a));
        } else if (a.state() == Alert.State.OPEN && (a.saidAt() == null
                || !now.isBefore(a.saidAt().plus(intake.dedupWindow())))) {
            a = say(db, a, "still", "[" + a.shortId() + "] still firing: " + AlertText.upper(sev) + " "
                    + AlertText.subject(a), a.summary(), " · " + AlertText.count(a, zone, now), woken);
        } else {
            suppressed(e.source(), "dedup");
        }
        a.save(db);
    }

    /** Says an alert's opening, tells the listeners, and writes it into the incident. */
    private void opened(Connection db, AlertRow row, Instant now, Set<Target> woken) throws SQLException {
        AlertRow a = row.announced();
        a = say(db, a, "open", "[" + a.shortId() + "] " + AlertText.upper(a.severity()) + " " + AlertText.subject(a),
                a.summary(), a.fired() > 1 ? " · " + AlertText.count(a, cfg.bot().timezone(), now) : "", woken);
        incident(db, a, plain(a), true);
        a.save(db);
        for (AlertListener l : listeners) l.opened(db, alert(a));
    }

    /** Resolves a live alert; {@code why} replaces its summary in the line (a missing report that came). */
    private void resolve(Connection db, AlertRow live, long eventId, Instant now, String why, Set<Target> woken)
            throws SQLException {
        AlertRow a = live.resolved(now, eventId);
        if (a.told()) {
            String tail = " · after " + AlertText.took(Duration.between(a.firstAt(), now))
                    + (a.fired() > 1 ? ", ×" + a.fired() : "");
            a = why != null ? say(db, a, "resolved", "[" + a.shortId() + "] resolved: ", why, tail, woken)
                    : say(db, a, "resolved", "[" + a.shortId() + "] resolved: " + AlertText.subject(a), a.summary(), tail, woken);
            incident(db, a, "resolved: " + (why != null ? why : plain(a)), false);
            a.save(db);
            for (AlertListener l : listeners) l.resolved(db, alert(a));
        } else {
            a.save(db);
        }
    }

    /**
     * One line about {@code a} in every place its routes name (cut to fit each), as outbox rows with the route's
     * line budget; the row's line count goes up. Unrouted: nothing is said, and it is counted so.
     */
    private AlertRow say(Connection db, AlertRow a, String what, String head, String summary, String tail,
                         Set<Target> woken) throws SQLException {
        AlertRow said = a.said(tools.clock().instant());
        Map<Target, Integer> to = targets(a.source(), a.host(), a.severity());
        if (to.isEmpty()) {
            suppressed(a.source(), "unrouted");
            return said;
        }
        String s = AlertText.oneLine(summary); // head and tail are the bot's words, their host already made one line
        String label = AlertText.label(a.host(), a.summary());
        for (Map.Entry<Target, Integer> t : to.entrySet()) {
            String line = AlertText.fit(t.getKey(), head, s, tail);
            // A digest counts a resolve or an ack as such ("14 resolved"), not as one more error.
            String kind = what.equals("resolved") ? "resolved" : what.equals("ack") ? "acknowledged" : a.severity().word();
            Item.Budget budget = new Item.Budget(a.source(), label, kind, t.getValue());
            enqueue.enqueue(db, new Item(t.getKey(), "alert:" + a.id() + ":" + what + ":" + said.seq(),
                    Message.plain(line), null, null, null, budget));
            woken.add(t.getKey());
        }
        tools.metrics().eventsBroadcast.labelValues(a.source()).inc();
        return said;
    }

    /**
     * Where an alert of {@code source} about {@code host} at {@code sev} is said: every place of every matching
     * route, each with the smallest line budget of the routes that name it.
     */
    Map<Target, Integer> targets(String source, String host, Severity sev) {
        Map<Target, Integer> out = new LinkedHashMap<>();
        for (RouteSpec r : intake.routes()) {
            if (!r.matches(source, host, sev)) continue;
            for (String place : r.to()) {
                for (Target t : places(place)) out.merge(t, r.linesPerMinute(), Math::min);
            }
        }
        return out;
    }

    /** A route's place as the networks know it: a channel of {@code irc.channels}, a room of {@code matrix.rooms}. */
    private List<Target> places(String place) {
        List<Target> out = new ArrayList<>(2);
        if (cfg.irc() != null) {
            cfg.irc().channels().stream().filter(ch -> ch.equalsIgnoreCase(place)).findFirst()
                    .ifPresent(ch -> out.add(new Target("irc", ch)));
        }
        if (cfg.matrix() != null) {
            cfg.matrix().rooms().stream().filter(r -> r.equalsIgnoreCase(place)).findFirst()
                    .ifPresent(r -> out.add(new Target("matrix", r)));
        }
        return out;
    }

    /**
     * Into the active incident as {@code intake:SOURCE}, when the alert is at or above {@code incident-at}; at or
     * above {@code open-incident-at}, an {@code opening} change opens one when none is active. At most
     * {@link #INCIDENT_PER_MINUTE} entries per source and minute, then one entry saying the rest are in !alerts.
     */
    private void incident(Connection db, AlertRow a, String text, boolean opening) throws SQLException {
        boolean opens = opening && a.severity().atLeast(intake.openIncidentAt());
        if (!a.severity().atLeast(intake.incidentAt()) && !opens) return;
        PerMinute.Verdict v = incidentBudget.spend(a.source(), tools.clock().instant());
        if (v == PerMinute.Verdict.NO) return;
        Incidents incidents = tools.incidents();
        Actor actor = new Actor("intake:" + a.source(), "system", null);
        Optional<Incident> active = incidents.activeIn(db);
        if (active.isEmpty() && opens) {
            active = Optional.of(incidents.openIn(db, Sanitize.capBytes(plain(a), 400), actor));
        }
        if (active.isEmpty()) return;
        incidents.logIn(db, active.get(), EntryKind.NOTE, actor, v == PerMinute.Verdict.LAST
                ? "more alerts from " + a.source() + " this minute are not logged one by one; !alerts lists them"
                : "[" + a.shortId() + "] " + text);
        incidents.wakeFeeds(); // its senders read through the store: they see the rows once this commits
    }

    /** {@code ERROR backup imap3: summary}, one line, for the incident log. */
    private static String plain(AlertRow a) {
        return AlertText.upper(a.severity()) + " " + AlertText.subject(a) + Sanitize.capBytes(AlertText.oneLine(a.summary()), 1000);
    }

    private void suppressed(String source, String reason) {
        tools.metrics().eventsSuppressed.labelValues(source, reason).inc();
    }

    /** The first active silence that matches {@code e}, or null. */
    private Silence silencing(Connection db, Event e, Instant now) throws SQLException {
        for (Silence s : Silence.active(db, now)) {
            if (s.matches(e, tools.inventory())) return s;
        }
        return null;
    }

    /** A watched source reported: its missing-report alert, if one is live, resolves ("backup reports again"). */
    private void reported(Connection db, long eventId, String source, Instant now, Set<Target> woken) throws SQLException {
        if (!Expected.seen(db, source, now)) return;
        Optional<AlertRow> missing = AlertRow.live(db, source, MISSING_KEY);
        if (missing.isPresent()) {
            resolve(db, missing.get(), eventId, now, source + " reports again", woken);
        }
    }

    private Alert alert(AlertRow a) {
        return new Alert(a.id(), a.source(), a.key(), a.severity(), a.host(), a.summary(), a.state(), a.firstAt(),
                a.lastAt(), a.fired(), List.copyOf(targets(a.source(), a.host(), a.severity()).keySet()), a.ackedBy());
    }

    /** An identity key as people read it: the person's name, else the account; other actors as they are. */
    private String nameOf(String by) {
        if (by == null) return "?";
        try {
            Identity who = Identity.fromKey(by);
            Person p = tools.people().find(who);
            if (p != null) return p.name();
            return who.account() != null ? who.account() : by;
        } catch (IllegalArgumentException e) {
            return by; // intake:backup, a PagerDuty acknowledge
        }
    }

    // --- timers: expected reports and silence ends -----------------------------------------------------------

    /**
     * Every expected source watched (a new one from now) with a timer at its next look, timers of sources no
     * longer expected removed, and every active silence with a timer at its end. {@code all}: at start, when
     * every expected timer is set again (the config may have changed); else only what has no timer.
     */
    /** The tables stay bounded (see {@link Retention}): hourly from the minute's sweep, in batches. */
    private final Forgetting old = new Forgetting("events, alerts and silences older than " + Retention.KEEP.toDays()
            + " days", Retention.BATCH, Duration.ofHours(1), Retention::prune);

    void prune() {
        try {
            old.run(tools.store(), tools.clock().instant());
        } catch (RuntimeException e) {
            log.error("intake: cannot forget old events and alerts; trying again in an hour", e);
        }
    }

    void rearm(boolean all) {
        Instant now = tools.clock().instant();
        Set<String> armed = schedule.ids(EXPECTED);
        Map<String, Instant> looks = tools.store().transaction("watch the expected reports", db -> {
            Map<String, Instant> out = new LinkedHashMap<>();
            for (Expected x : expected.values()) {
                if (all || !armed.contains(x.spec().source())) out.put(x.spec().source(), x.nextLook(x.arm(db, now), now));
            }
            return out;
        });
        looks.forEach((source, at) -> schedule.at(EXPECTED, source, at));
        for (String id : armed) {
            if (!expected.containsKey(id)) schedule.cancel(EXPECTED, id);
        }
        if (all) {
            // A source that is late already at start is said now, not at its next deadline.
            expected.keySet().forEach(this::look);
        }
        Set<String> silences = schedule.ids(SILENCE);
        List<long[]> ends = tools.store().transaction("read the silences", Silence::activeEnds);
        for (long[] s : ends) {
            if (!silences.contains("S" + s[0])) schedule.at(SILENCE, "S" + s[0], Instant.ofEpochMilli(s[1]));
        }
    }

    /**
     * Looks at an expected source now: when its deadline passed without a report, and that miss was not said
     * yet, a missing-report event is folded (said through the source's routes); then the timer is set at the
     * next look. The row decides; the timer only says when to look.
     */
    void look(String source) {
        Expected x = expected.get(source);
        if (x == null) {
            schedule.cancel(EXPECTED, source);
            return;
        }
        Instant now = tools.clock().instant();
        Instant next = tools.store().transaction("look at an expected report", db -> {
            Expected.Row row = x.arm(db, now);
            Optional<Instant> deadline = x.lastDeadline(row, now);
            if (deadline.isPresent() && x.missed(row, deadline.get()) && Expected.markMissed(db, source, deadline.get())) {
                ZoneId zone = x.zone();
                String seen = row.lastSeen() == null ? "never seen (watched since " + AlertText.when(row.armedAt(), zone, now) + ")"
                        : "last seen " + AlertText.when(row.lastSeen(), zone, now);
                String summary = "missing report from " + source + " (" + x.expectation() + ", " + seen + ")";
                log.info("expected report: {}", summary);
                fold(db, 0, new Event(source, EXPECTED_FORMAT, Event.Action.FIRING, x.spec().severity(), MISSING_KEY,
                        null, summary, "deadline " + Times.both(deadline.get(), zone, now), now));
            }
            return x.nextLook(Expected.find(db, source).orElse(row), now);
        });
        schedule.at(EXPECTED, source, next);
    }

    void silenceEnds(Schedule.Firing f) {
        Optional<Long> id = Silence.parseId(f.id());
        if (id.isEmpty()) return;
        Instant now = tools.clock().instant();
        Optional<Target> said = tools.store().transaction("end a silence", db -> {
            Optional<Silence> s = Silence.find(db, id.get());
            if (s.isEmpty() || s.get().state() != Silence.State.ACTIVE) return Optional.empty();
            if (s.get().until().isAfter(now)) {
                return Optional.<Target>empty(); // re-armed below
            }
            if (!Silence.end(db, id.get(), Silence.State.EXPIRED, now, "opsbot")) return Optional.empty();
            Silence x = s.get();
            int held = heldBy(db, x.id());
            String line = "silence " + x.tag() + " (" + x.describe() + ") expired"
                    + (held > 0 ? "; " + held + " alert" + (held == 1 ? "" : "s") + " it held still open: !alerts" : "");
            Target t = new Target(x.network(), x.place());
            enqueue.enqueue(db, Item.of(t, "silence:" + x.id() + ":expired", Message.plain(line)));
            Optional<Incident> active = tools.incidents().activeIn(db);
            if (active.isPresent()) tools.incidents().logIn(db, active.get(), EntryKind.NOTE, Actor.bot(), line);
            return Optional.of(t);
        });
        said.ifPresent(t -> {
            tools.outbox().wake(t);
            tools.incidents().wakeFeeds();
        });
        tools.store().transaction("read a silence", db -> Silence.find(db, id.get())).ifPresent(s -> {
            if (s.state() == Silence.State.ACTIVE && s.until().isAfter(now)) schedule.at(SILENCE, s.tag(), s.until());
        });
    }

    /** Live alerts a silence kept quiet that were never said. */
    private static int heldBy(Connection db, long silence) throws SQLException {
        try (PreparedStatement p = db.prepareStatement(
                "SELECT COUNT(*) FROM alerts WHERE silenced_by=? AND told=FALSE AND state<>'RESOLVED'")) {
            p.setLong(1, silence);
            try (ResultSet r = p.executeQuery()) {
                r.next();
                return r.getInt(1);
            }
        }
    }

    // --- chat ------------------------------------------------------------------------------------------------

    @Override
    public Set<Builtin> answers() {
        return Set.of(Builtin.ALERTS, Builtin.SILENCE, Builtin.UNSILENCE);
    }

    @Override
    public List<String> answer(Request r) {
        try {
            return switch (r.builtin()) {
                case ALERTS -> r.args().isEmpty() ? list(r) : show(r);
                case SILENCE -> silence(r);
                case UNSILENCE -> unsilence(r);
                default -> List.of(r.builtin().word + ": not an alerts command");
            };
        } catch (IllegalArgumentException e) {
            return List.of(e.getMessage());
        }
    }

    private ZoneId zoneOf(Request r) {
        return r.caller().person() != null ? r.caller().person().zone(cfg.bot()) : cfg.bot().timezone();
    }

    /** {@code !alerts}: a count line, active silences, then open and recently resolved alerts, newest first. */
    private List<String> list(Request r) {
        Instant now = tools.clock().instant();
        ZoneId zone = zoneOf(r);
        record View(int[] counts, List<AlertRow> rows, List<Silence> silences) {
        }
        View v = tools.store().transaction("list alerts", db -> new View(AlertRow.counts(db, now.minus(RECENT)),
                AlertRow.recent(db, now.minus(RECENT), LIST_LIMIT), Silence.active(db, now)));
        List<String> out = new ArrayList<>();
        out.add(v.counts()[0] + " open, " + v.counts()[1] + " resolved in the last " + RECENT.toHours() + "h"
                + (v.silences().isEmpty() ? "" : "; " + v.silences().size() + " silence" + (v.silences().size() == 1 ? "" : "s"))
                + (v.rows().isEmpty() ? "" : " (!alerts show A12 for one)"));
        for (Silence s : v.silences()) {
            out.add(s.tag() + " silences " + s.describe() + " until " + AlertText.when(s.until(), zone, now) + " · by "
                    + s.madeBy() + (s.reason() == null ? "" : ": " + AlertText.oneLine(s.reason())));
        }
        for (AlertRow a : v.rows()) out.add(line(a, zone, now));
        int all = v.counts()[0] + v.counts()[1];
        if (all > v.rows().size()) out.add((all - v.rows().size()) + " more (the newest " + v.rows().size() + " shown)");
        return out;
    }

    /** One short line: {@code A12 ERROR backup imap3: summary · ×5 since 03:12 · acked by alice}. */
    private String line(AlertRow a, ZoneId zone, Instant now) {
        StringBuilder b = new StringBuilder(a.shortId()).append(' ');
        if (a.state() == Alert.State.RESOLVED) {
            b.append("resolved ").append(AlertText.when(a.resolvedAt(), zone, now)).append(' ');
        }
        b.append(AlertText.upper(a.severity())).append(' ').append(AlertText.subject(a))
                .append(Sanitize.capBytes(AlertText.oneLine(a.summary()), LIST_SUMMARY))
                .append(" · ").append(AlertText.count(a, zone, now));
        if (a.state() == Alert.State.ACKNOWLEDGED) b.append(" · acked by ").append(nameOf(a.ackedBy()));
        if (a.silencedBy() != null && !a.told() && a.live()) b.append(" · silenced (S").append(a.silencedBy()).append(')');
        return b.toString();
    }

    /** {@code !alerts show A12}: all there is to it. */
    private List<String> show(Request r) {
        if (r.args().size() != 2 || !r.args().get(0).equalsIgnoreCase("show")) {
            return List.of("usage: " + Builtin.ALERTS.usage);
        }
        Optional<Long> id = AlertRow.parseId(r.args().get(1));
        if (id.isEmpty()) return List.of("\"" + Sanitize.forReply(r.args().get(1)) + "\" is not an alert id (A12)");
        Instant now = tools.clock().instant();
        ZoneId zone = zoneOf(r);
        record Shown(AlertRow a, Silence s) {
        }
        Optional<Shown> found = tools.store().transaction("show an alert", db -> {
            Optional<AlertRow> a = AlertRow.find(db, id.get());
            if (a.isEmpty()) return Optional.<Shown>empty();
            Silence s = a.get().silencedBy() == null ? null : Silence.find(db, a.get().silencedBy()).orElse(null);
            return Optional.of(new Shown(a.get(), s));
        });
        if (found.isEmpty()) return List.of("no alert A" + id.get() + " (see !alerts)");
        AlertRow a = found.get().a();
        // At most four lines (a channel's page): what it is, what it says, its details, and its story.
        List<String> out = new ArrayList<>();
        out.add(a.shortId() + " " + a.state().name().toLowerCase(Locale.ROOT) + " · " + AlertText.upper(a.severity())
                + " · " + a.source() + (a.host() == null ? "" : " · host " + AlertText.oneLine(a.host()))
                + " · key " + Sanitize.capBytes(AlertText.oneLine(a.key()), 80));
        out.add("summary: " + AlertText.oneLine(a.summary()));
        if (a.details() != null && !a.details().isBlank()) {
            out.add("details: " + Sanitize.capBytes(AlertText.oneLine(a.details()), 400));
        }
        List<String> story = new ArrayList<>();
        story.add("×" + a.fired() + " · first " + Times.both(a.firstAt(), zone, now) + " · last " + AlertText.when(a.lastAt(), zone, now));
        if (a.ackedBy() != null) story.add("acknowledged by " + nameOf(a.ackedBy()) + " " + AlertText.when(a.ackedAt(), zone, now));
        if (a.resolvedAt() != null) {
            story.add("resolved " + AlertText.when(a.resolvedAt(), zone, now) + " after "
                    + AlertText.took(Duration.between(a.firstAt(), a.resolvedAt())));
        }
        Silence s = found.get().s();
        if (s != null) {
            story.add((a.told() ? "was silenced" : "silenced") + " by " + s.tag() + " (" + s.describe() + ", " + s.madeBy()
                    + (s.reason() == null ? "" : ": " + AlertText.oneLine(s.reason())) + "; " + s.state().name().toLowerCase(Locale.ROOT) + ")");
        }
        List<String> where = targets(a.source(), a.host(), a.severity()).keySet().stream().map(Target::place).toList();
        story.add(where.isEmpty() ? "said nowhere (no route matches)" : "said in " + String.join(", ", where));
        out.add(String.join(" · ", story));
        return out;
    }

    /** {@code !silence [source:|host:|key:]WHAT DURATION [REASON]}. */
    private List<String> silence(Request r) {
        String[] w = r.rest().strip().split("\\s+", 3);
        if (w.length < 2 || w[0].isBlank()) {
            return List.of("usage: " + Builtin.SILENCE.usage + " (e.g. !silence imap3 2h disk swap, !silence source:backup 30m)");
        }
        if (r.venue().isPrivate() || r.in().channel() == null) {
            return List.of("a silence is made where everyone sees it (its end is said there): make it in a channel or room");
        }
        Duration d;
        try {
            d = Durations.parse(w[1]);
        } catch (IllegalArgumentException e) {
            return List.of("\"" + Sanitize.forReply(w[1]) + "\" is not a duration (e.g. 30m, 2h, 1d)");
        }
        if (d.compareTo(MIN_SILENCE) < 0 || d.compareTo(MAX_SILENCE) > 0) {
            return List.of("a silence lasts 1m to 30d");
        }
        String reason = w.length > 2 ? AlertText.oneLine(w[2]) : null;
        if (reason != null && reason.length() > 200) return List.of("the reason is at most 200 characters");
        Instant now = tools.clock().instant();
        Instant until = now.plus(d);
        Actor actor = tools.actor(r);
        Silence s = tools.store().transaction("make a silence", db -> {
            Matched m = matched(db, w[0]);
            Silence made = Silence.add(db, m.what(), m.pattern(), m.source(), reason, until, now, r.caller().name(),
                    r.in().network(), r.in().channel());
            // Open alerts it covers stop paging now (a silence "pages nobody"), not only those that fire later.
            for (AlertRow a : AlertRow.recent(db, now, 1000)) {
                if (a.state() == Alert.State.OPEN && made.matches(new Event(a.source(), "chat", Event.Action.FIRING,
                        a.severity(), a.key(), a.host(), a.summary(), null, null), tools.inventory())) {
                    for (AlertListener l : listeners) l.silenced(db, alert(a));
                }
            }
            Optional<Incident> active = tools.incidents().activeIn(db);
            if (active.isPresent()) {
                tools.incidents().logIn(db, active.get(), EntryKind.NOTE, actor, "silenced " + made.describe() + " for "
                        + Durations.format(d) + " (" + made.tag() + ")" + (reason == null ? "" : ": " + reason));
            }
            return made;
        });
        tools.incidents().wakeFeeds();
        try {
            schedule.at(SILENCE, s.tag(), until);
        } catch (RuntimeException e) {
            log.error("silence {}: stored, but its timer could not be armed; the minute's sweep arms it", s.tag(), e);
        }
        log.info("silence {} by {}: {} until {}", s.tag(), Sanitize.forLog(r.caller().name()), Sanitize.forLog(s.describe()), until);
        return List.of(s.tag() + ": " + s.describe() + " silenced until " + Times.both(until, zoneOf(r), now) + " ("
                + Durations.format(d) + ")" + (reason == null ? "" : ": " + reason) + " · stored and listed, not said"
                + " · !unsilence " + s.tag() + " to end it");
    }

    private record Matched(Silence.What what, String pattern, String source) {
    }

    /**
     * What {@code !silence WORD} names: an explicit {@code source:}, {@code host:} or {@code key:}; an alert id
     * (its key, in its source); a declared source; an inventory host or alias (by its name); else a key.
     */
    private Matched matched(Connection db, String word) throws SQLException {
        int colon = word.indexOf(':');
        if (colon > 0) {
            String kind = word.substring(0, colon).toLowerCase(Locale.ROOT);
            String rest = word.substring(colon + 1);
            if (rest.isBlank() && List.of("source", "host", "key").contains(kind)) {
                throw new IllegalArgumentException("nothing after " + kind + ": (e.g. !silence " + kind + ":imap3 2h)");
            }
            switch (kind) {
                case "source" -> {
                    return new Matched(Silence.What.SOURCE, rest, null);
                }
                case "host" -> {
                    return new Matched(Silence.What.HOST, tools.inventory().host(rest).map(h -> h.name()).orElse(rest), null);
                }
                case "key" -> {
                    return new Matched(Silence.What.KEY, rest, null);
                }
                default -> {
                    // a key with a colon in it (a PagerDuty dedup_key such as srv:disk): taken as a key below
                }
            }
        }
        if (word.matches("[Aa][0-9]{1,15}")) {
            Optional<AlertRow> a = AlertRow.find(db, AlertRow.parseId(word).orElseThrow());
            if (a.isEmpty()) throw new IllegalArgumentException("no alert " + word.toUpperCase(Locale.ROOT) + " (see !alerts)");
            return new Matched(Silence.What.KEY, a.get().key(), a.get().source());
        }
        if (intake.source(word) != null) return new Matched(Silence.What.SOURCE, word, null);
        Optional<String> host = tools.inventory().host(word).map(h -> h.name());
        if (host.isPresent()) return new Matched(Silence.What.HOST, host.get(), null);
        if (AlertText.oneLine(word).length() != word.length() || word.length() > 512) {
            throw new IllegalArgumentException("not a source, host or key: " + Sanitize.forReply(word));
        }
        return new Matched(Silence.What.KEY, word, null);
    }

    /** {@code !unsilence S3}. */
    private List<String> unsilence(Request r) {
        if (r.args().size() != 1) return List.of("usage: " + Builtin.UNSILENCE.usage + " (see !alerts)");
        Optional<Long> id = Silence.parseId(r.args().get(0));
        if (id.isEmpty()) return List.of("\"" + Sanitize.forReply(r.args().get(0)) + "\" is not a silence id (S3)");
        Instant now = tools.clock().instant();
        Actor actor = tools.actor(r);
        ZoneId zone = zoneOf(r);
        record Done(Silence s, boolean lifted, int held) {
        }
        Optional<Done> done = tools.store().transaction("lift a silence", db -> {
            Optional<Silence> s = Silence.find(db, id.get());
            if (s.isEmpty()) return Optional.<Done>empty();
            if (!Silence.end(db, id.get(), Silence.State.LIFTED, now, r.caller().name())) {
                return Optional.of(new Done(s.get(), false, 0));
            }
            Optional<Incident> active = tools.incidents().activeIn(db);
            if (active.isPresent()) {
                tools.incidents().logIn(db, active.get(), EntryKind.NOTE, actor, "lifted silence " + s.get().tag() + " ("
                        + s.get().describe() + ")");
            }
            return Optional.of(new Done(s.get(), true, heldBy(db, s.get().id())));
        });
        if (done.isEmpty()) return List.of("no silence S" + id.get() + " (see !alerts)");
        Silence s = done.get().s();
        if (!done.get().lifted()) {
            return List.of(s.tag() + " (" + s.describe() + ") has " + (s.state() == Silence.State.ACTIVE ? "ended"
                    : s.state().name().toLowerCase(Locale.ROOT)) + " already; nothing to lift");
        }
        tools.incidents().wakeFeeds();
        schedule.cancel(SILENCE, s.tag());
        log.info("silence {} lifted by {}", s.tag(), Sanitize.forLog(r.caller().name()));
        int held = done.get().held();
        return List.of("lifted " + s.tag() + " (" + s.describe() + ", was until " + Times.both(s.until(), zone, now) + ")"
                + (held > 0 ? "; " + held + " alert" + (held == 1 ? "" : "s") + " it held still open: their next event is said" : ""));
    }
}
