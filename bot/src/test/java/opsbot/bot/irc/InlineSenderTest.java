package opsbot.bot.irc;

import org.kitteh.irc.client.library.Client;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.*;

class InlineSenderTest {
    @Test
    void buffersWhileDownThenWritesInOrderOnTheCallersThread() {
        InlineSender s = new InlineSender();
        List<String> written = new CopyOnWriteArrayList<>();
        s.queue("NICK opsbot");
        s.queue("USER opsbot");
        assertTrue(s.contains("NICK opsbot"));
        Thread caller = Thread.currentThread();
        s.beginSending(line -> {
            assertSame(caller, Thread.currentThread(), "no hand-off to another thread");
            written.add(line);
        });
        s.queue("PRIVMSG #ops :pong");
        assertEquals(List.of("NICK opsbot", "USER opsbot", "PRIVMSG #ops :pong"), written);
        s.pause();
        s.queue("PRIVMSG #ops :later");
        assertEquals(3, written.size(), "nothing written while the connection is down");
        assertEquals(List.of("PRIVMSG #ops :later"), List.copyOf(s.shutdown()));
    }

    /** Pins Kitteh's internals this depends on: a Kitteh upgrade that moves the field fails here, not in production. */
    @Test
    void installsIntoTheKittehVersionWeBuildWith() throws Exception {
        Client client = Client.builder().nick("probe").server().host("127.0.0.1").port(1, Client.Builder.Server.SecurityType.INSECURE)
                .then().build();
        try {
            assertTrue(InlineSender.install(client));
            var f = client.getClass().getDeclaredField("messageSendingImmediate");
            f.setAccessible(true);
            assertInstanceOf(InlineSender.class, f.get(client));
        } finally {
            client.shutdown();
        }
    }

    /** The name of the stage FastInbound inserts before: a Kitteh upgrade that renames it fails here. */
    @Test
    void kittehsLastInputStageHasTheNameFastInboundExpects() throws Exception {
        try (var in = org.kitteh.irc.client.library.Client.class.getResourceAsStream(
                "/org/kitteh/irc/client/library/defaults/feature/network/NettyConnection.class")) {
            String bytes = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
            assertTrue(bytes.contains(FastInbound.KITTEH_LAST_STAGE));
            assertTrue(bytes.contains("channelFuture"));
        }
    }
}
