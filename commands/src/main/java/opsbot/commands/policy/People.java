package opsbot.commands.policy;

import opsbot.config.Person;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Maps verified identities to configured people: an IRC services account to the person with that
 * {@code irc-account}, a Matrix user to the one with that {@code matrix-id}. Never a nick: anonymous
 * senders belong to nobody.
 */
public final class People {
    private final Map<String, Person> byIrcAccount = new HashMap<>();
    private final Map<String, Person> byMatrixId = new HashMap<>();
    private final Map<String, Person> byName = new HashMap<>();

    public People(List<Person> people) {
        for (Person p : people) {
            if (p.ircAccount() != null) byIrcAccount.put(p.ircAccount().toLowerCase(Locale.ROOT), p);
            if (p.matrixId() != null) byMatrixId.put(p.matrixId(), p);
            byName.put(p.name(), p);
        }
    }

    /** The person behind a verified identity, or null. */
    public Person find(Identity who) {
        return switch (who) {
            // services account names are case-insensitive on IRC networks
            case Identity.IrcAccount a -> byIrcAccount.get(a.account().toLowerCase(Locale.ROOT));
            case Identity.MatrixUser m -> byMatrixId.get(m.userId());
            case Identity.Local l -> byName.get(l.user());
            case Identity.Anonymous a -> null;
        };
    }
}
