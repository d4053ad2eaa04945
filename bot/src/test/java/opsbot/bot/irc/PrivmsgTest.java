package opsbot.bot.irc;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class PrivmsgTest {
    @Test
    void aChannelLineWithItsAccount() {
        assertEquals(new Privmsg("alice", "#ops", "!fo -K compute4", "alice"),
                Privmsg.parse("@time=2026-11-23T03:12:04.000Z;account=alice :alice!a@127.0.0.1 PRIVMSG #ops :!fo -K compute4"));
    }

    @Test
    void noAccountTagMeansAnonymous() {
        assertEquals(new Privmsg("alice", "#ops", "!ping", null), Privmsg.parse(":alice!a@h PRIVMSG #ops :!ping"));
        assertNull(Privmsg.parse("@account= :alice!a@h PRIVMSG #ops :!ping").account());
        assertNull(Privmsg.parse("@accountx=bob :alice!a@h PRIVMSG #ops :!ping").account(), "a longer key is another tag");
    }

    @Test
    void tagValuesAreUnescaped() {
        assertEquals("a;b c\\d", Privmsg.tag("x=1;account=a\\:b\\sc\\\\d", "account"));
    }

    @Test
    void textKeepsColonsAndSpaces() {
        assertEquals(" a : b ", Privmsg.parse(":bob!b@h PRIVMSG opsbot : a : b ").text());
        assertEquals("word", Privmsg.parse(":bob!b@h PRIVMSG opsbot word").text());
    }

    @Test
    void everythingElseIsLeftToKitteh() {
        assertNull(Privmsg.parse(":alice!a@h NOTICE #ops :hi"));
        assertNull(Privmsg.parse(":alice!a@h PRIVMSG #ops :\u0001VERSION\u0001"), "CTCP");
        assertNull(Privmsg.parse(":irc.example.net PRIVMSG #ops :server text"), "from a server");
        assertNull(Privmsg.parse("PING :x"));
        assertNull(Privmsg.parse(":alice!a@h PRIVMSG"));
        assertNull(Privmsg.parse("@account=alice"));
        assertNull(Privmsg.parse(""));
    }
}
