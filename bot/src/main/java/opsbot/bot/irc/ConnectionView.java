package opsbot.bot.irc;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What the reader thread knows of one connection from its raw lines alone, in the order read: the capabilities
 * acknowledged (CAP ACK, DEL), the bot's own nick (the target of 001, then its own NICK changes), and the
 * channels it is in (its own JOIN, PART, KICK). Kitteh learns the same things later, on its input thread; the
 * reader's fast path ({@link IrcNetwork}) must not depend on that lagging state, or a line Kitteh has not
 * handled yet could be overtaken by a later one. One per connection, used by its reader thread only: a
 * connection starts knowing nothing, so nothing of an earlier connection (such as a late 004) can open the
 * fast path on a new one.
 *
 * <p>{@link #tagTrusted()}: {@code account-tag} was acknowledged when the connection registered (001) and
 * has not been withdrawn since (CAP DEL, or an ACK of {@code -account-tag}). Once withdrawn, it stays off for
 * the rest of the connection, even if the server offers it again: lines then go through Kitteh, and a
 * reconnect starts afresh.
 */
final class ConnectionView {
    static final String ACCOUNT_TAG = "account-tag";

    private final Set<String> acked = new HashSet<>();
    private final Map<String, String> joined = new HashMap<>();
    private String nick;
    private boolean tagTrusted;
    private boolean tagWithdrawn;

    /** The bot's nick on this connection once registered, else null. */
    String nick() {
        return nick;
    }

    boolean tagTrusted() {
        return tagTrusted;
    }

    /** The channel as the server named it at the bot's JOIN, or null when the bot is not in it. */
    String joined(String channel) {
        return joined.get(channel.toLowerCase(Locale.ROOT));
    }

    /** Takes what the line says about the connection; other lines are passed over after a glance at their command. */
    void see(String raw) {
        String command = IrcLines.command(raw);
        if (command == null) {
            return;
        }
        switch (command.toUpperCase(Locale.ROOT)) {
            case "CAP", "001", "NICK", "JOIN", "PART", "KICK" -> update(command.toUpperCase(Locale.ROOT), IrcLines.senderNick(raw),
                    IrcLines.params(raw));
            default -> {
            }
        }
    }

    private void update(String command, String from, List<String> p) {
        boolean self = nick != null && from != null && from.equalsIgnoreCase(nick);
        switch (command) {
            case "CAP" -> { // CAP target ACK|DEL [*] :caps
                if (p.size() < 3) return;
                String sub = p.get(1).toUpperCase(Locale.ROOT);
                for (String cap : p.get(p.size() - 1).split(" ")) {
                    if (cap.isEmpty()) continue;
                    boolean off = cap.startsWith("-");
                    String name = (off ? cap.substring(1) : cap).split("=", 2)[0].toLowerCase(Locale.ROOT);
                    if (sub.equals("ACK") && !off) {
                        acked.add(name);
                    } else if (sub.equals("ACK") || sub.equals("DEL")) {
                        acked.remove(name);
                        if (name.equals(ACCOUNT_TAG)) {
                            tagWithdrawn = true;
                            tagTrusted = false;
                        }
                    }
                }
            }
            case "001" -> { // 001 nick :Welcome
                if (!p.isEmpty()) {
                    nick = p.get(0);
                    tagTrusted = acked.contains(ACCOUNT_TAG) && !tagWithdrawn;
                }
            }
            case "NICK" -> {
                if (self && !p.isEmpty()) nick = p.get(0);
            }
            case "JOIN" -> {
                if (self && !p.isEmpty()) {
                    for (String ch : p.get(0).split(",")) joined.put(ch.toLowerCase(Locale.ROOT), ch);
                }
            }
            case "PART" -> {
                if (self && !p.isEmpty()) {
                    for (String ch : p.get(0).split(",")) joined.remove(ch.toLowerCase(Locale.ROOT));
                }
            }
            case "KICK" -> { // KICK channel victim :reason
                if (nick != null && p.size() >= 2) {
                    List<String> channels = List.of(p.get(0).split(","));
                    List<String> victims = List.of(p.get(1).split(","));
                    for (int i = 0; i < victims.size(); i++) {
                        if (victims.get(i).equalsIgnoreCase(nick)) {
                            joined.remove(channels.get(Math.min(i, channels.size() - 1)).toLowerCase(Locale.ROOT));
                        }
                    }
                }
            }
            default -> {
            }
        }
    }

    /** For tests: the channels the bot is in on this connection. */
    List<String> channels() {
        return new ArrayList<>(joined.values());
    }
}
