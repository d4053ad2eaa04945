package opsbot.commands;

import opsbot.commands.policy.Authorizer;
import opsbot.commands.policy.CommandRef;
import opsbot.commands.policy.Decision;
import opsbot.commands.policy.Gate;
import opsbot.commands.policy.Identity;
import opsbot.commands.policy.People;
import opsbot.commands.policy.Policy;
import opsbot.commands.policy.Venue;
import opsbot.config.Kind;
import opsbot.config.Person;
import opsbot.config.Role;
import opsbot.config.Trust;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/** The door: identities as the network vouches for them, people looked up at each call, and failing closed. */
class GateTest {
    private final Person alice = new Person("alice", "alice", null, Role.OPERATOR);
    private final Person erin = new Person("erin", null, "@erin:x", Role.ADMIN);
    private final People people = new People(List.of(alice, erin));
    private final Venue ops = new Venue("irc", "#ops", Trust.OPS);
    private final CommandRef fo = new CommandRef("fo", Kind.CHANGE, Role.OPERATOR);

    @Test
    void anIrcSenderWithoutAnAccountIsAnonymous() {
        for (String none : new String[]{null, "", " ", "*"}) {
            assertEquals(new Identity.Anonymous("irc", "alice"), Identity.irc("irc", "alice", none), "account " + none);
        }
        assertEquals(new Identity.IrcAccount("alice"), Identity.irc("irc", "mallory", "alice"), "the account, whatever the nick");
        assertThrows(IllegalArgumentException.class, () -> new Identity.IrcAccount(" "));
        assertThrows(NullPointerException.class, () -> new Identity.MatrixUser(null));
    }

    @Test
    void peopleAreFoundByTheKindOfIdentityNeverByNick() {
        assertEquals(alice, people.find(new Identity.IrcAccount("alice")));
        assertEquals(alice, people.find(new Identity.IrcAccount("ALICE")), "services accounts are case-insensitive");
        assertNull(people.find(new Identity.Anonymous("irc", "alice")), "a nick is not identity");
        assertNull(people.find(new Identity.Anonymous("matrix", "@erin:x")));
        assertEquals(erin, people.find(new Identity.MatrixUser("@erin:x")));
        assertNull(people.find(new Identity.IrcAccount("@erin:x")), "an IRC account named like a Matrix ID is not that user");
        assertNull(people.find(new Identity.MatrixUser("alice")), "a Matrix user is never matched by irc-account");
        assertNotEquals(new Identity.IrcAccount("@erin:x").key(), new Identity.MatrixUser("@erin:x").key());
    }

    @Test
    void thePeopleListIsReadAtEachCall() {
        AtomicReference<People> now = new AtomicReference<>(people);
        Gate gate = new Gate(new Policy(true), now::get);
        assertTrue(gate.authorize(new Identity.IrcAccount("alice"), ops, fo).allowed());
        now.set(new People(List.of(erin)));
        assertEquals("denied: `fo` needs operator; your account alice is not in opsbot's people list",
                assertInstanceOf(Decision.Deny.class, gate.authorize(new Identity.IrcAccount("alice"), ops, fo)).reason());
    }

    @Test
    void anythingMissingOrBrokenIsADenial() {
        Gate gate = new Gate(new Policy(true), () -> people);
        Identity a = new Identity.IrcAccount("alice");
        assertTrue(gate.authorize(a, ops, fo).allowed(), "the control: allowed when complete");
        assertBroken(gate.authorize(null, ops, fo));
        assertBroken(gate.authorize(a, null, fo));
        assertBroken(gate.authorize(a, ops, null));
        assertBroken(gate.authorize(a, ops, new CommandRef("fo", null, Role.OPERATOR)));
        assertBroken(gate.authorize(a, ops, new CommandRef("fo", Kind.CHANGE, null)));
        assertBroken(new Gate(new Policy(true), () -> {
            throw new IllegalStateException("people unreadable");
        }).authorize(a, ops, fo));
        assertBroken(new Gate(new Policy(true), () -> null).authorize(a, ops, fo));
        assertBroken(Authorizer.failClosed((w, v, c) -> {
            throw new IllegalStateException("boom");
        }).authorize(a, ops, fo));
        assertBroken(Authorizer.failClosed((w, v, c) -> null).authorize(a, ops, fo));
    }

    private static void assertBroken(Decision d) {
        assertEquals(Gate.BROKEN, assertInstanceOf(Decision.Deny.class, d).reason());
    }
}
