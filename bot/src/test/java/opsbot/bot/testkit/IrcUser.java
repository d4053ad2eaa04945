package opsbot.bot.testkit;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A person on the test IRC network, speaking raw IRC over loopback: optionally logged in by SASL PLAIN
 * (so the server tags their messages with their account), otherwise anonymous.
 */
public final class IrcUser implements Closeable {
    /** A PRIVMSG as received: who sent it, to where, and the text. */
    public record Msg(String from, String target, String text) {
    }

    private final Socket socket;
    private final OutputStream out;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final BlockingQueue<Msg> messages = new LinkedBlockingQueue<>();
    public final String nick;

    private IrcUser(String nick, Socket socket) throws IOException {
        this.nick = nick;
        this.socket = socket;
        this.out = socket.getOutputStream();
    }

    public static IrcUser connect(int port, String nick, String account, String password) throws Exception {
        Socket socket = new Socket("127.0.0.1", port);
        socket.setTcpNoDelay(true); // a person's line goes out at once, as from any IRC client
        IrcUser u = new IrcUser(nick, socket);
        Thread.ofVirtual().start(u::readLoop);
        u.send("CAP LS 302");
        u.send("NICK " + nick);
        u.send("USER " + nick + " 0 * :opsbot test user");
        u.await(l -> l.contains(" CAP ") && l.contains(" LS "), Duration.ofSeconds(10));
        if (account != null) {
            u.send("CAP REQ :sasl message-tags");
            u.await(l -> l.contains(" CAP ") && l.contains(" ACK "), Duration.ofSeconds(10));
            u.send("AUTHENTICATE PLAIN");
            u.await(l -> l.startsWith("AUTHENTICATE") && l.endsWith("+"), Duration.ofSeconds(10));
            String token = Base64.getEncoder().encodeToString((account + "\0" + account + "\0" + password)
                    .getBytes(StandardCharsets.UTF_8));
            u.send("AUTHENTICATE " + token);
            String r = u.await(l -> l.contains(" 903 ") || l.contains(" 904 "), Duration.ofSeconds(10));
            if (r.contains(" 904 ")) throw new IllegalStateException("SASL failed for " + account);
        }
        u.send("CAP END");
        u.await(l -> l.contains(" 001 "), Duration.ofSeconds(15));
        return u;
    }

    public void join(String channel) throws Exception {
        send("JOIN " + channel);
        await(l -> l.contains(" 366 ") && l.contains(channel), Duration.ofSeconds(10));
    }

    public void say(String target, String text) throws IOException {
        send("PRIVMSG " + target + " :" + text);
    }

    public synchronized void send(String line) throws IOException {
        sendRaw((line + "\r\n").getBytes(StandardCharsets.UTF_8));
    }

    public synchronized void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** The next message from {@code from} whose text matches; earlier non-matching ones are dropped. */
    public Msg expect(String from, Predicate<String> text, Duration max) throws InterruptedException {
        long end = System.nanoTime() + max.toNanos();
        java.util.List<Msg> skipped = new java.util.ArrayList<>();
        while (true) {
            Msg m = messages.poll(Math.max(1, end - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (m == null) {
                throw new AssertionError(nick + ": no matching message from " + from + " within " + max
                        + "; got instead: " + skipped + "; recent server lines: " + recent(lines, 20));
            }
            if (m.from().equalsIgnoreCase(from) && text.test(m.text())) return m;
            skipped.add(m);
        }
    }

    private static java.util.List<String> recent(java.util.Collection<String> all, int n) {
        java.util.List<String> l = java.util.List.copyOf(all);
        return l.subList(Math.max(0, l.size() - n), l.size());
    }

    public Msg next(String from, Duration max) throws InterruptedException {
        return expect(from, t -> true, max);
    }

    /** The next raw server line (tags stripped) matching {@code p}, e.g. someone's JOIN. */
    public String awaitLine(Predicate<String> p, Duration max) throws InterruptedException {
        return await(p, max);
    }

    public void drain() {
        messages.clear();
    }

    /**
     * Takes the first message from {@code from} whose text matches, received or arriving within {@code max},
     * and leaves every other message queued in its order (unlike {@link #expect}, which skips what comes first):
     * for an answer whose raw line was awaited, with what the bot said unasked around it kept for later.
     */
    public Msg take(String from, Predicate<String> text, Duration max) throws InterruptedException {
        long end = System.nanoTime() + max.toNanos();
        while (true) {
            for (java.util.Iterator<Msg> it = messages.iterator(); it.hasNext(); ) {
                Msg m = it.next();
                if (m.from().equalsIgnoreCase(from) && text.test(m.text())) {
                    it.remove();
                    return m;
                }
            }
            if (System.nanoTime() > end) throw new AssertionError(nick + ": no message from " + from + " within " + max);
            Thread.sleep(10);
        }
    }

    private String await(Predicate<String> p, Duration max) throws InterruptedException {
        long end = System.nanoTime() + max.toNanos();
        while (true) {
            String l = lines.poll(Math.max(1, end - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (l == null) throw new AssertionError(nick + ": server did not answer in " + max);
            if (p.test(l)) return l;
        }
    }

    private void readLoop() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8))) {
            String l;
            while ((l = r.readLine()) != null) {
                String bare = l.startsWith("@") ? l.substring(l.indexOf(' ') + 1) : l;
                if (bare.startsWith("PING")) {
                    send("PONG" + bare.substring(4));
                    continue;
                }
                lines.add(bare);
                String[] p = bare.split(" ", 4);
                if (p.length == 4 && p[1].equals("PRIVMSG")) {
                    messages.add(new Msg(p[0].substring(1).split("!")[0], p[2], p[3].substring(1)));
                }
            }
        } catch (IOException e) {
            // closed
        }
    }

    @Override
    public void close() throws IOException {
        try {
            send("QUIT");
        } catch (IOException ignored) {
            // already gone
        }
        socket.close();
    }
}
