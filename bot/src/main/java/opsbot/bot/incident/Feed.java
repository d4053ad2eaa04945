package opsbot.bot.incident;

import opsbot.config.OpsbotConfig;

import java.util.ArrayList;
import java.util.List;

/** A channel or room that shows every incident entry: a thread per incident where the network has threads. */
public record Feed(String network, String target) {
    /** The incident channels and rooms the configuration names. */
    public static List<Feed> all(OpsbotConfig cfg) {
        List<Feed> f = new ArrayList<>();
        if (cfg.irc() != null) cfg.irc().incidentChannels().forEach(c -> f.add(new Feed("irc", c)));
        if (cfg.matrix() != null) cfg.matrix().incidentRooms().forEach(r -> f.add(new Feed("matrix", r)));
        return f;
    }

    /** Whether entries are shown as a thread here (Matrix) rather than one line each (IRC). */
    public boolean threaded() {
        return network.equals("matrix");
    }
}
