package opsbot.commands.model;

import java.util.List;

/** Commands every opsbot has. They only read (or act on the asker's own pending state), so anyone may use them. */
public enum Builtin {
    HELP("help", List.of("?"), "help [COMMAND]", "what you may run here; help CMD for usage and flags"),
    HOSTS("hosts", List.of(), "hosts [@GROUP]", "the inventory: hosts, pairs, groups"),
    WHOAMI("whoami", List.of(), "whoami", "who opsbot thinks you are, and your role here"),
    MORE("more", List.of(), "more", "next page of your last long output in this channel"),
    YES("yes", List.of("y"), "yes", "confirm your pending command in this channel"),
    NO("no", List.of(), "no", "cancel your pending command in this channel"),
    PING("ping", List.of(), "ping", "is opsbot alive?");

    public final String word;
    public final List<String> aliases;
    public final String usage;
    public final String help;

    Builtin(String word, List<String> aliases, String usage, String help) {
        this.word = word;
        this.aliases = aliases;
        this.usage = usage;
        this.help = help;
    }
}
