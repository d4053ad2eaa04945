package opsbot.bot.dispatch;

import opsbot.bot.chat.Inbound;
import opsbot.commands.model.Builtin;
import opsbot.commands.policy.Caller;
import opsbot.commands.policy.Venue;

import java.util.List;

/**
 * A command line the door allowed, as an {@link Extension} gets it.
 *
 * @param builtin the built-in, or null for an extension's own command word
 * @param word    the command word as typed
 * @param args    the words after it (quotes removed)
 * @param rest    the text after the command word as typed, stripped (free text: a reminder's words)
 * @param line    the command as typed, without prefix or addressing, bounded (what logs and titles show)
 */
public record Request(Inbound in, Caller caller, Venue venue, Builtin builtin, String word, List<String> args,
                      String rest, String line) {
    /** Confirmations and pages belong to one identity in one place. */
    public String personKey() {
        return Dispatcher.personKey(in);
    }
}
