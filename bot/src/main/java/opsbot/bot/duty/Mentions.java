package opsbot.bot.duty;

import opsbot.bot.chat.ChatNetwork;
import opsbot.bot.chat.Message;
import opsbot.commands.policy.Identity;
import opsbot.config.Person;

import java.util.ArrayList;
import java.util.List;

/**
 * People named so that their network notifies them, as the network knows them now: on IRC the nick their services
 * account has at this moment ({@link ChatNetwork#nameOf}), on Matrix a pill with {@code m.mentions}
 * ({@link ChatNetwork#mention}). Several people in one line (everyone in the rotation) are each rendered by the
 * network and joined.
 */
final class Mentions {
    private Mentions() {
    }

    /** The identity {@code p} has on the network named {@code network}, or null when they have none there. */
    static Identity on(String network, Person p) {
        return switch (network) {
            case "irc" -> p.ircAccount() == null ? null : new Identity.IrcAccount(p.ircAccount());
            case "matrix" -> p.matrixId() == null ? null : new Identity.MatrixUser(p.matrixId());
            case "console" -> new Identity.Local(p.name());
            default -> null;
        };
    }

    /**
     * {@code text} addressed to {@code who} on {@code network} ({@code net} null: not attached, plain names). A
     * person the network does not see (IRC: not in a channel with the bot) is named by their account, which is
     * usually their nick.
     */
    static Message render(ChatNetwork net, String network, List<Person> who, String text) {
        return render(net, network, who, 0, text);
    }

    /** As {@link #render(ChatNetwork, String, List, String)}, and {@code +more} after the names when more > 0. */
    static Message render(ChatNetwork net, String network, List<Person> who, int more, String text) {
        if (who.size() == 1 && more == 0 && net != null) {
            Identity id = on(network, who.get(0));
            if (id != null) return net.mention(id, fallback(network, who.get(0)), text);
        }
        List<String> plain = new ArrayList<>();
        List<String> html = new ArrayList<>();
        boolean anyHtml = false;
        for (Person p : who) {
            Identity id = net == null ? null : on(network, p);
            if (id == null) {
                plain.add(fallback(network, p));
                html.add(esc(fallback(network, p)));
                continue;
            }
            // The network's own rendering of "name: " with nothing after it; its name part is what we join.
            Message m = net.mention(id, fallback(network, p), "");
            plain.add(strip(m.plain()));
            html.add(m.html() == null ? esc(strip(m.plain())) : strip(m.html()));
            anyHtml |= m.html() != null;
        }
        String rest = more > 0 ? " +" + more : "";
        String body = String.join(", ", plain) + rest + ": " + text;
        return new Message(body, anyHtml ? String.join(", ", html) + rest + ": " + esc(text).replace("\n", "<br>") : null);
    }

    /** How to name {@code p} when the network cannot say better: their account there, else their name. */
    static String fallback(String network, Person p) {
        String s = switch (network) {
            case "irc" -> p.ircAccount();
            case "matrix" -> p.matrixId();
            default -> null;
        };
        return s != null ? s : p.name();
    }

    private static String strip(String s) {
        String t = s.stripTrailing();
        return t.endsWith(":") ? t.substring(0, t.length() - 1) : t;
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
