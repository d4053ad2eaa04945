package opsbot.bot.bench;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A load generator's HTTP/1.1 client, as wrk or h2load are: one kept-alive connection, a request written in one
 * go and its answer read on the calling thread, nothing else. The benchmark measures the intake, so its senders
 * should add as little as they can to each answer's time and to the CPU the bot shares with them. Reads the
 * status, and the body by Content-Length or chunks; reconnects after a {@code Connection: close} or an error.
 * Not thread-safe: one per sender.
 */
final class RawPoster implements AutoCloseable {
    private final URI uri;
    private final byte[] head;
    private Socket socket;
    private OutputStream out;
    private InputStream in;

    RawPoster(URI uri, String token) {
        this.uri = uri;
        this.head = ("POST " + uri.getRawPath() + " HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort()
                + "\r\nAuthorization: Bearer " + token + "\r\nContent-Type: application/json\r\nContent-Length: ")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** Posts {@code json}; the answer's status code. */
    int post(String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream req = new ByteArrayOutputStream(head.length + body.length + 16);
        req.writeBytes(head);
        req.writeBytes((body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        req.writeBytes(body);
        return exchange(req.toByteArray());
    }

    /** GETs {@code path} on the same server (health and metrics, as monitoring does); the status code. */
    int get(String path) throws IOException {
        return exchange(("GET " + path + " HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort() + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
    }

    private int exchange(byte[] request) throws IOException {
        if (socket == null) connect();
        out.write(request);
        out.flush();
        String status = line();
        if (!status.startsWith("HTTP/1.1 ")) throw new IOException("not an HTTP answer: " + status);
        int code = Integer.parseInt(status.substring(9, 12));
        long length = -1;
        boolean chunked = false, close = false;
        for (String h; !(h = line()).isEmpty(); ) {
            String l = h.toLowerCase(Locale.ROOT);
            if (l.startsWith("content-length:")) length = Long.parseLong(l.substring(15).trim());
            else if (l.startsWith("transfer-encoding:") && l.contains("chunked")) chunked = true;
            else if (l.startsWith("connection:") && l.contains("close")) close = true;
        }
        if (chunked) {
            for (long n; (n = Long.parseLong(line().trim(), 16)) > 0; ) {
                skip(n);
                line();
            }
            line();
        } else if (length > 0) {
            skip(length);
        }
        if (close) close();
        return code;
    }

    private void connect() throws IOException {
        socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 5000);
        socket.setSoTimeout(30_000);
        out = socket.getOutputStream();
        in = new BufferedInputStream(socket.getInputStream(), 8192);
    }

    private String line() throws IOException {
        StringBuilder b = new StringBuilder(64);
        for (int c; (c = in.read()) != '\n'; ) {
            if (c < 0) throw new IOException("the connection closed mid-answer");
            if (c != '\r') b.append((char) c);
        }
        return b.toString();
    }

    private void skip(long n) throws IOException {
        while (n > 0) {
            long k = in.skip(n);
            if (k <= 0) {
                if (in.read() < 0) throw new IOException("the connection closed mid-body");
                k = 1;
            }
            n -= k;
        }
    }

    @Override
    public void close() {
        if (socket == null) return;
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        socket = null;
    }
}
