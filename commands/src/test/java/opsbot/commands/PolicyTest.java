package opsbot.commands;

import opsbot.commands.policy.Caller;
import opsbot.commands.policy.CommandRef;
import opsbot.commands.policy.Decision;
import opsbot.commands.policy.Identity;
import opsbot.commands.policy.Policy;
import opsbot.commands.policy.Venue;
import opsbot.config.Kind;
import opsbot.config.Person;
import opsbot.config.Role;
import opsbot.config.Trust;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class PolicyTest {
    private final Policy policy = new Policy(true);
    private final Venue ops = new Venue("irc", "#ops", Trust.OPS);
    private final Venue shared = new Venue("irc", "#mail", Trust.SHARED);
    private final Caller alice = new Caller("alice", new Identity.IrcAccount("alice"), new Person("alice", "alice", null, Role.OPERATOR));
    private final Caller bob = new Caller("bob", new Identity.IrcAccount("bob"), new Person("bob", "bob", null, Role.ADMIN));
    private final Caller fakeAlice = new Caller("alice", new Identity.Anonymous("irc", "alice"), null);

    private String deny(Caller c, Venue v, Kind k, Role r) {
        Decision d = policy.decide(c, v, new CommandRef("fo", k, r));
        return assertInstanceOf(Decision.Deny.class, d).reason();
    }

    @Test
    void operatorMayChangeInOps() {
        assertTrue(policy.decide(alice, ops, new CommandRef("fo", Kind.CHANGE, Role.OPERATOR)).allowed());
    }

    @Test
    void nickWithoutAccountIsAViewerWhateverTheNick() {
        assertEquals("denied: `fo` needs operator; you are not logged in to services",
                deny(fakeAlice, ops, Kind.CHANGE, Role.OPERATOR));
        assertTrue(policy.decide(fakeAlice, ops, new CommandRef("uptime", Kind.READ, Role.VIEWER)).allowed());
    }

    @Test
    void sharedChannelsAreReadOnlyEvenForAdmins() {
        assertTrue(deny(bob, shared, Kind.CHANGE, Role.OPERATOR).contains("#mail is a shared channel"));
        assertTrue(policy.decide(bob, shared, new CommandRef("uptime", Kind.READ, Role.VIEWER)).allowed());
    }

    @Test
    void unknownAccountsAndPrivateMessages() {
        Caller stranger = new Caller("eve", new Identity.IrcAccount("eve"), null);
        assertTrue(deny(stranger, ops, Kind.CHANGE, Role.OPERATOR).contains("not in opsbot's people list"));
        Venue pm = new Venue("irc", null, null);
        assertTrue(deny(stranger, pm, Kind.READ, Role.VIEWER).contains("private commands are for known people"));
        assertTrue(policy.decide(alice, pm, new CommandRef("fo", Kind.CHANGE, Role.OPERATOR)).allowed());
        assertTrue(new Policy(false).decide(alice, pm, new CommandRef("fo", Kind.READ, Role.VIEWER)) instanceof Decision.Deny);
    }
}
