package opsbot.bot.irc;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** What the reader knows of a connection from its raw lines alone, in order. */
class ConnectionViewTest {
    private static ConnectionView registered(String... before) {
        ConnectionView v = new ConnectionView();
        for (String l : before) v.see(l);
        v.see(":srv 001 opsbot :Welcome");
        return v;
    }

    @Test
    void accountTagIsTrustedOnlyWhenAcknowledgedAtRegistration() {
        ConnectionView v = new ConnectionView();
        v.see(":srv CAP * ACK :sasl account-tag message-tags");
        assertFalse(v.tagTrusted(), "not registered yet");
        assertNull(v.nick());
        v.see(":srv 001 opsbot :Welcome");
        assertTrue(v.tagTrusted());
        assertEquals("opsbot", v.nick());

        assertFalse(registered(":srv CAP * ACK :sasl").tagTrusted(), "not acknowledged");
        ConnectionView later = registered(":srv CAP * ACK :sasl");
        later.see(":srv CAP opsbot ACK :account-tag");
        assertFalse(later.tagTrusted(), "acknowledged only after registration: not on this connection");
    }

    @Test
    void aWithdrawnAccountTagStaysOffForTheConnection() {
        ConnectionView v = registered(":srv CAP * ACK :account-tag");
        v.see("@time=x :srv CAP opsbot DEL :account-tag cap-notify");
        assertFalse(v.tagTrusted());
        v.see(":srv CAP opsbot ACK :account-tag");
        assertFalse(v.tagTrusted(), "withdrawn once: off until the next connection");
        ConnectionView w = registered(":srv CAP * ACK :account-tag");
        w.see(":srv CAP opsbot ACK :-account-tag");
        assertFalse(w.tagTrusted(), "disabled by ACK of -account-tag");
    }

    @Test
    void theBotsOwnNickAndChannelsFollowItsOwnLinesOnly() {
        ConnectionView v = registered();
        v.see(":opsbot!bot@h JOIN #Ops");
        v.see(":alice!a@h JOIN #other");
        assertEquals("#Ops", v.joined("#ops"), "as the server named it");
        assertNull(v.joined("#other"), "someone else's join");
        v.see(":opsbot!bot@h NICK :opsbot_");
        assertEquals("opsbot_", v.nick());
        v.see(":alice!a@h NICK :opsbot2");
        assertEquals("opsbot_", v.nick(), "someone else's nick change");
        v.see(":opsbot_!bot@h JOIN :#two");
        v.see(":opsbot_!bot@h PART #two :bye");
        assertNull(v.joined("#two"));
        v.see(":op!o@h KICK #ops alice :out");
        assertEquals("#Ops", v.joined("#ops"), "someone else kicked");
        v.see(":op!o@h KICK #ops opsbot_ :out");
        assertNull(v.joined("#ops"));
        assertEquals(List.of(), v.channels());
    }
}
