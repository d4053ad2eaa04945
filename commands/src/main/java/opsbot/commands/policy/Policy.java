package opsbot.commands.policy;

import opsbot.config.Kind;
import opsbot.config.Role;
import opsbot.config.Trust;

/**
 * The one place that decides whether someone may run something somewhere. It sits in front of every
 * command (built-in or declared); commands themselves never check permissions.
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

    public Decision decide(Caller caller, Venue venue, String command, Kind kind, Role needed) {
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
        if (kind == Kind.CHANGE && trust != Trust.OPS) {
            return new Decision.Deny("denied: `" + command + "` changes things; " + venue.label()
                    + " is a shared channel (read-only commands here)");
        }
        return new Decision.Allow();
    }
}
