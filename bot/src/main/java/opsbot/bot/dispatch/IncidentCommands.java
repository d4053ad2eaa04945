package opsbot.bot.dispatch;

import opsbot.bot.incident.Actor;
import opsbot.bot.incident.EntryKind;
import opsbot.bot.incident.Incident;
import opsbot.bot.incident.Incidents;
import opsbot.bot.incident.Report;
import opsbot.bot.incident.Verification;
import opsbot.commands.policy.CommandRef;
import opsbot.config.Kind;
import opsbot.config.Role;

import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * {@code !incident …} and {@code !note}: terse answers for a phone. Reading the log is for everyone who may
 * see the channel; changing it (open, close, use, notes) needs operator. Nothing here checks permissions:
 * the dispatcher's one door does, with {@link #ref} (each subcommand's own role), before any of it runs.
 */
final class IncidentCommands {
    private static final DateTimeFormatter HM = DateTimeFormatter.ofPattern("HH:mm");
    private final Incidents incidents;
    private final ZoneId zone;

    /** Every subcommand, with the least role that may use it: a new one cannot be added without saying. */
    enum Sub {
        ACTIVE(Role.VIEWER, ""), LIST(Role.VIEWER, "list", "ls"), OPEN(Role.OPERATOR, "open", "new"),
        CLOSE(Role.OPERATOR, "close"), USE(Role.OPERATOR, "use"), REPORT(Role.VIEWER, "report"),
        VERIFY(Role.VIEWER, "verify");

        final Role role;
        final List<String> words;

        Sub(Role role, String... words) {
            this.role = role;
            this.words = List.of(words);
        }

        /** As the policy sees it (and denials quote it): e.g. {@code incident open}. */
        CommandRef ref() {
            return new CommandRef(this == ACTIVE ? "incident" : "incident " + words.get(0), Kind.READ, role);
        }

        static Optional<Sub> of(String sub) {
            for (Sub s : values()) {
                if (s.words.contains(sub)) return Optional.of(s);
            }
            return Optional.empty();
        }
    }

    IncidentCommands(Incidents incidents, ZoneId zone) {
        this.incidents = incidents;
        this.zone = zone;
    }

    /**
     * What {@code !incident REST} asks for, for the door; {@code rest} as given to {@link #incident}. A word
     * that is no subcommand runs nothing but the usage line, which anyone may read.
     */
    static CommandRef ref(String rest) {
        return Sub.of(subWord(rest)).map(Sub::ref).orElse(new CommandRef("incident", Kind.READ, Role.VIEWER));
    }

    private static String subWord(String rest) {
        return rest.strip().split("\\s+", 2)[0].toLowerCase(Locale.ROOT);
    }

    /**
     * {@code rest} is everything after the command word, as typed (quotes and all: titles are free text).
     * Call only after the door allowed {@link #ref}{@code (rest)}.
     */
    List<String> incident(Actor who, String rest) {
        String[] w = rest.strip().split("\\s+", 2);
        String sub = subWord(rest);
        String arg = w.length > 1 ? w[1].strip() : "";
        Optional<Sub> s = Sub.of(sub);
        if (s.isEmpty()) {
            return List.of("unknown: incident " + sub + "; try: incident [open TITLE | list | close [SUMMARY] | use N"
                    + " | report [N] | verify [N]]");
        }
        return switch (s.get()) {
            case ACTIVE -> active();
            case LIST -> list();
            case OPEN -> open(who, arg);
            case CLOSE -> close(who, arg);
            case USE -> use(who, arg);
            case REPORT -> report(arg);
            case VERIFY -> verify(arg);
        };
    }

    /** A note into {@code into} if given (the thread it was typed in), else into the active incident. */
    List<String> note(Actor who, String text, Optional<Incident> into) {
        if (text.isBlank()) {
            return List.of("usage: note TEXT");
        }
        Optional<Incident> a = into.or(incidents::active);
        if (a.isEmpty()) {
            return List.of("no incident open; open one with !incident open TITLE");
        }
        incidents.log(a.get(), EntryKind.NOTE, who, text.strip());
        return List.of("noted in " + a.get().tag());
    }

