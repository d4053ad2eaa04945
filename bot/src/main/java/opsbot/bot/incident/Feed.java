package opsbot.bot.incident;

/** A channel or room that shows every incident entry: a thread per incident where the network has threads. */
public record Feed(String network, String target) {
}
