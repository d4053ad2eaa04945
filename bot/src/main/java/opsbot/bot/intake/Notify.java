package opsbot.bot.intake;

import com.fasterxml.jackson.databind.JsonNode;
import opsbot.config.Durations;
import opsbot.config.Severity;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Reader;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code opsbot notify}: posts events to the intake from a script, and says by its exit status whether every one
 * was accepted (stored). While the bot is unreachable or answers 5xx/429, it retries with capped exponential backoff
 * and jitter (Retry-After honoured) for {@code --retry-for}, so a report made while the bot restarts is not lost;
 * any other 4xx is final. The token comes from {@code OPSBOT_TOKEN} or {@code --token-file}, never the command
 * line (where {@code ps} would show it).
 */
public final class Notify {
    public static final String USAGE = """
            usage: opsbot notify --source NAME [--severity info|warning|error|critical] [--host HOST] [--key KEY]
                                 [--details TEXT] [--url URL] [--token-file FILE] [--retry-for 10m]
                                 (SUMMARY... | --stdin)
              posts one event (or, with --stdin, one per input line) to the bot's intake; exit 0 when every
              event was accepted, 1 when one was not (one line on stderr each), 2 for a usage error.
              --severity defaults to warning; --url to $OPSBOT_URL, then http://127.0.0.1:8089; the token is
              $OPSBOT_TOKEN or the first line of --token-file. Unreachable, 5xx or 429: retried for --retry-for.
            """;
    static final Duration DEFAULT_RETRY = Duration.ofMinutes(10);
    static final Duration FIRST_WAIT = Duration.ofMillis(500);
    static final Duration MAX_WAIT = Duration.ofSeconds(30);
    static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(15);

    /** Told before each wait between attempts (tests watch it: a failed attempt is observable, not guessed). */
    interface Hooks {
        void retrying(String why, Duration wait);

        Hooks NONE = (why, wait) -> {
        };
    }

    record Options(String source, Severity severity, String host, String key, String details, URI endpoint,
                   String token, Duration retryFor, boolean stdin, String summary) {
    }

    private Notify() {
    }

    public static int run(List<String> args, InputStream stdin, PrintStream err, Map<String, String> env) {
        return run(args, stdin, err, env, Hooks.NONE);
    }

    static int run(List<String> args, InputStream stdin, PrintStream err, Map<String, String> env, Hooks hooks) {
        Options o;
        try {
            o = options(args, env);
        } catch (IllegalArgumentException e) {
            err.println("opsbot notify: " + e.getMessage());
            err.print(USAGE);
            return 2;
        }
        int failed = 0;
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
                .version(HttpClient.Version.HTTP_1_1).build()) {
            Sender sender = new Sender(client, o, hooks);
            if (!o.stdin()) {
                failed += sender.send(o.summary(), err) ? 0 : 1;
            } else {
                LineReader lines = new LineReader(new java.io.BufferedReader(
                        new InputStreamReader(stdin, StandardCharsets.UTF_8)), Fields.SUMMARY);
                for (String line; (line = lines.next()) != null; ) {
                    if (!line.isBlank()) failed += sender.send(line, err) ? 0 : 1;
                }
            }
        } catch (IOException e) {
            err.println("opsbot notify: cannot read stdin: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("opsbot notify: interrupted");
            return 1;
        }
        return failed == 0 ? 0 : 1;
    }

