package opsbot.commands.policy;

import opsbot.config.Person;
import opsbot.config.Role;

/**
 * Who sent a line: the identity the network adapter established, and the configured person it belongs to.
 *
 * @param display  what to call them in replies (their nick); never used for identity
 * @param identity as the network vouches for it
 * @param person   the configured person that identity belongs to, or null
 */
public record Caller(String display, Identity identity, Person person) {
    public Role role() {
        return person == null ? Role.VIEWER : person.role();
    }

    /** Not vouched for by the network (a missing identity counts as anonymous). */
    public boolean anonymous() {
        return identity == null || identity instanceof Identity.Anonymous;
    }

    /** The verified account (IRC services account, Matrix user ID), or null if anonymous. */
    public String account() {
        return identity == null ? null : identity.account();
    }

    /** The name for logs and the incident thread: the person's name, else the account, else the nick (marked). */
    public String name() {
        if (person != null) return person.name();
        if (account() != null) return account();
        return display + " (not logged in)";
    }
}
