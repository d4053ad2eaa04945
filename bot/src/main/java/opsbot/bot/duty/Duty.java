package opsbot.bot.duty;

import opsbot.bot.alerts.Alert;
import opsbot.bot.alerts.AlertBook;
import opsbot.bot.alerts.AlertListener;
import opsbot.bot.dispatch.Dispatcher;
import opsbot.bot.dispatch.Extension;
import opsbot.bot.dispatch.Request;
import opsbot.bot.dispatch.Toolbox;
import opsbot.bot.incident.EntryKind;
import opsbot.bot.outbox.Target;
import opsbot.bot.schedule.Schedule;
import opsbot.bot.schedule.Times;
import opsbot.bot.schedule.When;
import opsbot.commands.model.Builtin;
import opsbot.commands.model.Sanitize;
import opsbot.commands.policy.CommandRef;
import opsbot.commands.policy.Identity;
import opsbot.config.Kind;
import opsbot.config.OpsbotConfig;
import opsbot.config.Person;
import opsbot.config.Role;
import opsbot.config.Trust;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * On duty: the roster ({@code !duty}, {@code !duty take}, {@code !duty give PERSON [until TIME]}), pages for alerts
 * at or above {@code duty.page-at} with their escalation ({@link Escalation}), and {@code !ack A12}.
 *
 * <p>Who may: {@code !duty} anyone who may read here; {@code take} and {@code give} are asked at the one door as
 * {@code duty take} / {@code duty give}, needing operator, or viewer for someone in the rotation; {@code !ack} needs
 * operator (its built-in's role), and is taken where the alert was said, in an ops channel or in private.
 */
public final class Duty implements Extension, AlertListener {
    private static final Logger log = LoggerFactory.getLogger(Duty.class);
    private static final Pattern ALERT_ID = Pattern.compile("[Aa][0-9]{1,18}");

    private final Toolbox tools;
    private final AlertBook book;
    /** Null when the config has no duty section: nobody is paged, {@code !ack} still acknowledges. */
    private final Roster roster;
    private final Escalation escalation;

    private Duty(Toolbox tools, Schedule schedule, AlertBook book) {
        this.tools = tools;
        this.book = book;
        OpsbotConfig cfg = tools.cfg();
        this.roster = cfg.duty() == null ? null : new Roster(cfg.duty(), cfg.duty().zone(cfg.bot()));
        this.escalation = roster == null ? null : new Escalation(tools, schedule, cfg.duty(), roster);
    }

    /**
     * Registers the page timers, the chat commands and the alert listener; before the schedule starts (pages that
     * fell due while the bot was down then fire at start, once). {@code book} null: no alerts in this bot.
     */
    public static Duty install(OpsbotConfig cfg, Dispatcher dispatcher, Schedule schedule, AlertBook book) {
        Duty d = new Duty(dispatcher.toolbox(), schedule, book);
        if (d.escalation != null) d.escalation.install();
        if (book != null) book.listen(d);
        dispatcher.extend(d);
        return d;
    }

    /** The pages' engine, or null without a rotation (for tests). */
    Escalation escalation() {
        return escalation;
    }

    // ---- alert listener: inside the alert's transaction -------------------------------------------------------

    @Override
    public void opened(Connection db, Alert a) throws SQLException {
        if (escalation != null) escalation.opened(db, a);
    }

    /** An alert that opened below page-at and was raised to it pages now (one with a page in progress is skipped). */
    @Override
    public void raised(Connection db, Alert a) throws SQLException {
        if (escalation != null && a.state() == Alert.State.OPEN) escalation.opened(db, a);
    }

    @Override
    public void acknowledged(Connection db, Alert a) throws SQLException {
        if (escalation != null) escalation.stop(db, a.id(), "acknowledged by " + nameOf(a.ackedBy()));
    }

    @Override
    public void silenced(Connection db, Alert a) throws SQLException {
        if (escalation != null) escalation.stop(db, a.id(), "silenced");
    }

    @Override
    public void resolved(Connection db, Alert a) throws SQLException {
        if (escalation != null) escalation.stop(db, a.id(), "resolved");
    }

    // ---- chat ---------------------------------------------------------------------------------------------------

    @Override
    public Set<Builtin> answers() {
        return Set.of(Builtin.DUTY, Builtin.ACK);
    }

    /** {@code duty take} and {@code duty give}: operator, or anyone in the rotation (viewer); the rest as the built-in. */
    @Override
    public Optional<CommandRef> ref(Builtin b, Identity who, String rest) {
        if (b != Builtin.DUTY) return Optional.empty();
        String sub = rest.strip().split("\\s+", 2)[0].toLowerCase(Locale.ROOT);
        if (!sub.equals("take") && !sub.equals("give")) return Optional.empty();
        Person p = tools.people().find(who);
        boolean inRotation = roster != null && p != null && roster.inRotation(p.name()).isPresent();
        return Optional.of(new CommandRef("duty " + sub, Kind.READ, inRotation ? Role.VIEWER : Role.OPERATOR));
    }

    @Override
    public List<String> answer(Request r) {
        try {
            return switch (r.builtin()) {
                case DUTY -> duty(r);
                case ACK -> ack(r);
                default -> List.of(r.builtin().word + ": not a duty command");
            };
        } catch (IllegalArgumentException e) {
            return List.of(e.getMessage());
        }
    }

    private List<String> duty(Request r) {
        if (roster == null) return List.of("duty: no rotation in this opsbot's config");
        String sub = r.args().isEmpty() ? "" : r.args().get(0).toLowerCase(Locale.ROOT);
        return switch (sub) {
            case "" -> List.of(show(r));
            case "take" -> r.args().size() == 1 ? take(r) : usage();
            case "give" -> give(r);
            default -> usage();
        };
    }

    private static List<String> usage() {
        return List.of("usage: " + Builtin.DUTY.usage + " (e.g. !duty give bob until 18:00)");
    }

    /** {@code !duty}: primary and secondary now, until when (asker's zone and UTC), and who comes next. */
    private String show(Request r) {
        Instant now = tools.clock().instant();
        Roster.Turn t = turn(now);
        Roster.Turn next = roster.rotation(t.until());
        String by = t.override() == null ? "" : " (" + (t.override().how().equals("take") ? "took it" : "given by "
                + t.override().by()) + ")";
        return "on duty: " + t.primary() + by + " primary" + (t.secondary() == null ? "" : ", " + t.secondary() + " secondary")
                + " until " + Times.both(t.until(), zoneOf(r), now) + "; then " + next.primary()
                + (next.secondary() == null ? "" : " and " + next.secondary()) + " (rotation " + roster.describe() + ")";
    }

    /** {@code !duty take}: the asker is primary until the next handoff; the one who was becomes secondary. */
    private List<String> take(Request r) {
        Person me = r.caller().person();
        if (me == null || roster.inRotation(me.name()).isEmpty()) {
            return List.of("you are not in the duty rotation (" + String.join(", ", roster.people()) + "); !duty give PERSON instead");
        }
        Instant now = tools.clock().instant();
        return change(r, roster.inRotation(me.name()).get(), roster.nextHandoff(now), "take", null, now);
    }

    /** {@code !duty give PERSON [until TIME]}: TIME in the asker's zone; by default the next handoff. */
    private List<String> give(Request r) {
        List<String> a = r.args();
        if (a.size() != 2 && !(a.size() == 4 && a.get(2).equalsIgnoreCase("until"))) return usage();
        Optional<String> to = roster.inRotation(a.get(1));
        if (to.isEmpty()) {
            return List.of(Sanitize.forLog(a.get(1)) + " is not in the duty rotation (" + String.join(", ", roster.people())
                    + "); only they can be given duty");
        }
        Instant now = tools.clock().instant();
        Instant until = roster.nextHandoff(now);
        String note = null;
        if (a.size() == 4) {
            When.Due due = When.parse(a.get(3), now, zoneOf(r));
            until = due.at();
            note = due.note();
        }
        return change(r, to.get(), until, "give", note, now);
    }

    /** Stores the override (the previous primary becomes secondary), says it here and logs it into the incident. */
    private List<String> change(Request r, String primary, Instant until, String how, String note, Instant now) {
        String by = r.caller().name();
        record Changed(Roster.Turn before, Roster.Override made) {
        }
        Changed c = tools.store().transaction("change who is on duty", db -> {
            Roster.Turn before = roster.at(now, Overrides.at(db, now));
            if (before.primary().equals(primary) && !before.until().isBefore(until)) return new Changed(before, null);
            String secondary = before.primary().equals(primary) ? before.secondary() : before.primary();
            return new Changed(before, Overrides.add(db, primary, secondary, now, until, how, by, r.in().network(),
                    r.in().channel() == null ? "private" : r.in().channel()));
        });
        ZoneId zone = zoneOf(r);
        if (c.made() == null) {
            return List.of(primary + " is primary already, until " + Times.both(c.before().until(), zone, now));
        }
        Roster.Override o = c.made();
        String verb = how.equals("take") ? "took primary duty from " + c.before().primary()
                : "was given primary duty by " + by + " (was " + c.before().primary() + ")";
        String line = o.primary() + " " + verb + " until " + Times.both(until, zone, now)
                + (o.secondary() == null ? "" : "; " + o.secondary() + " is secondary") + (note == null ? "" : " (" + note + ")");
        log.info("duty: {} {} until {} (by {})", o.primary(), how, until, Sanitize.forLog(by));
        try {
            tools.incidents().log(EntryKind.NOTE, tools.actor(r), "duty: " + o.primary() + " " + verb + " until "
                    + Times.both(until, roster.zone(), now) + (o.secondary() == null ? "" : "; " + o.secondary() + " secondary"));
        } catch (RuntimeException e) {
            log.error("duty: cannot log the change into the incident", e);
        }
        return List.of(line);
    }

    // ---- ack ----------------------------------------------------------------------------------------------------

    private sealed interface Acked {
        record Done(Alert alert, int stopped) implements Acked {
        }

        record No(String why) implements Acked {
        }
    }

    /** {@code !ack A12}: acknowledged and its pages stopped in one transaction, or why not. */
    private List<String> ack(Request r) {
        if (r.args().size() != 1) return List.of("usage: " + Builtin.ACK.usage + " (e.g. !ack A12)");
        String word = r.args().get(0);
        if (!ALERT_ID.matcher(word).matches()) return List.of("\"" + Sanitize.forLog(word) + "\" is not an alert id (A12)");
        String id = word.toUpperCase(Locale.ROOT);
        if (book == null) return List.of("ack: no alerts in this opsbot");
        Instant now = tools.clock().instant();
        String who = r.caller().name();
        Acked result = tools.store().transaction("acknowledge an alert", db -> {
            Optional<Alert> found = book.find(db, id);
            if (found.isEmpty()) return new Acked.No("no alert " + id + " (see !alerts)");
            Alert a = found.get();
            if (!saidHere(r, a)) {
                return new Acked.No(id + " was said in " + places(a) + "; acknowledge it there, in an ops channel or in private");
            }
            Optional<String> not = notOpen(a);
            if (not.isPresent()) return new Acked.No(not.get());
            Optional<Alert> acked = book.acknowledge(db, a.id(), r.in().who().key(), now);
            if (acked.isEmpty()) {
                return new Acked.No(book.find(db, id).flatMap(this::notOpen).orElse(id + " could not be acknowledged"));
            }
            // The listener stops them too (it is told in this transaction); stopped here as well, whatever the book does.
            int stopped = escalation == null ? 0 : escalation.stop(db, a.id(), "acknowledged by " + who);
            return new Acked.Done(acked.get(), stopped);
        });
        return switch (result) {
            case Acked.No no -> List.of(no.why());
            case Acked.Done done -> {
                log.info("duty: {} acknowledged by {}", id, Sanitize.forLog(who));
                try {
                    tools.incidents().log(EntryKind.NOTE, tools.actor(r), id + " acknowledged by " + who + " ("
                            + done.alert().source() + ": " + done.alert().summary() + "); no more pages until it resolves");
                } catch (RuntimeException e) {
                    log.error("duty: cannot log the ack into the incident", e);
                }
                yield List.of(id + " acknowledged by " + who + ": no more pages until it resolves");
            }
        };
    }

    /** Why an alert cannot be acknowledged: resolved, or acknowledged already (by whom); empty when open. */
    private Optional<String> notOpen(Alert a) {
        return switch (a.state()) {
            case OPEN -> Optional.empty();
            case RESOLVED -> Optional.of(a.shortId() + " is resolved; nothing to acknowledge");
            case ACKNOWLEDGED -> Optional.of(a.shortId() + " is acknowledged already, by " + nameOf(a.ackedBy()));
        };
    }

    /** Where the page was said (one of the alert's places), an ops channel, or a private message. */
    private static boolean saidHere(Request r, Alert a) {
        if (r.venue().isPrivate() || r.venue().trust() == Trust.OPS) return true;
        for (Target t : a.targets()) {
            if (t.network().equals(r.in().network()) && t.place().equalsIgnoreCase(r.in().channel())) return true;
        }
        return false;
    }

    private static String places(Alert a) {
        List<String> ps = a.targets().stream().map(Target::place).distinct().limit(3).toList();
        return ps.isEmpty() ? "no channel" : String.join(", ", ps);
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private Roster.Turn turn(Instant now) {
        return roster.at(now, tools.store().transaction("read the duty overrides", db -> Overrides.at(db, now)));
    }

    /** A person's name for an identity key ({@code irc-account:alice}), else the account. */
    private String nameOf(String identityKey) {
        if (identityKey == null) return "someone";
        try {
            Identity id = Identity.fromKey(identityKey);
            Person p = tools.people().find(id);
            return p != null ? p.name() : id.account() != null ? id.account() : identityKey;
        } catch (IllegalArgumentException e) {
            return identityKey; // an identity of the sender's (e.g. intake:pagerduty)
        }
    }

    private ZoneId zoneOf(Request r) {
        return r.caller().person() != null ? r.caller().person().zone(tools.cfg().bot()) : tools.cfg().bot().timezone();
    }
}