    private List<String> active() {
        Optional<Incident> a = incidents.active();
        if (a.isEmpty()) {
            return List.of("no incident open · !incident open TITLE, or any change command opens one");
        }
        int open = (int) incidents.list(0).stream().filter(Incident::isOpen).count();
        return List.of(describe(a.get()) + (open > 1 ? " · " + (open - 1) + " more open: !incident list" : ""));
    }

    private List<String> list() {
        List<Incident> all = incidents.list(5);
        if (all.isEmpty()) {
            return List.of("no incidents yet");
        }
        Long active = incidents.active().map(Incident::id).orElse(null);
        List<String> out = new ArrayList<>();
        for (Incident i : all) {
            out.add((Long.valueOf(i.id()).equals(active) ? "* " : "  ") + describe(i));
        }
        return out;
    }

    private String describe(Incident i) {
        String since = HM.format(i.openedAt().atOffset(ZoneOffset.UTC)) + " UTC";
        return i.tag() + " \"" + i.title() + "\" · " + (i.isOpen() ? "open since " + since
                : "closed " + HM.format(i.closedAt().atOffset(ZoneOffset.UTC)) + " UTC") + " · " + i.entries() + " entries";
    }

    private List<String> open(Actor who, String title) {
        if (title.isBlank()) {
            return List.of("usage: incident open TITLE (what is wrong, in a few words)");
        }
        Incident i = incidents.open(title, who);
        return List.of("opened " + i.tag() + " \"" + i.title() + "\"; it is active: every action is logged there");
    }

    private List<String> close(Actor who, String summary) {
        Optional<Incident> a = incidents.active();
        if (a.isEmpty()) {
            return List.of("no incident open");
        }
        Incident c = incidents.close(a.get(), who, summary);
        Optional<Incident> next = incidents.active();
        return List.of("closed " + c.tag() + " after " + c.entries() + " entries"
                + (summary.isBlank() ? " (no summary: add one with !incident use " + c.id() + " and !note)" : "")
                + next.map(n -> " · active now: " + n.tag()).orElse(""));
    }

    private List<String> use(Actor who, String arg) {
        Optional<Long> id = Incident.number(arg);
        if (id.isEmpty()) {
            return List.of("usage: incident use N (e.g. incident use 7)");
        }
        Optional<Incident> i = incidents.find(id.get());
        if (i.isEmpty()) {
            return List.of("no incident " + Incident.tag(id.get()));
        }
        boolean reopen = !i.get().isOpen();
        Incident now = incidents.use(i.get(), who);
        return List.of((reopen ? "reopened " : "now active: ") + now.tag() + " \"" + now.title() + "\"");
    }

    private List<String> report(String arg) {
        Optional<Incident> i = target(arg);
        if (i.isEmpty()) {
            return List.of(arg.isBlank() ? "no incident open; incident report N for an older one" : "no such incident: " + arg);
        }
        return Report.shortForm(i.get(), incidents.store().entries(i.get().id()), zone);
    }

    private List<String> verify(String arg) {
        if (arg.isBlank()) {
            List<String> broken = new ArrayList<>();
            List<Long> ids = incidents.store().ids();
            for (long id : ids) {
                Verification v = incidents.store().verify(id);
                if (!(v instanceof Verification.Intact)) broken.add(v.describe());
            }
            return broken.isEmpty() ? List.of("all " + ids.size() + " incident chains intact") : broken;
        }
        Optional<Long> id = Incident.number(arg);
        return id.isEmpty() ? List.of("usage: incident verify [N]") : List.of(incidents.store().verify(id.get()).describe());
    }

    private Optional<Incident> target(String arg) {
        if (arg.isBlank()) return incidents.active();
        return Incident.number(arg).flatMap(incidents::find);
    }

}
