package opsbot.commands.policy;

import java.util.Objects;

/**
 * Who sent a line, as far as the network vouches for it. Built only by a network adapter, which alone knows
 * how its network establishes identity; the rest of opsbot never derives identity from a nick or from a
 * network's name. Only {@link IrcAccount}, {@link MatrixUser} and {@link Local} can belong to a person.
 */
public sealed interface Identity {
    /** Logged in to IRC services as {@code account} (from {@code account-tag}, a tracked account, or WHOIS). */
    record IrcAccount(String account) implements Identity {
        public IrcAccount {
            requireWord(account, "IRC account");
        }
    }

    /** A Matrix user; the homeserver vouches for the sender of every event. */
    record MatrixUser(String userId) implements Identity {
        public MatrixUser {
            requireWord(userId, "Matrix user ID");
        }
    }

    /** Someone the network does not vouch for: a nick is a name anyone can take, never identity. */
    record Anonymous(String network, String nick) implements Identity {
    }

    /**
     * The person at the console of the local demo: whoever types on the bot's own stdin already runs the bot.
     * No chat network can produce it.
     */
    record Local(String user) implements Identity {
        public Local {
            requireWord(user, "local user");
        }
    }

    /**
     * An IRC sender: the account if services vouch for one, else anonymous. A missing, blank or {@code *}
     * account (IRC's "not logged in") is anonymous.
     */
    static Identity irc(String network, String nick, String account) {
        return account == null || account.isBlank() || account.equals("*") ? new Anonymous(network, nick)
                : new IrcAccount(account);
    }

    /**
     * The verified account name for logs and the store's {@code account} column (the services account, the
     * Matrix user ID, the local user), or null when anonymous. Never a basis for a decision: use the type.
     */
    default String account() {
        return switch (this) {
            case IrcAccount a -> a.account();
            case MatrixUser m -> m.userId();
            case Local l -> l.user();
            case Anonymous a -> null;
        };
    }

    /**
     * A stable key for per-identity state (confirmations, pages). Kinds never collide: an IRC account
     * {@code @x:y} is not the Matrix user {@code @x:y}, and an anonymous nick is never an account.
     */
    default String key() {
        return switch (this) {
            case IrcAccount a -> "irc-account:" + a.account();
            case MatrixUser m -> "matrix:" + m.userId();
            case Local l -> "local:" + l.user();
            case Anonymous a -> "anonymous:" + a.network() + ":" + a.nick();
        };
    }

    /**
     * The identity {@link #key} was made from, for what is stored and acted on later as its author (a follow-up).
     *
     * @throws IllegalArgumentException for a key no identity makes
     */
    static Identity fromKey(String key) {
        int colon = key == null ? -1 : key.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("not an identity key: " + key);
        }
        String rest = key.substring(colon + 1);
        return switch (key.substring(0, colon)) {
            case "irc-account" -> new IrcAccount(rest);
            case "matrix" -> new MatrixUser(rest);
            case "local" -> new Local(rest);
            case "anonymous" -> {
                int c = rest.indexOf(':');
                if (c < 0) throw new IllegalArgumentException("not an identity key: " + key);
                yield new Anonymous(rest.substring(0, c), rest.substring(c + 1));
            }
            default -> throw new IllegalArgumentException("not an identity key: " + key);
        };
    }

    private static void requireWord(String s, String what) {
        Objects.requireNonNull(s, what);
        if (s.isBlank()) throw new IllegalArgumentException("blank " + what);
    }
}
