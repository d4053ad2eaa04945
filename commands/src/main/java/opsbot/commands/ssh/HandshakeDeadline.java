package opsbot.commands.ssh;

import com.jcraft.jsch.SocketFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The socket of one SSH connection attempt, made through JSch's public {@link SocketFactory} hook so that
 * the whole handshake (TCP connect, banner, key exchange, login) has one deadline: when it passes before
 * {@link #finish}, {@link #expire} closes the socket, and whatever JSch was waiting for fails at once. JSch's
 * own timeout is per read, so a host that answers slowly, or sends its banner and then nothing, could
 * otherwise hold the attempt (and everyone waiting for that host) far longer than the connect timeout.
 * The name lookup comes first and is under the same deadline: the system resolver has its own timeouts
 * (several seconds per server, times retries) and cannot be interrupted, so it runs on a thread of its own
 * that is abandoned when the deadline passes ("name lookup timed out").
 * Also sets TCP_NODELAY: SSH packets are small and latency-bound.
 */
final class HandshakeDeadline implements SocketFactory {
    private static final int HANDSHAKING = 0, DONE = 1, EXPIRED = 2;

    /** Names to addresses: the system resolver, or a test's. */
    interface Resolver {
        InetAddress resolve(String host) throws UnknownHostException;
    }

    private final long deadlineNanos;
    private final Resolver resolver;
    private final AtomicInteger state = new AtomicInteger(HANDSHAKING);
    private volatile Socket socket;
    private volatile boolean lookupTimedOut;

    HandshakeDeadline(long deadlineNanos) {
        this(deadlineNanos, InetAddress::getByName);
    }

    HandshakeDeadline(long deadlineNanos, Resolver resolver) {
        this.deadlineNanos = deadlineNanos;
        this.resolver = resolver;
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        InetAddress address = lookup(host);
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
        s.connect(new InetSocketAddress(address, port), (int) Math.min(Integer.MAX_VALUE, left));
        return s;
    }

    /**
     * The address, looked up before the deadline. A platform thread, not a virtual one: a lookup blocks in
     * native code, which would pin one of the few carrier threads for as long as the resolver takes. At most
     * one lookup per host is under way (one connect attempt per host at a time).
     */
    private InetAddress lookup(String host) throws IOException {
        CompletableFuture<InetAddress> found = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("ssh-lookup").start(() -> {
            try {
                found.complete(resolver.resolve(host));
            } catch (Throwable e) {
                found.completeExceptionally(e);
            }
        });
        try {
            return found.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            lookupTimedOut = true;
            throw new SocketTimeoutException("name lookup timed out");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SocketTimeoutException("interrupted during the name lookup");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io; // UnknownHostException: the name does not exist
            }
            throw new IOException("name lookup failed", e.getCause());
        }
    }

    /** The deadline passed while the host's name was being looked up. */
    boolean lookupTimedOut() {
        return lookupTimedOut;
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
