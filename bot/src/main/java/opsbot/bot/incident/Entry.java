package opsbot.bot.incident;

import java.time.Instant;

/**
 * One line of an incident's timeline, as stored.
 *
 * @param person  who did it (a person's name from the config, or a nick marked as unverified)
 * @param network where it happened ("irc", "matrix", "console"), or null for the bot itself
 * @param place   channel or room, or null
 * @param text    what happened; the first line is the summary, further lines are detail (output)
 */
public record Entry(long incidentId, int seq, Instant at, EntryKind kind, String person, String network, String place,
                    String text, String prevHash, String hash) {
    public String summary() {
        int nl = text.indexOf('\n');
        return nl < 0 ? text : text.substring(0, nl);
    }

    public String detail() {
        int nl = text.indexOf('\n');
        return nl < 0 ? "" : text.substring(nl + 1);
    }
}
