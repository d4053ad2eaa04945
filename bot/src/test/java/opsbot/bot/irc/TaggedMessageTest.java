package opsbot.bot.irc;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class TaggedMessageTest {
    @Test
    void aChannelOrPrivateMessageWithTheServersAccountTag() {
        assertEquals(new TaggedMessage("alice", "alice_", "#ops", "!ping"),
                TaggedMessage.parse("@time=2026-11-29T10:00:00.000Z;account=alice;msgid=x :alice_!a@host PRIVMSG #ops :!ping"));
        assertEquals(new TaggedMessage("alice", "alice_", "opsbot", "status c1"),
                TaggedMessage.parse("@account=alice :alice_!a@host PRIVMSG opsbot :status c1"));
        assertEquals(new TaggedMessage("bob", "bob", "&local", "hi"), TaggedMessage.parse("@account=bob :bob!b@h PRIVMSG &local hi"));
        assertEquals(new TaggedMessage("a;b c", "n", "#x", ""), TaggedMessage.parse("@account=a\\:b\\sc :n!u@h PRIVMSG #x :"));
    }

    /** Everything else is Kitteh's to hand on, with its own identity rules (and no account is anonymous there). */
    @Test
    void anythingElseIsNotOne() {
        for (String line : new String[]{
                ":alice!a@h PRIVMSG #ops :!ping", // no tags
                "@msgid=1 :alice!a@h PRIVMSG #ops :!ping", // no account
                "@+account=alice :mallory!m@h PRIVMSG #ops :!ping", // a client-only tag anyone can send
                "@account= :alice!a@h PRIVMSG #ops :!ping",
                "@account=* :alice!a@h PRIVMSG #ops :!ping",
                "@account=alice;account :alice!a@h PRIVMSG #ops :!ping", // twice (Kitteh keeps the last: none)
                "@account=alice;account=bob :alice!a@h PRIVMSG #ops :!ping", // twice
                "@account=alice;batch=b1 :alice!a@h PRIVMSG #ops :!ping", // Kitteh holds batched lines
                "@account=alice :alice!a@h NOTICE #ops :!ping",
                "@account=alice :alice!a@h PRIVMSG #ops :\u0001ACTION waves\u0001", // CTCP
                "@account=alice :alice!a@h PRIVMSG @#ops :!ping", // to the channel's ops only
                "@account=alice :alice!a@h PRIVMSG $*.example :!ping", // to a server mask
                "@account=alice :alice!a@h PRIVMSG #ops two words", // not one parameter
                "@account=alice :alice!a@h PRIVMSG #ops", // no text
                "@account=alice PRIVMSG #ops :!ping", // no source
                "@account=alice :alice PRIVMSG #ops :!ping", // a nick alone, not nick!user@host
                "@account=alice :irc.example PRIVMSG #ops :!ping", // a server
                "@account=alice :alice!a PRIVMSG #ops :!ping", // no host
                "@account=alice :alice@h PRIVMSG #ops :!ping", // no user
                "@account=alice :alice!@h PRIVMSG #ops :!ping", // an empty user
                "@account=alice :!a@h PRIVMSG #ops :!ping", // an empty nick
                "@account=alice :alice!a@h  PRIVMSG #ops :!ping", // not the server's usual form
                "@account=alice"}) {
            assertNull(TaggedMessage.parse(line), line);
        }
    }
}
