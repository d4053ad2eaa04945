package opsbot.commands.ssh;

import com.jcraft.jsch.SocketFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The socket of one SSH connection attempt, made through JSch's public {@link SocketFactory} hook so that
 * the whole handshake (TCP connect, banner, key exchange, login) has one deadline: when it passes before
 * {@link #finish}, {@link #expire} closes the socket, and whatever JSch was waiting for fails at once. JSch's
 * own timeout is per read, so a host that answers slowly, or sends its banner and then nothing, could
 * otherwise hold the attempt (and everyone waiting for that host) far longer than the connect timeout.
 * Also sets TCP_NODELAY: SSH packets are small and latency-bound.
 */
final class HandshakeDeadline implements SocketFactory {
    private static final int HANDSHAKING = 0, DONE = 1, EXPIRED = 2;

    private final long deadlineNanos;
    private final AtomicInteger state = new AtomicInteger(HANDSHAKING);
    private volatile Socket socket;

    HandshakeDeadline(long deadlineNanos) {
        this.deadlineNanos = deadlineNanos;
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        Socket s = new Socket();
        socket = s;
        if (state.get() == EXPIRED) {
            s.close();
            throw new SocketTimeoutException("connect deadline passed");
        }
        long left = (deadlineNanos - System.nanoTime()) / 1_000_000;
        if (left <= 0) {
            throw new SocketTimeoutException("connect deadline passed");
        }
        s.setTcpNoDelay(true);
        s.connect(new InetSocketAddress(host, port), (int) Math.min(Integer.MAX_VALUE, left));
        return s;
    }

    @Override
    public InputStream getInputStream(Socket s) throws IOException {
        return s.getInputStream();
    }

    @Override
    public OutputStream getOutputStream(Socket s) throws IOException {
        return s.getOutputStream();
    }

    /** The handshake finished; false if the deadline won the race (the socket is closed then). */
    boolean finish() {
        return state.compareAndSet(HANDSHAKING, DONE);
    }

    /** The deadline passed: closes the socket unless the handshake already finished; true if it did close. */
    boolean expire() {
        if (!state.compareAndSet(HANDSHAKING, EXPIRED)) {
            return false;
        }
        Socket s = socket;
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing is all we wanted
            }
        }
        return true;
    }

    boolean expired() {
        return state.get() == EXPIRED;
    }
}
