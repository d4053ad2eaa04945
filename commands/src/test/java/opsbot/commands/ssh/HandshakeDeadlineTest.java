package opsbot.commands.ssh;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.*;

/** The name lookup is under the handshake's deadline, through a resolver seam instead of a slow DNS server. */
class HandshakeDeadlineTest {
    private static long in(Duration d) {
        return System.nanoTime() + d.toNanos();
    }

    @Test
    void aLookupThatHangsEndsAtTheDeadline() {
        CountDownLatch never = new CountDownLatch(1);
        HandshakeDeadline d = new HandshakeDeadline(in(Duration.ofMillis(300)), host -> {
            try {
                never.await(); // a resolver that never answers, as a dead DNS server with long retries
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new UnknownHostException(host);
        });
        // Without the bound this would wait forever; the 30s only keeps a broken build from hanging.
        SocketTimeoutException e = assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> assertThrows(SocketTimeoutException.class, () -> d.createSocket("compute3.example", 22)));
        assertEquals("name lookup timed out", e.getMessage());
        assertTrue(d.lookupTimedOut());
        never.countDown();
    }

    @Test
    void anUnknownNameIsSaidSo() {
        HandshakeDeadline d = new HandshakeDeadline(in(Duration.ofSeconds(30)), host -> {
            throw new UnknownHostException(host);
        });
        assertThrows(UnknownHostException.class, () -> d.createSocket("nosuch.example", 22));
        assertFalse(d.lookupTimedOut());
    }

    @Test
    void theLookedUpAddressIsConnectedTo() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            HandshakeDeadline d = new HandshakeDeadline(in(Duration.ofSeconds(30)), host -> {
                assertEquals("compute1.example", host);
                return InetAddress.getLoopbackAddress();
            });
            try (Socket s = d.createSocket("compute1.example", server.getLocalPort())) {
                assertTrue(s.isConnected());
                assertTrue(s.getTcpNoDelay());
                assertEquals(server.getLocalPort(), s.getPort());
            }
        }
    }
}