    static Options options(List<String> args, Map<String, String> env) {
        Map<String, String> v = new LinkedHashMap<>();
        List<String> words = new ArrayList<>();
        boolean stdin = false;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "--stdin" -> stdin = true;
                case "--token" -> throw new IllegalArgumentException("--token is refused: a token on the command line"
                        + " shows in ps; set OPSBOT_TOKEN or use --token-file");
                case "--source", "--severity", "--host", "--key", "--details", "--url", "--token-file", "--retry-for" -> {
                    if (i + 1 >= args.size()) throw new IllegalArgumentException(a + " needs a value");
                    v.put(a, args.get(++i));
                }
                case "--" -> {
                    words.addAll(args.subList(i + 1, args.size()));
                    i = args.size();
                }
                default -> {
                    if (a.startsWith("--")) throw new IllegalArgumentException("unknown option " + a);
                    words.add(a);
                }
            }
        }
        String source = v.get("--source");
        if (source == null || source.isBlank()) throw new IllegalArgumentException("--source is missing");
        Severity severity = Severity.of(v.getOrDefault("--severity", "warning"));
        if (severity == null) throw new IllegalArgumentException("--severity must be info, warning, error or critical");
        String summary = String.join(" ", words).strip();
        if (stdin && !summary.isEmpty()) throw new IllegalArgumentException("give a summary or --stdin, not both");
        if (!stdin && summary.isEmpty()) throw new IllegalArgumentException("the summary is missing");
        Duration retry;
        try {
            retry = v.containsKey("--retry-for") ? Durations.parse(v.get("--retry-for")) : DEFAULT_RETRY;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--retry-for: " + e.getMessage());
        }
        String base = v.getOrDefault("--url", env.getOrDefault("OPSBOT_URL", "http://127.0.0.1:8089")).strip();
        URI endpoint;
        try {
            endpoint = URI.create(base.replaceAll("/+$", "") + Front.EVENTS);
            if (!"http".equals(endpoint.getScheme()) && !"https".equals(endpoint.getScheme()) || endpoint.getHost() == null) {
                throw new IllegalArgumentException();
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--url must be like http://127.0.0.1:8089, not " + base);
        }
        return new Options(source.strip(), severity, v.get("--host"), v.get("--key"), v.get("--details"), endpoint,
                token(v.get("--token-file"), env), retry, stdin, summary);
    }

    private static String token(String file, Map<String, String> env) {
        if (file != null) {
            try {
                List<String> lines = Files.readAllLines(Path.of(file), StandardCharsets.UTF_8);
                if (lines.isEmpty() || lines.get(0).isBlank()) throw new IllegalArgumentException(file + " is empty");
                return lines.get(0).strip();
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read --token-file " + file + ": " + e.getMessage());
            }
        }
        String t = env.get("OPSBOT_TOKEN");
        if (t == null || t.isBlank()) throw new IllegalArgumentException("no token: set OPSBOT_TOKEN or use --token-file");
        return t.strip();
    }

    /** Posts events one by one. Once one event gave up (the bot stayed away), the rest get one attempt each. */
    private static final class Sender {
        private final HttpClient client;
        private final Options o;
        private final Hooks hooks;
        private boolean gaveUp;

        Sender(HttpClient client, Options o, Hooks hooks) {
            this.client = client;
            this.o = o;
            this.hooks = hooks;
        }

        boolean send(String summary, PrintStream err) throws InterruptedException {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("source", o.source());
            e.put("severity", o.severity().word());
            if (o.host() != null) e.put("host", o.host());
            e.put("summary", summary);
            if (o.details() != null) e.put("details", o.details());
            if (o.key() != null) e.put("key", o.key());
            byte[] body;
            try {
                body = Fields.JSON.writeValueAsBytes(e);
            } catch (IOException x) {
                throw new IllegalStateException(x);
            }
            HttpRequest req = HttpRequest.newBuilder(o.endpoint()).timeout(ATTEMPT_TIMEOUT)
                    .header("Content-Type", "application/json").header("Authorization", "Bearer " + o.token())
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
            long deadline = System.nanoTime() + o.retryFor().toNanos();
            Duration wait = FIRST_WAIT;
            while (true) {
                String why;
                Duration retryAfter = null;
                try {
                    HttpResponse<String> r = client.send(req, HttpResponse.BodyHandlers.ofString());
                    int s = r.statusCode();
                    if (s / 100 == 2) return true;
                    why = "HTTP " + s + error(r.body());
                    if (s != 429 && s < 500) {
                        return fail(err, summary, why); // the request itself is wrong: sending it again won't help
                    }
                    retryAfter = retryAfter(r.headers().firstValue("Retry-After").orElse(null));
                } catch (HttpConnectTimeoutException x) {
                    why = "no answer to connect from " + o.endpoint().getAuthority();
                } catch (HttpTimeoutException x) {
                    why = "no answer within " + ATTEMPT_TIMEOUT.toSeconds() + "s";
                } catch (ConnectException x) {
                    why = "cannot connect to " + o.endpoint().getAuthority() + " (" + (x.getMessage() == null
                            ? "connection refused" : x.getMessage()) + ")";
                } catch (IOException x) {
                    why = x.toString();
                }
                long left = deadline - System.nanoTime();
                if (gaveUp || left <= 0) {
                    gaveUp = true;
                    return fail(err, summary, why + (o.retryFor().isZero() ? "" : "; gave up retrying after "
                            + Durations.format(o.retryFor())));
                }
                Duration sleep = retryAfter != null ? retryAfter : jitter(wait);
                sleep = sleep.toNanos() > left ? Duration.ofNanos(left) : sleep;
                hooks.retrying(why, sleep);
                Thread.sleep(sleep);
                wait = wait.multipliedBy(2).compareTo(MAX_WAIT) > 0 ? MAX_WAIT : wait.multipliedBy(2);
            }
        }

        private static boolean fail(PrintStream err, String summary, String why) {
            err.println("opsbot notify: not accepted: \"" + Fields.cut(summary, 80) + "\": " + why);
            return false;
        }
    }

    /** Half the wait, plus a random part of the other half: many scripts retrying at once do not stampede. */
    static Duration jitter(Duration wait) {
        long half = wait.toMillis() / 2;
        return Duration.ofMillis(half + ThreadLocalRandom.current().nextLong(half + 1));
    }

    /** Retry-After in seconds (an HTTP date is rare enough to ignore), capped at the backoff's cap. */
    static Duration retryAfter(String value) {
        if (value == null) return null;
        try {
            long s = Long.parseLong(value.strip());
            return s < 0 ? null : Duration.ofSeconds(Math.min(s, MAX_WAIT.toSeconds()));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The intake's one-line error from a JSON answer, if there is one. */
    private static String error(String body) {
        try {
            JsonNode n = Fields.JSON.readTree(body);
            JsonNode e = n == null ? null : n.get("error");
            return e != null && e.isTextual() ? ": " + Fields.cut(e.textValue(), 200) : "";
        } catch (IOException | RuntimeException x) {
            return "";
        }
    }

    /**
     * Lines of at most {@code max} characters: a longer line is cut (marked) and the rest of it skipped, never
     * held; control characters become spaces (an event's summary is one line).
     */
    static final class LineReader {
        private final Reader in;
        private final int max;

        LineReader(Reader in, int max) {
            this.in = in;
            this.max = max;
        }

        String next() throws IOException {
            StringBuilder b = new StringBuilder();
            boolean cut = false;
            int c;
            while ((c = in.read()) != -1 && c != '\n') {
                if (b.length() < max) {
                    b.append(Character.isISOControl(c) ? ' ' : (char) c);
                } else {
                    cut = true;
                }
            }
            if (c == -1 && b.isEmpty() && !cut) return null;
            if (!cut) return b.toString().strip();
            int keep = max - Fields.CUT.length();
            if (Character.isHighSurrogate(b.charAt(keep - 1))) keep--; // never half a character
            return b.substring(0, keep).strip() + Fields.CUT;
        }
    }
}
