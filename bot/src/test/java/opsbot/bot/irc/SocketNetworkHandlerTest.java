package opsbot.bot.irc;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

class SocketNetworkHandlerTest {
    /** A reconnect job that runs after the client shut down for good makes no connection (and no reader thread). */
    @Test
    void aStoppedHandlerMakesNoConnection() {
        AtomicInteger hooks = new AtomicInteger();
        SocketNetworkHandler h = new SocketNetworkHandler(SocketConnection.Timeouts.DEFAULT, () -> {
            hooks.incrementAndGet();
            return line -> { };
        });
        h.stop();
        assertThrows(IllegalStateException.class, () -> h.connect(null));
        assertEquals(0, hooks.get(), "no connection was begun");
        assertNull(h.current());
    }
}
