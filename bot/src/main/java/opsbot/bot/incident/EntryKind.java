package opsbot.bot.incident;

/** What an incident entry records. Stored by name: never rename a constant, add new ones. */
public enum EntryKind {
    OPENED("opened"),
    NOTE("note"),
    COMMAND("ran"),
    CONFIRMED("confirmed"),
    DENIED("denied"),
    CLOSED("closed"),
    REOPENED("reopened");

    /** The verb shown in chat and in the report. */
    public final String verb;

    EntryKind(String verb) {
        this.verb = verb;
    }
}
