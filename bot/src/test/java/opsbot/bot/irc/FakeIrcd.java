package opsbot.bot.irc;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A scripted IRC server on loopback for unit tests: speaks just enough of the protocol to register a client
 * (CAP negotiation, SASL PLAIN as told, 001-004, JOIN), records every line the client sends, and lets the
 * test write raw protocol lines to the client. It answers nothing else (WHOIS is the test's to answer).
 */
final class FakeIrcd implements Closeable {
    enum Sasl { SUCCEED, FAIL, SILENT }

    private final ServerSocket server;
    private final Thread acceptor;
    /** What the server offers in CAP LS (space-separated); may change between connections. */
    volatile String caps = "sasl=PLAIN";
    volatile Sasl sasl = Sasl.SUCCEED;
    /** Lines the client sent, over all connections, in order. */
    final List<String> heard = new CopyOnWriteArrayList<>();
    /** PRIVMSGs refused as a real server with +n channels does: to a channel the client had not joined (404). */
    final List<String> refused = new CopyOnWriteArrayList<>();
    /** Lines written to the client right after the answer to its JOIN, in the same burst. */
    volatile List<String> afterJoin = List.of();
    /** While set, the welcome (001-005) waits for {@link #welcome}, as a slow server would. */
    volatile boolean holdWelcome;
    private final BlockingQueue<String> unread = new LinkedBlockingQueue<>();
    final AtomicInteger connections = new AtomicInteger();
    private volatile Conn current;
    /** The connection whose lines the server has stopped reading, as a stuck server would; null when none. */
    private volatile Conn stalled;

    FakeIrcd() throws IOException {
        this(null);
    }

    /** @param tls when not null, the server speaks TLS with this context (its certificate), as on port 6697 */
    FakeIrcd(javax.net.ssl.SSLContext tls) throws IOException {
        server = tls == null ? new ServerSocket() : tls.getServerSocketFactory().createServerSocket();
        server.setReceiveBufferSize(4096); // a server that stops reading is stuck after a few KB, not megabytes
        server.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        acceptor = Thread.ofPlatform().daemon().name("fake-ircd").start(this::accept);
    }

    int port() {
        return server.getLocalPort();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                Conn old = current;
                if (old != null) old.close();
                Conn c = new Conn(s);
                current = c;
                connections.incrementAndGet();
                Thread.ofPlatform().daemon().name("fake-ircd-conn").start(c::read);
            } catch (IOException e) {
                return;
            }
        }
    }

    /** Writes a raw line to the connected client. */
    void send(String line) throws IOException {
        Conn c = current;
        if (c == null) throw new IOException("no client connected");
        c.write(line);
    }

    /** Waits for a line from the client matching {@code p} (lines heard before it are passed over). */
    String expect(Predicate<String> p, Duration max) throws InterruptedException {
        long end = System.nanoTime() + max.toNanos();
        while (true) {
            long left = end - System.nanoTime();
            String l = left <= 0 ? null : unread.poll(left, TimeUnit.NANOSECONDS);
            if (l == null) throw new AssertionError("the client did not send the line expected within " + max + "; heard " + heard);
            if (p.test(l)) return l;
        }
    }

    /** Sends the welcome held by {@link #holdWelcome} (once the client asked for it). */
    void welcome() throws IOException {
        holdWelcome = false;
        Conn c = current;
        if (c == null) throw new IOException("no client connected");
        c.maybeWelcome();
    }

    /** Stops reading what the client sends on this connection (a later one is read again). */
    void stall() {
        stalled = current;
    }

    /** Drops the client's connection, as a server restart would. */
    void kick() {
        Conn c = current;
        if (c != null) c.close();
    }

    @Override
    public void close() throws IOException {
        server.close();
        kick();
        acceptor.interrupt();
    }

    private final class Conn {
        private final Socket socket;
        private final OutputStream out;
        private volatile String nick = "*";
        private volatile boolean user, capEnd, welcomed, capLs;
        private final java.util.Set<String> channels = java.util.concurrent.ConcurrentHashMap.newKeySet();

        Conn(Socket socket) throws IOException {
            this.socket = socket;
            this.out = socket.getOutputStream();
        }

        synchronized void write(String line) throws IOException {
            out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        }

        void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
            }
        }

        void read() {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while (true) {
                    while (stalled == this && !socket.isClosed()) {
                        Thread.sleep(10);
                    }
                    if ((line = in.readLine()) == null) break;
                    heard.add(line);
                    answer(line); // first: a test that saw the line (unread) may count on the answer being out
                    unread.add(line);
                }
            } catch (IOException | InterruptedException ignored) {
                // closed
            }
        }

        private void answer(String line) throws IOException {
            String[] w = line.split(" ", 3);
            switch (w[0]) {
                case "CAP" -> cap(line);
                case "NICK" -> {
                    nick = w[1].replaceFirst("^:", "");
                    maybeWelcome();
                }
                case "USER" -> {
                    user = true;
                    maybeWelcome();
                }
                case "AUTHENTICATE" -> {
                    if (w[1].equals("PLAIN")) {
                        write("AUTHENTICATE +");
                        return;
                    }
                    switch (sasl) {
                        case SUCCEED -> {
                            write(":fake 900 " + nick + " " + nick + "!bot@127.0.0.1 opsbot :You are now logged in as opsbot");
                            write(":fake 903 " + nick + " :SASL authentication successful");
                        }
                        case FAIL -> write(":fake 904 " + nick + " :SASL authentication failed");
                        case SILENT -> {
                        }
                    }
                }
                case "JOIN" -> {
                    String ch = w[1];
                    channels.add(ch.toLowerCase(java.util.Locale.ROOT));
                    StringBuilder burst = new StringBuilder();
                    burst.append(":" + nick + "!bot@127.0.0.1 JOIN " + ch + (caps.contains("extended-join") ? " opsbot :opsbot" : "")).append("\r\n");
                    burst.append(":fake 353 " + nick + " = " + ch + " :" + nick).append("\r\n");
                    burst.append(":fake 366 " + nick + " " + ch + " :End of /NAMES list.");
                    for (String l : afterJoin) burst.append("\r\n").append(l);
                    write(burst.toString());
                }
                case "PRIVMSG" -> {
                    String target = w.length > 1 ? w[1] : "";
                    if (target.startsWith("#") && !channels.contains(target.toLowerCase(java.util.Locale.ROOT))) {
                        refused.add(line);
                        write(":fake 404 " + nick + " " + target + " :Cannot send to channel (no external messages)");
                    }
                }
                case "PING" -> write(":fake PONG fake " + (w.length > 1 ? w[1] : ""));
                case "QUIT" -> close();
                default -> {
                }
            }
        }

        private void cap(String line) throws IOException {
            if (line.startsWith("CAP LS")) {
                capLs = true;
                write(":fake CAP * LS :" + caps);
            } else if (line.startsWith("CAP REQ")) {
                String req = line.substring(line.indexOf(':') + 1);
                write(":fake CAP " + nick + " ACK :" + req);
            } else if (line.startsWith("CAP END")) {
                capEnd = true;
                maybeWelcome();
            }
        }

        synchronized void maybeWelcome() throws IOException {
            if (holdWelcome || welcomed || !user || nick.equals("*") || (capLs && !capEnd)) return;
            welcomed = true;
            write(":fake 001 " + nick + " :Welcome to the fake network " + nick);
            write(":fake 002 " + nick + " :Your host is fake");
            write(":fake 003 " + nick + " :This server was created today");
            write(":fake 004 " + nick + " fake fake-1.0 iow biklmnopstv");
            write(":fake 005 " + nick + " CHANTYPES=# PREFIX=(ov)@+ CASEMAPPING=rfc1459 NETWORK=Fake :are supported by this server");
            write(":fake 376 " + nick + " :End of message of the day.");
        }
    }
}
