package opsbot.commands.policy;

import org.slf4j.LoggerFactory;

/**
 * The one door in front of every command: who, where, what. An answer other than {@link Decision.Allow}
 * means nothing of the command runs; the denial's reason is the one line the asker reads.
 */
@FunctionalInterface
public interface Authorizer {
    Decision authorize(Identity who, Venue where, CommandRef what);

    /** {@code door}, failing closed: an exception inside it, or no answer, is a denial. */
    static Authorizer failClosed(Authorizer door) {
        return (who, where, what) -> {
            try {
                Decision d = door.authorize(who, where, what);
                return d != null ? d : new Decision.Deny(Gate.BROKEN);
            } catch (RuntimeException e) {
                LoggerFactory.getLogger(Authorizer.class).error("authorize: {} for {} in {} failed; denied", what, who, where, e);
                return new Decision.Deny(Gate.BROKEN);
            }
        };
    }
}
