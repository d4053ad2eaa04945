package opsbot.commands.policy;

/**
 * The one door in front of every command: who, where, what. An answer other than {@link Decision.Allow}
 * means nothing of the command runs; the denial's reason is the one line the asker reads.
 */
@FunctionalInterface
public interface Authorizer {
    Decision authorize(Identity who, Venue where, CommandRef what);
}
