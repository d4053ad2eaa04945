package opsbot.commands.policy;

import opsbot.config.Person;
import opsbot.config.Role;

/**
 * Who sent a line, as established by the network adapter from services accounts or Matrix user IDs.
 *
 * @param display  what to call them in replies (their nick); never used for identity
 * @param account  the verified account (IRC services account or Matrix user ID), or null if anonymous
 * @param person   the configured person that account belongs to, or null
 */
public record Caller(String display, String account, Person person) {
    public Role role() {
        return person == null ? Role.VIEWER : person.role();
    }

    public boolean anonymous() {
        return account == null;
    }

    /** The name for logs and the incident thread: the person's name, else the account, else the nick (marked). */
    public String name() {
        if (person != null) return person.name();
        if (account != null) return account;
        return display + " (not logged in)";
    }
}
