package opsbot.commands.model;

import opsbot.config.Kind;
import opsbot.config.Role;

import java.util.List;

/**
 * Commands every opsbot has. Most only read (or act on the asker's own pending state), so anyone may use
 * them; {@link #role} says otherwise for the incident log. Incident subcommands that change the log
 * (open, close, use) need operator; the dispatcher's policy check says so before they run.
 */
public enum Builtin {
    HELP("help", List.of("?"), "help [COMMAND]", "what you may run here; help CMD for usage and flags"),
    HOSTS("hosts", List.of(), "hosts [@GROUP]", "the inventory: hosts, pairs, groups"),
    WHOAMI("whoami", List.of(), "whoami", "who opsbot thinks you are, and your role here"),
    MORE("more", List.of(), "more", "next page of your last long output in this channel"),
    YES("yes", List.of("y"), "yes", "confirm your pending command in this channel"),
    NO("no", List.of(), "no", "cancel your pending command in this channel"),
    PING("ping", List.of(), "ping", "is opsbot alive?"),
    INCIDENT("incident", List.of("inc"), "incident [open TITLE | list | close [SUMMARY] | use N | report [N] | verify [N]]",
            "the incident log: the active incident, or manage them"),
    NOTE("note", List.of(), "note TEXT", "add a note to the active incident", Role.OPERATOR),
    REMIND("remind", List.of(), "remind WHEN TEXT", "mention you here at WHEN (30m, 04:15) with TEXT", Role.OPERATOR),
    IN("in", List.of(), "in WHEN COMMAND…", "run COMMAND as you at WHEN (confirmed now, checked again then)", Role.OPERATOR),
    FOLLOWUPS("followups", List.of(), "followups", "pending follow-ups: id, due, who, what, where"),
    CANCEL("cancel", List.of(), "cancel ID", "cancel a follow-up (F12) or a runbook run (R3)", Role.OPERATOR),
    RUN("run", List.of(), "run ID", "run a follow-up now", Role.OPERATOR),
    SNOOZE("snooze", List.of(), "snooze ID DURATION", "push a follow-up back by DURATION", Role.OPERATOR),
    RUNBOOK("runbook", List.of("rb"), "runbook [status [ID]]", "runbooks: what is running, its steps and their results"),
    CHECKS("checks", List.of(), "checks [NAME]", "health checks: state, last and next run; NAME for its last result"),
    ALERTS("alerts", List.of(), "alerts [show ID]", "open and recently resolved alerts, active silences; show A12 for one"),
    SILENCE("silence", List.of(), "silence [source:|host:|key:]WHAT DURATION [REASON]",
            "keep alerts of a source, host or key quiet for DURATION (stored and listed, not said)", Role.OPERATOR, Kind.CHANGE),
    UNSILENCE("unsilence", List.of(), "unsilence ID", "lift a silence (S3) now", Role.OPERATOR, Kind.CHANGE),
    // issue 10: on duty. take and give are asked at the door as "duty take"/"duty give" (operator, or in the rotation)
    DUTY("duty", List.of(), "duty [take | give PERSON [until TIME]]", "who is on duty now and until when; take it, or give it"),
    ACK("ack", List.of(), "ack ID", "acknowledge an alert (A12): its pages stop until it resolves", Role.OPERATOR);

    public final String word;
    public final List<String> aliases;
    public final String usage;
    public final String help;
    /** Who may use it at all. */
    public final Role role;
    /** What the door sees: a change (silencing) is refused in a channel of shared trust. */
    public final Kind kind;

    Builtin(String word, List<String> aliases, String usage, String help) {
        this(word, aliases, usage, help, Role.VIEWER);
    }

    Builtin(String word, List<String> aliases, String usage, String help, Role role) {
        this(word, aliases, usage, help, role, Kind.READ);
    }

    Builtin(String word, List<String> aliases, String usage, String help, Role role, Kind kind) {
        this.kind = kind;
        this.word = word;
        this.aliases = aliases;
        this.usage = usage;
        this.help = help;
        this.role = role;
    }
}
