package opsbot.commands.policy;

import opsbot.config.Kind;
import opsbot.config.Role;
import opsbot.config.Trust;

/**
 * The rules that decide whether someone may run something somewhere. They are asked through the one door,
 * {@link Gate}, in front of every command (built-in, incident or declared); commands themselves never
 * check permissions.
 *
 * <p>Rules: the person's role must reach the command's role (anonymous senders are viewers, whatever
 * their nick); change commands need a channel of {@code ops} trust; private messages are for known
 * people only, when the config allows them at all, and count as ops trust.
 */
public final class Policy {
    private final boolean privateMessages;

    public Policy(boolean privateMessages) {
        this.privateMessages = privateMessages;
    }

    public Decision decide(Caller caller, Venue venue, CommandRef what) {
        String command = what.name();
        Role needed = what.role();
        if (venue.isPrivate()) {
            if (!privateMessages) {
                return new Decision.Deny("denied: private commands are off here; ask in the ops channel");
            }
            if (caller.person() == null) {
                return new Decision.Deny("denied: private commands are for known people"
                        + (caller.anonymous() ? "; you are not logged in to services" : "; ask an admin to add you"));
            }
        }
        if (!caller.role().atLeast(needed)) {
            String who = caller.anonymous() ? "you are not logged in to services"
                    : caller.person() == null ? "your account " + caller.account() + " is not in opsbot's people list"
                    : "you are " + caller.role().label();
            return new Decision.Deny("denied: `" + command + "` needs " + needed.label() + "; " + who);
        }
        Trust trust = venue.isPrivate() ? Trust.OPS : venue.trust();
        // Anything but a known read is treated as a change (a kind added later does not slip through).
        if (what.kind() != Kind.READ && trust != Trust.OPS) {
            return new Decision.Deny("denied: `" + command + "` changes things; " + venue.label()
                    + " is a shared channel (read-only commands here)");
        }
        return new Decision.Allow();
    }
}
