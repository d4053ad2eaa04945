package opsbot.bot.duty;

import opsbot.bot.alerts.Alert;
import opsbot.bot.chat.ChatNetwork;
import opsbot.bot.chat.Message;
import opsbot.bot.dispatch.Toolbox;
import opsbot.bot.outbox.Item;
import opsbot.bot.outbox.Target;
import opsbot.bot.schedule.Schedule;
import opsbot.bot.store.Forgetting;
import opsbot.bot.store.Sql;
import opsbot.config.DutyConfig;
import opsbot.config.Person;
import opsbot.config.Role;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Pages for alerts at or above {@code duty.page-at}: the primary at once, the primary again after
 * {@code repeat-after}, the secondary after {@code secondary-after}, everyone in the rotation after
 * {@code everyone-after}, all counted from when the alert opened, until it is acknowledged or resolved.
 *
 * <p>A page is a row ({@link Pages}); each step is one transaction: a conditional update from the step read to the
 * next, and the step's outbox line for each of the alert's targets under a stable key ({@code page:12:2}). So a step
 * is said exactly once whatever fires it (its timer, a second timer, the start-up catch-up, the sweep), and never
 * once the ack's transaction has stopped the page. Timers carry only the page id ({@code P12}). Past the target's
 * page budget a step's line is held for one digest line instead, in the same transaction ({@link PageBudget}).
 *
 * <p>The mention is rendered when the step fires, not in the alert's transaction: the network is asked then, outside
 * any transaction, how it knows the person at that moment (IRC: the nick their account has now). The alert's
 * transaction only writes the row, with its first step due at once; the row's timer is armed right after that
 * transaction commits ({@link #afterCommit}), and by the start-up and periodic sweep should anything be lost.
 */
final class Escalation {
    private static final Logger log = LoggerFactory.getLogger(Escalation.class);
    /** The schedule's kind for page timers; the id is {@code P} + the page id. */
    static final String KIND = "duty-page";
    /** The schedule's kind for the minute's check that every page still going has a timer. */
    static final String SWEEP = "duty-sweep";
    /** How long a step fired right after start waits for its network to be attached (to mention as it knows them). */
    private static final Duration NETWORK_WAIT = Duration.ofSeconds(15);
    /** Later than this, a step says how late it is. */
    private static final Duration SAY_LATE = Duration.ofMinutes(1);
    /** What a page line shows of the alert, at most (an IRC line is 512 bytes). */
    private static final int ABOUT = 300;

    private final Toolbox tools;
    private final Schedule schedule;
    private final DutyConfig cfg;
    private final Roster roster;
    private final Function<String, Person> person;
    /** Page lines per target in any minute; past it, held steps and one digest line ({@link PageBudget}). */
    private final PageBudget budget;
    /** Steps and digests into the active incident. */
    private final StepLog stepLog;
    /** Old page lines and finished pages, from the sweep (the first at start). */
    private final Forgetting oldLines = new Forgetting("page lines older than " + PageLines.KEEP.toHours() + " h",
            PageLines.PRUNE_BATCH, Duration.ofHours(1), PageLines::prune);
    private final Forgetting oldPages = new Forgetting("pages finished more than " + Pages.KEEP.toDays() + " days ago",
            Pages.PRUNE_BATCH, Duration.ofHours(1), Pages::prune);
    /**
     * Arms timers for rows written inside someone else's transaction, once it is over: the store runs one
     * transaction at a time, so a read here waits for it. One thread, bounded; past that the sweep arms them.
     */
    private final ThreadPoolExecutor afterCommit = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(1000), r -> {
                Thread t = new Thread(r, "duty-after-commit");
                t.setDaemon(true);
                return t;
            }, (r, e) -> log.warn("duty: too many pages to arm at once; the rest are armed by the minute's sweep"));

    Escalation(Toolbox tools, Schedule schedule, DutyConfig cfg, Roster roster) {
        this.tools = tools;
        this.schedule = schedule;
        this.cfg = cfg;
        this.roster = roster;
        Map<String, Person> byName = tools.cfg().people().stream()
                .collect(Collectors.toMap(Person::name, p -> p, (a, b) -> a));
        // Someone in an override but no longer in people (the config changed): named plainly.
        this.person = n -> byName.getOrDefault(n, new Person(n, null, null, Role.VIEWER));
        this.stepLog = new StepLog(tools);
        this.budget = new PageBudget(tools, schedule, cfg.pagesPerMinute(), person, this::network, stepLog);
    }

    /** The page budget and its digests (for tests). */
    PageBudget budget() {
        return budget;
    }

    void install() {
        schedule.on(KIND, f -> Page.parseTimerId(f.id()).ifPresent(this::fire));
        // After Quartz's own recovery at start, and every minute: a page still going is never left without a timer
        // (a crash between a step and arming the next, a row written in a transaction that was never followed up).
        schedule.on(SWEEP, x -> sweep());
        budget.install();
        schedule.afterStart(() -> {
            sweep(); // and the first prune of old page lines
            try {
                schedule.every(SWEEP, "pages", Duration.ofMinutes(1));
            } catch (RuntimeException e) {
                log.error("duty: cannot arm the minute's sweep of the pages; they are armed again at the next start", e);
            }
        });
        schedule.atClose(afterCommit::shutdownNow);
    }

    /** In the alert's transaction: a page row for an alert at or above page-at, its first step due at once. */
    void opened(Connection db, Alert a) throws SQLException {
        if (!a.severity().atLeast(cfg.pageAt())) return;
        if (a.targets().isEmpty()) {
            log.warn("duty: {} is {} but its routes name no channel or room; nobody is paged", a.shortId(), a.severity().word());
            return;
        }
        if (!Pages.paging(db, a.id()).isEmpty()) return; // told twice: the page going on is this alert's
        String about = opsbot.bot.alerts.AlertText.oneLine(a.source() + (a.host() == null ? "" : " " + a.host()) + ": " + a.summary());
        long id = Pages.add(db, a.id(), a.severity().word(), about, a.targets(), tools.clock().instant());
        afterCommit(id);
    }

    /** In the caller's transaction: the alert's pages stop ({@code why}); their timers go after the commit. */
    int stop(Connection db, long alertId, String why) throws SQLException {
        List<Page> going = Pages.paging(db, alertId);
        int n = Pages.stop(db, alertId, why, tools.clock().instant());
        going.forEach(p -> afterCommit(p.id()));
        return n;
    }

    /** Arms (or cancels) the page's timer by its committed row, once the transaction writing it is over. */
    void afterCommit(long pageId) {
        if (afterCommit.isShutdown()) return;
        afterCommit.execute(() -> {
            try {
                // The store serialises transactions, so this read waits for the one that wrote the row; a row
                // written on another connection may take a moment to be visible.
                for (int i = 0; i < 10; i++) {
                    Optional<Page> p = read(pageId);
                    if (p.isPresent()) {
                        settle(p.get());
                        return;
                    }
                    Thread.sleep(100);
                }
                // rolled back (no alert, no page), or the sweep finds it
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                if (afterCommit.isShutdown()) {
                    log.info("duty: closing; page P{} is armed from its row at the next start", pageId);
                } else {
                    log.error("duty: cannot arm page P{}; the minute's sweep does", pageId, e);
                }
            }
        });
    }

    /** A page still going gets its timer at its next due time; a stopped or finished one loses it. */
    private void settle(Page p) {
        if (p.state() == Page.State.PAGING && p.nextDue() != null) {
            schedule.at(KIND, p.timerId(), p.nextDue());
        } else {
            schedule.cancel(KIND, p.timerId());
        }
    }

    /**
     * The sweep (at start, then every minute): old page lines forgotten (at most hourly, in batches), a timer for
     * every page still going that has none, and for every target's held steps. Each part on its own: one that fails
     * (one page's timer) is logged and the others still run; the next sweep tries again.
     */
    void sweep() {
        try {
            oldLines.run(tools.store(), tools.clock().instant());
        } catch (RuntimeException e) {
            log.error("duty: cannot forget old page lines; the next sweep tries again", e);
        }
        try {
            oldPages.run(tools.store(), tools.clock().instant());
        } catch (RuntimeException e) {
            log.error("duty: cannot forget old pages; the next sweep tries again", e);
        }
        try {
            Set<String> armed = new HashSet<>(schedule.ids(KIND));
            List<Page> going = tools.store().transaction("read the pages", Pages::paging);
            int n = 0;
            for (Page p : going) {
                if (p.nextDue() != null && !armed.contains(p.timerId())) {
                    try {
                        schedule.at(KIND, p.timerId(), p.nextDue());
                        n++;
                    } catch (RuntimeException e) {
                        log.error("duty: cannot arm page {}; the next sweep tries again", p.timerId(), e);
                    }
                }
            }
            if (n > 0) log.info("duty: {} pages without a timer; armed again", n);
        } catch (RuntimeException e) {
            log.error("duty: cannot read the pages to arm; the next sweep tries again", e);
        }
        try {
            budget.rearm();
        } catch (RuntimeException e) {
            log.error("duty: cannot arm the page digests; the next sweep tries again", e);
        }
    }

    /** The page's timer fired: every step due by now, in order, each once; then the timer for the next. */
    void fire(long pageId) {
        for (int guard = 0; guard <= Page.Step.values().length; guard++) {
            Optional<Page> read = read(pageId);
            if (read.isEmpty() || read.get().next().isEmpty()) return; // acknowledged, resolved, or all said
            Page p = read.get();
            Instant now = tools.clock().instant();
            if (p.nextDue().isAfter(now.plusSeconds(1))) {
                // early (a timer from before a restart, a second one): the row says when
                if (!schedule.next(KIND, p.timerId()).equals(Optional.of(p.nextDue()))) schedule.at(KIND, p.timerId(), p.nextDue());
                return;
            }
            step(p, p.next().get(), now);
        }
    }

    /**
     * Says step {@code s} of {@code p} (read at its step before), if nothing else moved the page meanwhile: the
     * conditional update decides, so a step racing an ack or another firing is said once or not at all.
     *
     * @return whether this call said it
     */
    boolean step(Page p, Page.Step s, Instant now) {
        Roster.Turn turn = turn(now);
        List<Person> who = whom(s, turn);
        String text = text(p, s, turn, late(p.nextDue(), now));
        List<Item> items = new ArrayList<>();
        for (Target t : p.targets()) {
            Message m = Mentions.render(network(t.network()), t.network(), who, text);
            items.add(Item.of(t, Page.key(p.id(), s.number()), m));
        }
        Optional<Page.Step> after = Page.Step.of(s.number() + 1);
        Page.State state = after.isPresent() ? Page.State.PAGING : Page.State.DONE;
        Instant nextDue = after.map(x -> x.due(p.openedAt(), cfg)).orElse(null);
        // Each target's line, or held for its digest when the target's page budget is spent: the step is said
        // either way (the page goes on to its next step at its time).
        // Into the active incident too, in the step's transaction (the first mention is the alert's own entry).
        String entry = StepLog.step(p, s, turn, who.stream().map(Person::name).toList(),
                minutes(Duration.between(p.openedAt(), now)));
        boolean[] logged = {false};
        Map<Target, Instant> held = tools.store().transaction("page the one on duty", db -> {
            if (!Pages.step(db, p.id(), p.step(), s.number(), state, nextDue)) return null;
            Map<Target, Instant> until = new LinkedHashMap<>();
            for (Item i : items) {
                Instant free = budget.sayOrHold(db, i, p, s.number(), who);
                if (free != null) until.put(i.target(), free);
            }
            // Held everywhere: nobody was mentioned yet (an ack before the digest drops it), so the entry says so.
            String said = entry == null || until.size() < items.size() ? entry
                    : entry + " (held for the digest: page budget spent)";
            logged[0] = said != null && stepLog.log(db, said);
            return until;
        });
        if (held == null) return false;
        if (logged[0]) stepLog.written();
        p.targets().stream().filter(t -> !held.containsKey(t)).forEach(tools.outbox()::wake);
        held.forEach(budget::held);
        log.info("duty: {} step {} ({}): {} in {}{}", p.alert(), s.number(), s.name().toLowerCase(),
                who.stream().map(Person::name).toList(), p.targets(),
                held.isEmpty() ? "" : " (held for the digest in " + held.keySet() + ": page budget spent)");
        if (nextDue != null) {
            try {
                schedule.at(KIND, p.timerId(), nextDue);
                // An ack or resolve that committed meanwhile may have cancelled the timer before this armed it.
                if (read(p.id()).map(x -> x.state() != Page.State.PAGING).orElse(true)) schedule.cancel(KIND, p.timerId());
            } catch (RuntimeException e) {
                log.error("duty: {} step {} said; the next timer could not be armed (the sweep does)", p.alert(), s.number(), e);
            }
        }
        return true;
    }

    /** Who a step mentions, by the roster at that moment (a handoff between steps pages the new primary). */
    private List<Person> whom(Page.Step s, Roster.Turn t) {
        return switch (s) {
            case PRIMARY, REPEAT -> List.of(person.apply(t.primary()));
            case SECONDARY -> List.of(person.apply(t.secondary() != null && !t.secondary().equals(t.primary())
                    ? t.secondary() : t.primary()));
            case EVERYONE -> {
                Set<String> names = new LinkedHashSet<>();
                names.add(t.primary());
                if (t.secondary() != null) names.add(t.secondary());
                names.addAll(roster.people());
                yield names.stream().map(person).toList();
            }
        };
    }

    private String text(Page p, Page.Step s, Roster.Turn t, String late) {
        String what = p.alert() + " " + p.severity() + " " + Sql.cut(p.about(), ABOUT);
        String since = minutes(Duration.between(p.openedAt(), tools.clock().instant()));
        String ack = " · !ack " + p.alert() + (late == null ? "" : " (" + late + ")");
        return switch (s) {
            case PRIMARY -> what + " · you are on duty" + ack;
            case REPEAT -> "still unacknowledged after " + since + ": " + what + ack;
            case SECONDARY -> "unacknowledged for " + since + " (primary " + t.primary() + "): " + what + ack;
            case EVERYONE -> "unacknowledged for " + since + " (primary " + t.primary()
                    + (t.secondary() == null ? "" : ", secondary " + t.secondary()) + "), everyone: " + what + ack;
        };
    }

    /** {@code 12 min late: the bot was down}, or null when on time. */
    private String late(Instant due, Instant now) {
        Duration late = Duration.between(due, now);
        if (late.compareTo(SAY_LATE) <= 0) return null;
        Instant up = schedule.up();
        return minutes(late) + " late" + (up != null && due.isBefore(up) ? ": the bot was down" : "");
    }

    private static String minutes(Duration d) {
        long s = Math.max(0, d.toSeconds());
        if (s < 60) return s + " s";
        long min = Math.round(s / 60.0);
        return min < 120 ? min + " min" : (min / 60) + " h" + (min % 60 == 0 ? "" : " " + (min % 60) + " min");
    }

    private Roster.Turn turn(Instant now) {
        return roster.at(now, tools.store().transaction("read the duty overrides", db -> Overrides.at(db, now)));
    }

    private Optional<Page> read(long id) {
        return tools.store().transaction("read a page", db -> Pages.find(db, id));
    }

    /**
     * The network by name, waiting a little right after start for it to be attached and to know who is where
     * (networks attach after the timers start; on IRC the accounts in a channel are known once the server
     * answered the join's WHO), so that the page names people as the network knows them now.
     */
    private ChatNetwork network(String name) {
        long end = System.nanoTime() + NETWORK_WAIT.toNanos();
        while (true) {
            Optional<ChatNetwork> n = tools.network(name);
            if (n.isPresent() && n.get().knowsWhoIsWhere()) return n.get();
            if (System.nanoTime() > end) {
                if (n.isPresent()) {
                    log.warn("duty: network {} does not know who is where yet; its page names people as configured", name);
                    return n.get();
                }
                log.warn("duty: network {} is not attached; its page names people plainly and waits in the outbox", name);
                return null;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
    }
}
