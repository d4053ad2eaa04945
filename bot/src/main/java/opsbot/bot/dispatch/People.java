package opsbot.bot.dispatch;

import opsbot.config.Person;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Maps verified network identities to configured people. Matrix IDs on "matrix", services accounts elsewhere. */
public final class People {
    private final Map<String, Person> byIrcAccount = new HashMap<>();
    private final Map<String, Person> byMatrixId = new HashMap<>();

    public People(List<Person> people) {
        for (Person p : people) {
            if (p.ircAccount() != null) byIrcAccount.put(p.ircAccount().toLowerCase(Locale.ROOT), p);
            if (p.matrixId() != null) byMatrixId.put(p.matrixId(), p);
        }
    }

    /** The person behind a verified account, or null. Anonymous (null account) is always null. */
    public Person find(String network, String account) {
        if (account == null) {
            return null;
        }
        return network.startsWith("matrix") ? byMatrixId.get(account)
                // services account names are case-insensitive on IRC networks
                : byIrcAccount.get(account.toLowerCase(Locale.ROOT));
    }
}
