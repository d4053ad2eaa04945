package opsbot.commands.policy;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Supplier;

/**
 * The production {@link Authorizer}: the person behind the identity, looked up at each call (so a
 * confirmation checked again later sees the people list of that moment), then the {@link Policy}.
 *
 * <p>Fails closed: a missing identity, place, command, kind or role is a denial, and so is any exception
 * raised while deciding. Nothing here can answer "allow" by falling through.
 */
public final class Gate implements Authorizer {
    private static final Logger log = LoggerFactory.getLogger(Gate.class);
    /** The denial when the door itself fails: nothing runs. */
    public static final String BROKEN = "denied: could not check your permissions (internal error, logged); nothing was run";

    private final Policy policy;
    private final Supplier<People> people;

    public Gate(Policy policy, Supplier<People> people) {
        this.policy = policy;
        this.people = people;
    }

    @Override
    public Decision authorize(Identity who, Venue where, CommandRef what) {
        try {
            if (who == null || where == null || what == null || what.name() == null || what.kind() == null
                    || what.role() == null) {
                log.error("authorize: incomplete request (who={}, where={}, what={}); denied", who, where, what);
                return new Decision.Deny(BROKEN);
            }
            Caller caller = new Caller(null, who, people.get().find(who));
            Decision d = policy.decide(caller, where, what);
            return d == null ? new Decision.Deny(BROKEN) : d;
        } catch (RuntimeException e) {
            log.error("authorize: {} for {} in {} failed; denied", what, who, where, e);
            return new Decision.Deny(BROKEN);
        }
    }
}
