package opsbot.bot.dispatch;

import opsbot.bot.chat.ChatNetwork;
import opsbot.bot.chat.Inbound;
import opsbot.bot.incident.Actor;
import opsbot.bot.incident.EntryKind;
import opsbot.bot.incident.Feed;
import opsbot.bot.incident.Incident;
import opsbot.bot.incident.Incidents;
import opsbot.bot.incident.Report;
import opsbot.bot.outbox.Backoff;
import opsbot.bot.outbox.Outbox;
import opsbot.bot.store.Attempt;
import opsbot.bot.store.Store;
import opsbot.commands.model.Binder;
import opsbot.commands.model.Builtin;
import opsbot.commands.model.CommandCatalog;
import opsbot.commands.model.Inventory;
import opsbot.commands.model.LookupException;
import opsbot.commands.model.Plan;
import opsbot.commands.model.Planner;
import opsbot.commands.model.Sanitize;
import opsbot.commands.parse.Addressing;
import opsbot.commands.parse.ParseException;
import opsbot.commands.parse.Tokenizer;
import opsbot.commands.policy.Authorizer;
import opsbot.commands.policy.Caller;
import opsbot.commands.policy.CommandRef;
import opsbot.commands.policy.Decision;
import opsbot.commands.policy.Gate;
import opsbot.commands.policy.People;
import opsbot.commands.policy.Policy;
import opsbot.commands.policy.Venue;
import opsbot.commands.ssh.FanOut;
import opsbot.config.CommandSpec;
import opsbot.config.Kind;
import opsbot.config.OpsbotConfig;
import opsbot.config.RunbookSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * From a chat line to a reply: addressing, identity, parsing, the one policy door ({@link Authorizer}, in
 * front of every command and again at its confirmation), binding, confirmation, execution and the store.
 * Lines from attached networks reach {@link #handle} through per-person {@link Lanes}, off the networks' own
 * threads; remote execution runs on virtual threads so a slow host never blocks the chat.
 */
public final class Dispatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);

    private final OpsbotConfig cfg;
    private final Store store;
    private final FanOut fanOut;
    private final Clock clock;
    private final People people;
    private final Inventory inventory;
    private final CommandCatalog catalog;
    private final Binder binder;
    private final Planner planner;
    private final Authorizer gate;
    private final Builtins builtins;
    private final Pager pager;
    private final Incidents incidents;
    private final IncidentCommands incidentCommands;
    private final Networks networks = new Networks();
    private final Outbox outbox;
    private final opsbot.bot.metrics.Metrics metrics = new opsbot.bot.metrics.Metrics();
    private final Map<String, Addressing> addressing = new ConcurrentHashMap<>();
    private final Confirmations confirmations;
    private final Runs runs = new Runs();
    private final RateLimiter rate;
    /** Follow-ups, runbooks, checks: built-ins and command words answered beside the declared commands. */
    private final List<Extension> extensions = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Toolbox toolbox;
    /** Lines heard, off the networks' I/O threads: one lane per person and place, in the order said. */
    private final Lanes<Inbound> lanes = new Lanes<>(LANE_WAITING, LANES_TOTAL, Dispatcher::personKey, this::handle, this::busy);
    /**
     * Lines that may wait per person where the network's reader must not wait (IRC: more is answered "busy"),
     * and over all lanes (a reader that may wait, as Matrix catching up on a gap of up to 1000 events, waits here).
     */
    static final int LANE_WAITING = 16;
    private static final int LANES_TOTAL = 1024;

    public Dispatcher(OpsbotConfig cfg, Store store, FanOut fanOut, Clock clock) {
        this(cfg, store, fanOut, clock, gate(cfg));
    }

    /** With another door than the configured people and policy (tests: a recording or denying one). */
    Dispatcher(OpsbotConfig cfg, Store store, FanOut fanOut, Clock clock, Authorizer gate) {
        this.cfg = cfg;
        this.store = store;
        this.fanOut = fanOut;
        this.clock = clock;
        this.people = new People(cfg.people());
        this.inventory = new Inventory(cfg.hosts());
        this.catalog = new CommandCatalog(cfg.commands(), cfg.runbooks());
        this.binder = new Binder(inventory);
        this.planner = new Planner(inventory);
        this.gate = Authorizer.failClosed(gate);
        this.builtins = new Builtins(catalog, inventory, gate, cfg.runbooks());
        this.pager = new Pager(cfg.bot().pageLines());
        this.outbox = new Outbox(store, networks::get, clock, Backoff.DEFAULT, metrics);
        this.incidents = new Incidents(store, Feed.all(cfg), outbox, clock);
        this.incidentCommands = new IncidentCommands(incidents, cfg.bot().timezone());
        this.confirmations = new Confirmations(clock, this::expired);
        this.rate = new RateLimiter(cfg.ssh() == null ? 20 : cfg.ssh().commandsPerMinute(), clock);
        this.toolbox = new Toolbox(this);
    }

    /** What an extension may use of the bot. */
    public Toolbox toolbox() {
        return toolbox;
    }

    /** Adds an extension; before networks are attached, so no line finds it half there. */
    public void extend(Extension e) {
        extensions.add(e);
    }

    private static Authorizer gate(OpsbotConfig cfg) {
        People people = new People(cfg.people());
        return new Gate(new Policy(cfg.bot().privateMessages()), () -> people);
    }

    public Incidents incidents() {
        return incidents;
    }

    OpsbotConfig cfg() {
        return cfg;
    }

    Store store() {
        return store;
    }

    Clock clock() {
        return clock;
    }

    FanOut fanOut() {
        return fanOut;
    }

    Inventory inventory() {
        return inventory;
    }

    People people() {
        return people;
    }

    Networks networks() {
        return networks;
    }

    Pager pager() {
        return pager;
    }

    /** Everything the bot says unasked goes through here (incident feeds now; broadcasts later). */
    /** The bot's Prometheus figures (served by the intake's {@code GET /metrics}). */
    public opsbot.bot.metrics.Metrics metrics() {
        return metrics;
    }

    /** Each attached network by name, connected or not (the intake's {@code GET /healthz}). */
    public Map<String, Boolean> networksConnected() {
        return networks.connected();
    }

    public Outbox outbox() {
        return outbox;
    }

    public void attach(ChatNetwork network) {
        networks.add(network);
        network.start(network.readerMayWait() ? lanes::put : lanes::submit);
        outbox.attached(network.name()); // what waited for it (an outage, a restart) goes out now
    }

    /** A line over the lanes' bounds: a command gets one line saying it was not taken; chat is only logged. */
    private boolean busy(Inbound in) {
        String text = commandText(in);
        if (text == null) {
            return false;
        }
        log.warn("{} {}: busy, not taken from {}: {}", in.network(), in.replyTarget(), in.nick(), logSafe(text));
        // Answered off the caller's thread: that is the network's I/O thread, and a reply may block.
        runs.start(() -> networks.reply(in, List.of("busy: your earlier commands are still being handled; not taken: \""
                + shown(text) + "\" (say it again in a moment)")));
        return true;
    }

    /** The command part of a line, or null when it is not meant for the bot (see {@link Addressing}). */
    private String commandText(Inbound in) {
        return addressing.computeIfAbsent(networks.selfName(in.network()), s -> new Addressing(cfg.bot().prefix(), s))
                .commandText(in.text(), in.isPrivate());
    }

    /** Entry point for every line heard. Never throws: a failure becomes a one-line reply and a log entry. */
    public void handle(Inbound in) {
        String text = commandText(in);
        if (text == null) {
            if (in.thread() != null && !in.isPrivate()) {
                try {
                    threadNote(in);
                } catch (RuntimeException e) {
                    log.error("thread note from {} on {} failed", logSafe(in.nick()), in.network(), e);
                    networks.reply(in, List.of("internal error (logged); the note was not recorded"));
                }
            }
            return;
        }
        // The line heard is logged before it is handled, except for an answer that changes nothing: there it is
        // logged after the answer went out, as its audit row is (writing a log line is a few hundred microseconds
        // of a !ping on a small VM). The first word is looked up once, here, for both.
        String first = text.strip().split("\\s+", 2)[0];
        boolean answerFirst = false;
        try {
            CommandCatalog.Lookup head = catalog.lookup(first);
            answerFirst = head instanceof CommandCatalog.Lookup.Found f && f.command() instanceof Builtin b
                    && ANSWER_FIRST.contains(b);
            if (!answerFirst) {
                logHeard(in, text);
            }
            dispatch(in, text, first, head);
        } catch (RuntimeException e) {
            log.error("dispatch failed for {} on {}: {}", logSafe(in.nick()), in.network(), logSafe(in.text()), e);
            networks.reply(in, List.of("internal error (logged); nothing was run"));
        } finally {
            if (answerFirst) {
                logHeard(in, text);
            }
        }
    }

    private static void logHeard(Inbound in, String text) {
        log.info("{} {} {}({}): {}", in.network(), in.isPrivate() ? "private" : logSafe(in.channel()), logSafe(in.nick()),
                in.account() == null ? "-" : logSafe(in.account()), logSafe(text));
    }

    /** Said longer ago than {@code bot.stale-after} before the bot heard it. */
    private boolean stale(Inbound in) {
        return in.delay().compareTo(cfg.bot().staleAfter()) > 0;
    }

    /** For a note heard late, when it was written: the entry itself carries the time it was recorded. */
    private String late(Inbound in) {
        return stale(in) ? "(written " + Report.human(in.delay()) + " earlier) " : "";
    }

    /** Chat text in a log line: controls and bidi escaped (no forged log lines), bounded. See {@link Sanitize#forLog}. */
    private static String logSafe(String text) {
        return Sanitize.forLog(text);
    }

    /** {@code head}: the catalog's lookup of the line's first word, {@code first}. */
    private void dispatch(Inbound in, String text, String first, CommandCatalog.Lookup head) {
        Caller caller = identify(in);
        Venue venue = new Venue(in.network(), in.channel(), in.isPrivate() ? null : cfg.trustOf(in.channel()));
        if (text.length() > Addressing.MAX_LINE) {
            refuse(in, caller, null, "invalid", "line too long (" + text.length() + " characters; at most "
                    + Addressing.MAX_LINE + ")");
            return;
        }
        Builtin freeText = head instanceof CommandCatalog.Lookup.Found f
                && f.command() instanceof Builtin b && (b == Builtin.INCIDENT || b == Builtin.NOTE) ? b : null;
        if (stale(in) && freeText != Builtin.NOTE) {
            // Typed while the bot was away: at 3am, what people did since has overtaken it. Notes are history.
            refuse(in, caller, first, "stale", "not run: \"" + shown(text) + "\" was typed "
                    + Report.human(in.delay()) + " ago, while I was away; say it again if it is still wanted");
            return;
        }
        // Free text (titles, notes) is taken as typed: "doesn't boot" has no closing quote, and needs none.
        // Not split into words, so the tokenizer's bidi refusal is made here.
        String bidi = freeText == null ? null : Sanitize.bidiOverride(text);
        if (bidi != null) {
            refuse(in, caller, freeText.word, "invalid", Tokenizer.bidiRefusal(bidi));
            return;
        }
        String rest = text.strip().substring(first.length());
        Object command = freeText;
        List<Tokenizer.Word> args = List.of();
        if (freeText == null) {
            List<Tokenizer.Word> words;
            try {
                words = Tokenizer.split(looseWords(head) ? quoteFree(text) : text);
            } catch (ParseException e) {
                refuse(in, caller, null, "invalid", e.getMessage());
                return;
            }
            if (words.isEmpty()) {
                return;
            }
            CommandCatalog.Lookup lookup = catalog.lookup(words.get(0).text());
            args = words.subList(1, words.size());
            if (lookup instanceof CommandCatalog.Lookup.Unknown u) {
                refuse(in, caller, null, "invalid", u.message());
                return;
            }
            command = ((CommandCatalog.Lookup.Found) lookup).command();
            if (command instanceof RunbookSpec rb) {
                for (Extension e : extensions) {
                    Optional<CommandRef> own = e.command(rb.name());
                    if (own.isPresent()) {
                        extensionWord(in, caller, venue, e, own.get(), rb.name(), args, rest, text);
                        return;
                    }
                }
                refuse(in, caller, rb.name(), "invalid", "runbook " + rb.name() + ": not available in this opsbot");
                return;
            }
        }
        // The one door, for every command: nothing of it has run yet; each branch below starts with the answer.
        Decision d = authorize(in, venue, command, rest);
        if (freeText != null) {
            incidentBuiltin(in, caller, venue, freeText, rest, d);
        } else if (command instanceof Builtin b) {
            builtin(in, caller, venue, b, args, d, rest, text);
        } else {
            declared(in, shown(text), caller, venue, (CommandSpec) command, args, d);
        }
    }

    /** An extension's own command word (a runbook): through the door with the extension's ref, then to it. */
    private void extensionWord(Inbound in, Caller caller, Venue venue, Extension e, CommandRef ref, String word,
                               List<Tokenizer.Word> args, String rest, String text) {
        Decision d = authorize(in, venue, ref, rest);
        if (d instanceof Decision.Deny deny) {
            refuse(in, caller, ref.name(), "denied", deny.reason());
            if (ref.kind() == Kind.CHANGE) {
                incidents.denied(actor(in, caller), caller.person() == null ? personKey(in) : null,
                        shown(text) + " — " + deny.reason().replaceFirst("^denied: ", ""));
            }
            return;
        }
        Request r = new Request(in, caller, venue, null, word, args.stream().map(Tokenizer.Word::text).toList(),
                rest.strip(), shown(text));
        List<String> lines = e.invoke(r);
        store.record(attempt(in, caller, ref.name(), "ran", null, null));
        networks.reply(in, pager.page(personKey(in), lines));
    }

    /**
     * A reminder's words are free text ("check why it doesn't boot"), kept as typed in {@code rest}; its words are
     * only split at spaces, never read for quotes (its extension takes the time from the first and the text as typed).
     */
    private static boolean looseWords(CommandCatalog.Lookup head) {
        return head instanceof CommandCatalog.Lookup.Found f && f.command() == Builtin.REMIND;
    }

    /** The line with its quote characters neutralised, for a split at spaces only (see {@link #looseWords}). */
    private static String quoteFree(String text) {
        return text.replace('\'', '\u02BC').replace('"', '\u02BA').replace('\\', '/');
    }

    /**
     * What the door says to this command: built-ins as a whole, {@code incident} per subcommand (each with its
     * own role), declared commands as configured. Anything else is denied, and so is a failure here.
     */
    private Decision authorize(Inbound in, Venue venue, Object command, String rest) {
        try {
            CommandRef what = switch (command) {
                case Builtin b when b == Builtin.INCIDENT -> IncidentCommands.ref(rest);
                case Builtin b -> extensionRef(b, in, rest).orElseGet(() -> CommandRef.of(b));
                case CommandSpec spec -> CommandRef.of(spec);
                case CommandRef ref -> ref;
                default -> null; // the gate denies an unknown command
            };
            return gate.authorize(in.who(), venue, what);
        } catch (RuntimeException e) {
            log.error("authorize failed for {} on {}; denied", in.nick(), in.network(), e);
            return new Decision.Deny(Gate.BROKEN);
        }
    }

    /** A subcommand's own ref, from the extension that answers the built-in (see {@link Extension#ref}). */
    private Optional<CommandRef> extensionRef(Builtin b, Inbound in, String rest) {
        for (Extension e : extensions) {
            if (e.answers().contains(b)) return e.ref(b, in.who(), rest);
        }
        return Optional.empty();
    }

    Caller identify(Inbound in) {
        return new Caller(in.nick(), in.who(), people.find(in.who()));
    }

    Actor actor(Inbound in, Caller caller) {
        return new Actor(caller.name(), in.network(), in.isPrivate() ? "private" : in.channel());
    }

    private void incidentBuiltin(Inbound in, Caller caller, Venue venue, Builtin b, String rest, Decision d) {
        if (d instanceof Decision.Deny deny) {
            refuse(in, caller, b.word, "denied", deny.reason());
            return;
        }
        Actor who = actor(in, caller);
        // A note typed inside an incident's thread belongs to that incident, whichever is active.
        Optional<Incident> thread = in.thread() == null || in.isPrivate() ? Optional.empty()
                : incidents.ofThread(in.network(), in.channel(), in.thread());
        List<String> lines = b == Builtin.NOTE ? incidentCommands.note(who, rest.isBlank() ? rest : late(in) + rest.strip(), thread)
                : incidentCommands.incident(who, rest);
        store.record(attempt(in, caller, b.word, "ran", null, null));
        networks.reply(in, pager.page(personKey(in), lines));
    }

    /** Someone wrote in an incident's thread (Matrix): a note, if they may write notes. */
    private void threadNote(Inbound in) {
        Caller caller = identify(in);
        Optional<Incident> inc = incidents.ofThread(in.network(), in.channel(), in.thread());
        if (inc.isEmpty()) {
            return;
        }
        Venue venue = new Venue(in.network(), in.channel(), cfg.trustOf(in.channel()));
        if (!gate.authorize(in.who(), venue, CommandRef.of(Builtin.NOTE)).allowed()) {
            log.info("{} {}: not a note ({} may not write notes)", in.network(), logSafe(in.channel()), logSafe(caller.name()));
            return;
        }
        String text = Sanitize.withoutBidi(in.text()).strip(); // not a command: kept, but never reordering the feed
        if (!text.isEmpty()) {
            text = late(in) + (text.length() > 4000 ? text.substring(0, 4000) + "…" : text);
            incidents.log(inc.get(), EntryKind.NOTE, actor(in, caller), text);
        }
    }

    private void builtin(Inbound in, Caller caller, Venue venue, Builtin b, List<Tokenizer.Word> args, Decision d,
                         String rest, String text) {
        if (d instanceof Decision.Deny deny) {
            refuse(in, caller, b.word, "denied", deny.reason());
            return;
        }
        String key = personKey(in);
        Request r = new Request(in, caller, venue, b, text.strip().split("\\s+", 2)[0],
                args.stream().map(Tokenizer.Word::text).toList(), rest.strip(), shown(text));
        List<String> lines = switch (b) {
            case PING -> List.of("pong");
            case HELP -> args.isEmpty() ? builtins.help(caller, venue) : builtins.helpFor(args.get(0).text());
            case HOSTS -> builtins.hosts(args.isEmpty() ? null : args.get(0).text());
            case WHOAMI -> Builtins.whoami(caller, venue);
            case MORE -> pager.more(key);
            case YES -> {
                confirm(in, caller, venue, r);
                yield null;
            }
            case CANCEL -> cancel(r);
            case INCIDENT, NOTE -> throw new IllegalStateException("handled as free text");
            case NO -> confirmations.cancel(key).map(p -> {
                store.complete(p.attemptId(), "cancelled", "cancelled by " + caller.name(), p.hosts(), null, 0, null);
                return List.of("cancelled: " + p.what());
            }).orElse(List.of("nothing pending for you here"));
            default -> extensionBuiltin(r);
        };
        if (lines != null && ANSWER_FIRST.contains(b)) {
            // An answer that changes nothing goes out before its audit row: the row's durable commit (most of a
            // millisecond) need not hold up a !ping. It is still written here, on this person's lane, before
            // their next line is handled.
            // The row is written whatever the answer did; a failed answer may be partly out, so it is logged
            // here, never followed by "nothing was run".
            try {
                networks.reply(in, pager.page(key, lines));
            } catch (RuntimeException e) {
                log.error("cannot answer {} by {} on {}", b.word, logSafe(in.nick()), in.network(), e);
            } finally {
                try {
                    store.record(attempt(in, caller, b.word, "ran", null, null));
                } catch (RuntimeException e) { // answered already: no "nothing was run" after it
                    log.error("cannot record {} by {} on {}", b.word, logSafe(in.nick()), in.network(), e);
                }
            }
            return;
        }
        store.record(attempt(in, caller, b.word, "ran", null, null));
        if (lines != null) {
            networks.reply(in, b == Builtin.MORE ? lines : pager.page(key, lines));
        }
    }

    /** Built-ins whose answer changes nothing, so it may be sent before the attempt is recorded. */
    private static final java.util.Set<Builtin> ANSWER_FIRST = java.util.EnumSet.of(Builtin.PING, Builtin.HELP,
            Builtin.HOSTS, Builtin.WHOAMI);

    /** A built-in an extension answers; one line when none does (the feature is not part of this bot). */
    private List<String> extensionBuiltin(Request r) {
        for (Extension e : extensions) {
            if (e.answers().contains(r.builtin())) {
                return e.answer(r);
            }
        }
        return List.of(r.builtin().word + ": not available in this opsbot");
    }

    /** {@code !cancel ID}: the extension whose id it is (F12 a follow-up, R3 a runbook run). */
    private List<String> cancel(Request r) {
        if (r.args().size() != 1) {
            return List.of("usage: " + Builtin.CANCEL.usage + " (see !followups, !runbook status)");
        }
        for (Extension e : extensions) {
            Optional<List<String>> done = e.cancel(r, r.args().get(0));
            if (done.isPresent()) {
                return done.get();
            }
        }
        return List.of("no follow-up or runbook run " + Sanitize.forLog(r.args().get(0)) + " (see !followups, !runbook status)");
    }

    /** {@code line} is the command as typed, without prefix or addressing (see {@link #shown}). */
    private void declared(Inbound in, String line, Caller caller, Venue venue, CommandSpec spec, List<Tokenizer.Word> args,
                          Decision d) {
        if (d instanceof Decision.Deny deny) {
            refuse(in, caller, spec.name(), "denied", deny.reason());
            if (spec.kind() == Kind.CHANGE) {
                // Someone tried to change something during an incident: the others should know.
                // Strangers (not in people) are collapsed, so they cannot flood the log and both feeds.
                incidents.denied(actor(in, caller), caller.person() == null ? personKey(in) : null,
                        line + " — " + deny.reason().replaceFirst("^denied: ", ""));
            }
            networks.react(in, false);
            return;
        }
        Plan plan;
        try {
            plan = planner.plan(binder.bind(spec, args));
        } catch (LookupException e) {
            refuse(in, caller, spec.name(), "invalid", e.getMessage());
            return;
        }
        Optional<String> slow = rate.take(RateLimiter.keyOf(caller.person() == null ? null : caller.person().name(), in.who()));
        if (slow.isPresent()) {
            refuse(in, caller, spec.name(), "rate-limited", slow.get());
            return;
        }
        if (spec.confirm()) {
            long id = store.record(attempt(in, caller, spec.name(), "awaiting-confirmation", null, hosts(plan)));
            Duration wait = cfg.bot().confirmTimeout();
            Optional<Pending> replaced = confirmations.hold(personKey(in),
                    Pending.of(in, line, plan, id, clock.instant().plus(wait)), wait);
            replaced.ifPresent(r -> store.complete(r.attemptId(), "cancelled", "replaced by a newer command",
                    r.hosts(), null, 0, null));
            networks.reply(in, Confirmations.prompt(plan, wait, replaced));
            return;
        }
        long id = store.record(attempt(in, caller, spec.name(), "running", null, hosts(plan)));
        if (spec.kind() == Kind.CHANGE) {
            openIfNone(in, caller, line);
        }
        execute(in, in, line, actor(in, caller), plan, id);
    }

    private void confirm(Inbound in, Caller caller, Venue venue, Request r) {
        Pending p;
        switch (confirmations.take(personKey(in))) {
            case Confirmations.Taken.Nothing n -> {
                for (Extension e : extensions) {
                    Optional<List<String>> taken = e.yes(r);
                    if (taken.isPresent()) {
                        networks.reply(in, taken.get());
                        return;
                    }
                }
                networks.reply(in, List.of("nothing to confirm for you here"));
                return;
            }
            case Confirmations.Taken.TooLate t -> {
                networks.reply(in, List.of("too late: " + t.pending().what() + " expired; not run"));
                return;
            }
            case Confirmations.Taken.Ready ready -> p = ready.pending();
        }
        // Through the door again: people and roles may have changed since the prompt, and only who asked confirms.
        Decision again = p.request().who().equals(in.who()) ? gate.authorize(in.who(), venue, p.ref())
                : new Decision.Deny("denied: only who asked may confirm it");
        if (again instanceof Decision.Deny deny) {
            store.complete(p.attemptId(), "denied", deny.reason(), p.hosts(), null, 0, null);
            networks.reply(in, List.of(deny.reason() + " · not run: " + p.what()));
            if (p.isChange()) {
                incidents.log(EntryKind.DENIED, actor(in, caller), p.line() + " — at confirmation: "
                        + deny.reason().replaceFirst("^denied: ", ""));
            }
            networks.react(p.request(), false);
            return;
        }
        log.info("{} confirmed #{}: {}", logSafe(caller.name()), p.attemptId(), logSafe(p.what()));
        if (p.onYes() != null) {
            store.complete(p.attemptId(), "confirmed", null, p.hosts(), null, 0, null);
            p.onYes().accept(in);
            return;
        }
        Actor who = actor(in, caller);
        if (p.isChange()) {
            openIfNone(in, caller, p.line());
        }
        incidents.log(EntryKind.CONFIRMED, who, p.line() + " → " + p.plan().describe());
        execute(in, p.request(), p.line(), who, p.plan(), p.attemptId());
    }

    /**
     * Holds an extension's action for its author's {@code !yes} (see {@link Toolbox#confirm}): the prompt is
     * shown now; on a timely {@code !yes} the door is asked again for {@code ref}, then {@code onYes} runs.
     */
    void hold(Request r, CommandRef ref, String what, Plan shown, List<String> prompt,
              java.util.function.Consumer<Inbound> onYes) {
        long id = store.record(attempt(r.in(), r.caller(), ref.name(), "awaiting-confirmation", null, Pending.hostsOf(shown)));
        Duration wait = cfg.bot().confirmTimeout();
        Optional<Pending> replaced = confirmations.hold(personKey(r.in()), new Pending(r.in(), r.line(), shown, id,
                clock.instant().plus(wait), ref, what, Pending.hostsOf(shown), onYes), wait);
        replaced.ifPresent(x -> store.complete(x.attemptId(), "cancelled", "replaced by a newer command", x.hosts(), null, 0, null));
        List<String> lines = new java.util.ArrayList<>();
        lines.add("confirm with !y within " + opsbot.config.Durations.format(wait) + ": " + what
                + replaced.map(x -> " (replaces your earlier " + x.ref().name() + ")").orElse(""));
        lines.addAll(prompt);
        networks.reply(r.in(), pager.page(personKey(r.in()), lines));
    }

    /**
     * A declared command line as typed ({@code srv c4 start}), for an extension acting as {@code who} in
     * {@code venue}: split, looked up, through the one door, bound and planned. Built-ins are refused: only
     * declared commands run later or in runbooks.
     */
    Toolbox.Planned plan(opsbot.commands.policy.Identity who, Venue venue, String line) {
        return plan(who, venue, line, CommandRef::of);
    }

    /** {@link #plan}, the door asked about {@code asked} made from the declared command (see {@link Toolbox#planAsBot}). */
    Toolbox.Planned plan(opsbot.commands.policy.Identity who, Venue venue, String line,
                         java.util.function.Function<CommandSpec, CommandRef> asked) {
        List<Tokenizer.Word> words;
        try {
            words = Tokenizer.split(line);
        } catch (ParseException e) {
            return new Toolbox.Planned.Refused("invalid", e.getMessage());
        }
        if (words.isEmpty()) {
            return new Toolbox.Planned.Refused("invalid", "no command given");
        }
        CommandCatalog.Lookup lookup = catalog.lookup(words.get(0).text());
        if (lookup instanceof CommandCatalog.Lookup.Unknown u) {
            return new Toolbox.Planned.Refused("invalid", u.message());
        }
        if (!(((CommandCatalog.Lookup.Found) lookup).command() instanceof CommandSpec spec)) {
            return new Toolbox.Planned.Refused("invalid", words.get(0).text() + " is a built-in; only declared commands can be scheduled");
        }
        Decision d;
        try {
            d = gate.authorize(who, venue, asked.apply(spec));
        } catch (RuntimeException e) {
            d = new Decision.Deny(Gate.BROKEN);
        }
        if (d instanceof Decision.Deny deny) {
            return new Toolbox.Planned.Refused("denied", deny.reason());
        }
        try {
            return new Toolbox.Planned.Ok(spec, planner.plan(binder.bind(spec, words.subList(1, words.size()))), shown(line));
        } catch (LookupException e) {
            return new Toolbox.Planned.Refused("invalid", e.getMessage());
        }
    }

    /** A change command with no incident open opens one, titled after the command, and says so. */
    void openIfNone(Inbound in, Caller caller, String line) {
        Incidents.Active a = incidents.ensureActive(line, actor(in, caller));
        if (a.opened()) {
            networks.reply(in, List.of("opened " + a.incident().tag() + " \"" + a.incident().title()
                    + "\": everything done now is logged there · !incident close SUMMARY when it is over"));
        }
    }

    /** The command as the incident log and its titles show it: as typed, bounded. */
    static String shown(String text) {
        String words = text.strip();
        return words.length() > 200 ? words.substring(0, 200) + "…" : words;
    }

    private void expired(Pending p) {
        store.complete(p.attemptId(), "expired", "not confirmed in time", p.hosts(), null, 0, null);
        networks.reply(p.request(), List.of("expired, not run: " + p.what()));
    }

    /**
     * Runs a plan on a virtual thread; replies to {@code in} (where it was asked or confirmed), reacts on the
     * {@code request} message, and logs the result into the active incident: every change command, and read
     * commands while an incident is open (what was seen matters as much as what was done).
     */
    private void execute(Inbound in, Inbound request, String line, Actor who, Plan plan, long attemptId) {
        boolean started = runs.start(() -> {
            try {
                long start = System.nanoTime();
                metrics.commands.labelValues(in.network(), plan.invocation().spec().kind().name().toLowerCase(java.util.Locale.ROOT)).inc();
                List<FanOut.StepResult> results = fanOut.run(plan);
                Duration took = Duration.ofNanos(System.nanoTime() - start);
                List<String> lines = ResultFormat.lines(plan, results, took);
                networks.reply(in, pager.page(personKey(in), lines));
                store.complete(attemptId, "ran", null, hosts(plan), ResultFormat.exitCodes(results), took.toMillis(),
                        ResultFormat.fullOutput(results));
                boolean ok = results.stream().allMatch(r -> r.result().ok());
                networks.react(request, ok);
                incidents.log(EntryKind.COMMAND, who, line + " → " + String.join("\n", lines));
            } catch (RuntimeException e) {
                log.error("execution of #{} failed", attemptId, e);
                networks.reply(in, List.of("internal error while running " + plan.describe() + " (logged)"));
            }
        });
        if (!started) {
            store.complete(attemptId, "busy", Runs.MAX + " commands in flight", hosts(plan), null, 0, null);
            networks.reply(in, List.of("busy: " + Runs.MAX + " commands in flight; not run: " + plan.describe()));
        }
    }

    private void refuse(Inbound in, Caller caller, String command, String decision, String reason) {
        if (decision.equals("denied")) metrics.denials.labelValues(in.network()).inc();
        store.record(attempt(in, caller, command, decision, reason, null));
        networks.reply(in, List.of(reason));
    }

    private Attempt attempt(Inbound in, Caller caller, String command, String decision, String reason, String hosts) {
        return new Attempt(0, Instant.now(clock), in.network(), in.channel(), in.nick(), in.account(),
                caller.person() == null ? null : caller.person().name(), in.text(), command, decision, reason, hosts,
                null, 0, null);
    }

    private static String hosts(Plan plan) {
        return String.join(",", plan.steps().stream().map(s -> s.host().name()).toList());
    }

    /** Confirmations and pages belong to one identity in one place. Anonymous senders are keyed by nick. */
    static String personKey(Inbound in) {
        return in.network() + "\u0000" + in.replyTarget() + "\u0000"
                + in.who().key();
    }

    /** Waits until every command started so far has finished (the demo's end of input, tests). */
    public void awaitIdle(Duration max) throws InterruptedException {
        lanes.awaitIdle(max);
        runs.awaitIdle(max);
    }

    /** Takes no more lines (those being handled finish); the first step of closing the bot. */
    public void stopHearing() {
        lanes.close();
    }

    @Override
    public void close() {
        lanes.close();
        confirmations.close();
        runs.close();
        incidents.close(); // after the commands: their results are still logged and shown
        outbox.close(); // sends what it can now; the rest after the next start
        networks.close();
        fanOut.close();
    }
}
