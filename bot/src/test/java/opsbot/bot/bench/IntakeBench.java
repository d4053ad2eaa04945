package opsbot.bot.bench;

import static opsbot.bot.bench.Figures.pct;
import static opsbot.bot.bench.Figures.cpuMs;
import static opsbot.bot.bench.Figures.rssKb;

import opsbot.bot.store.Store;
import opsbot.bot.testkit.IrcUser;
import opsbot.bot.testkit.TestEnv;
import opsbot.config.OpsbotConfig;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Prints the intake's figures under a storm, against the real test IRC server (testenv/up.sh), the bot running as
 * its own process started by the launcher ({@code ./opsbot run}), as people start it:
 * <ul>
 *   <li>first 20,000 events from 8 concurrent senders at 200 a second in all (a storm the bot keeps up with), the
 *       intake's latency counted from when each request was due (median, p99; target p99 &lt; 5 ms);</li>
 *   <li>then 100,000 events from 8 concurrent senders as fast as they get answers: events accepted per second and
 *       the latency then (mostly waiting in line: 8 senders / the rate), events lost (accepted but not in the store;
 *       target 0);</li>
 *   <li>lines the route's channel received per minute (its budget is 10 a minute: at most 10 + a digest);</li>
 *   <li>heap and resident memory during the storm and after it (target: resident &le; 128 MB after the storm,
 *       heap back to its idle size).</li>
 * </ul>
 * The storm is one failure seen many times, as a broken backup run reports it: 1,000 keys over 50 hosts.
 * Usage: build the jar ({@code mvn -B package -DskipTests}), then, with the test servers up and the e2e lock held,
 * {@code java -cp <test class path> opsbot.bot.bench.IntakeBench} (see README, Benchmark).
 */
public final class IntakeBench {
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final String NICK = "inbench";
    private static final String TOKEN = "bench-token-0123456789abcdef";
    private static final int EVENTS = Integer.getInteger("bench.events", 100_000);
    private static final int SENDERS = 8;
    private static final int KEYS = 1_000;
    /** The paced storm before the full-speed one: this many events at this many a second in all. */
    private static final int PACED_EVENTS = Integer.getInteger("bench.paced-events", 20_000);
    private static final int PACED_RATE = Integer.getInteger("bench.paced-rate", 200);
    /** Prints when the slow answers (over 50 ms) were due, second by second (for finding a stall). */
    private static final boolean TIMELINE = Boolean.getBoolean("bench.timeline");
    /**
     * The JDK's HttpClient as the senders' client instead of {@link RawPoster}: it hands every request to its own
     * selector thread and back, two more thread wake-ups per request in the measured latency (about 1 ms each on
     * this VM), and it took more CPU per event than the bot on the same two cores.
     */
    private static final boolean JDK_CLIENT = Boolean.getBoolean("bench.jdk-client");

    public static void main(String[] args) throws Exception {
        TestEnv env = new TestEnv();
        Path jar = env.root.resolve("bot/target/opsbot.jar");
        if (!Files.exists(jar)) throw new IllegalStateException("build first: mvn package (" + jar + ")");
        Path dir = Files.createTempDirectory("opsbot-inbench");
        Path cfgFile = dir.resolve("opsbot.yml");
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        String yaml = env.yaml(dir, "localhost", NICK).replace("storage: {path:", """
                intake:
                  listen: 127.0.0.1:%d
                  sources: [{name: backup, token: %s}]
                  routes: [{source: backup, to: ["#ops"], lines-per-minute: 10}]
                storage: {path:""".formatted(port, TOKEN));
        Files.writeString(cfgFile, yaml);
        OpsbotConfig cfg = env.load(cfgFile.toString(), yaml);
        URI uri = URI.create("http://127.0.0.1:" + port + "/api/v1/events");

        IrcUser alice = env.user("alice_inb", "alice");
        alice.join("#ops");
        Process bot = start(env, jar, cfgFile, dir);
        List<Long> lineTimes = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean listening = new AtomicBoolean(true);
        try {
            alice.awaitLine(l -> l.startsWith(":" + NICK + "!") && l.contains(" JOIN ") && l.contains("#ops"), WAIT);
            alice.say("#ops", "!ping");
            alice.expect(NICK, "pong"::equals, WAIT);
            Thread.sleep(3000);
            long heapIdle = heapUsedKb(bot.pid());
            long rssIdle = rssKb(bot.pid());
            jcmd(bot.pid(), "idle");
            Thread counter = Thread.ofPlatform().daemon().start(() -> {
                while (listening.get()) {
                    try {
                        alice.expect(NICK, t -> true, Duration.ofSeconds(1));
                        lineTimes.add(System.nanoTime());
                    } catch (AssertionError | Exception e) {
                        // no line this second
                    }
                }
            });

            AtomicLong rssMax = new AtomicLong(), heapMax = new AtomicLong();
            AtomicBoolean storming = new AtomicBoolean(true);
            Thread sampler = Thread.ofPlatform().daemon().start(() -> {
                while (storming.get()) {
                    try {
                        rssMax.accumulateAndGet(rssKb(bot.pid()), Math::max);
                        heapMax.accumulateAndGet(heapUsedKb(bot.pid()), Math::max);
                        Thread.sleep(500);
                    } catch (Exception e) {
                        return;
                    }
                }
            });
            // First at a steady rate (a heavy storm that the bot keeps up with: latency is the intake's own), then as
            // fast as the senders can (throughput; latency is then mostly waiting in line, 8 senders / rate).
            monitor(uri);
            long me = ProcessHandle.current().pid();
            long[] cpu0 = {cpuMs(bot.pid()), cpuMs(me)};
            Storm paced = storm(uri, PACED_EVENTS, 0, PACED_RATE);
            long[] cpu1 = {cpuMs(bot.pid()), cpuMs(me)};
            Storm storm = storm(uri, EVENTS, PACED_EVENTS, 0);
            long[] cpu2 = {cpuMs(bot.pid()), cpuMs(me)};
            double secs = storm.secs();
            storming.set(false);
            sampler.join();
            // The channel for two minutes more: the budget's digests come out as the minutes turn.
            Thread.sleep(Long.getLong("bench.after-ms", 130_000));
            System.gc(); // ours; the bot's heap is read after its own collections
            Thread.sleep(5000);
            long rssAfter = rssKb(bot.pid());
            long heapAfter = heapUsedKb(bot.pid());
            jcmd(bot.pid(), "after");
            listening.set(false);
            counter.join();
            bot.destroy();
            bot.waitFor();
            long stored = stored(cfg);

            List<Double> lat = storm.latMs();
            System.out.printf(Locale.ROOT, "intake storm benchmark (%s, %d CPUs)%n", System.getProperty("java.version"),
                    Runtime.getRuntime().availableProcessors());
            System.out.printf(Locale.ROOT, "paced: %d events from %d senders at %d/s: %d accepted, %d refused, %d failed;"
                    + " latency from the planned send time: median %.2f ms, p99 %.2f ms, max %.1f ms (target p99 < 5 ms)%n",
                    PACED_EVENTS, SENDERS, PACED_RATE, paced.accepted(), paced.refused(), paced.failed(),
                    pct(paced.latMs(), 50), pct(paced.latMs(), 99), pct(paced.latMs(), 100));
            System.out.printf(Locale.ROOT, "full speed: %d events from %d senders in %.1f s: %.0f accepted/s; %d accepted,"
                    + " %d refused, %d failed%n", EVENTS, SENDERS, secs, storm.accepted() / secs, storm.accepted(),
                    storm.refused(), storm.failed());
            System.out.printf(Locale.ROOT, "full speed latency: median %.2f ms, p99 %.2f ms, max %.1f ms%n",
                    pct(lat, 50), pct(lat, 99), pct(lat, 100));
            // where the two cores went: the bot's JVM, and the senders' (this one: its listener and sampler are idle)
            System.out.printf(Locale.ROOT, "CPU per event: paced: bot %.0f us, senders %.0f us; full speed: bot %.0f us,"
                    + " senders %.0f us%n", (cpu1[0] - cpu0[0]) * 1000.0 / PACED_EVENTS, (cpu1[1] - cpu0[1]) * 1000.0
                    / PACED_EVENTS, (cpu2[0] - cpu1[0]) * 1000.0 / EVENTS, (cpu2[1] - cpu1[1]) * 1000.0 / EVENTS);
            System.out.printf(Locale.ROOT, "events lost (accepted, not in the store): %d (target 0); stored %d%n",
                    paced.accepted() + storm.accepted() - stored, stored);
            System.out.printf(Locale.ROOT, "lines in #ops: %d in all; most in any 60 s: %d (budget 10 + a digest)%n",
                    lineTimes.size(), maxPerMinute(lineTimes));
            System.out.printf(Locale.ROOT, "heap used: idle %d MB, storm max %d MB, after %d MB%n", heapIdle / 1024,
                    heapMax.get() / 1024, heapAfter / 1024);
            System.out.printf(Locale.ROOT, "resident memory: idle %d MB, storm max %d MB, after %d MB (target <= 128 MB)%n",
                    rssIdle / 1024, rssMax.get() / 1024, rssAfter / 1024);
        } finally {
            listening.set(false);
            if (bot.isAlive()) {
                bot.destroy();
                bot.waitFor();
            }
            alice.close();
        }
    }

    /**
     * With {@code -Dbench.jcmd="VM.native_memory summary"} (and the bot started with native memory tracking, e.g.
     * {@code JDK_JAVA_OPTIONS=-XX:NativeMemoryTracking=summary}): what the bot's JVM says at idle and after the storm.
     */
    private static void jcmd(long pid, String when) throws Exception {
        String what = System.getProperty("bench.jcmd");
        if (what == null) return;
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(pid)));
        cmd.addAll(List.of(what.split(" ")));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        System.out.println("--- jcmd " + what + " (" + when + ")\n" + out);
    }

    record Storm(long accepted, long refused, long failed, double secs, List<Double> latMs) {
    }

    /**
     * {@code events} events (numbered from {@code from}) from {@link #SENDERS} senders; at {@code rate} events a second
     * in all (each request's latency counted from when it was due, so a stall is not hidden by the senders waiting for
     * it), or with {@code rate} 0 each sender sends its next one as soon as it has its answer.
     */
    private static Storm storm(URI uri, int events, int from, int rate) throws InterruptedException {
        AtomicInteger next = new AtomicInteger();
        AtomicLong accepted = new AtomicLong(), refused = new AtomicLong(), failed = new AtomicLong();
        ConcurrentLinkedQueue<long[]> answers = new ConcurrentLinkedQueue<>(); // {due or sent, latency} in ns
        long t0 = System.nanoTime();
        List<Thread> senders = new ArrayList<>();
        for (int s = 0; s < SENDERS; s++) {
            senders.add(Thread.ofPlatform().start(() -> {
                // only the client in use is made (the JDK's starts a selector thread of its own)
                HttpClient http = JDK_CLIENT ? HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                        .connectTimeout(Duration.ofSeconds(5)).build() : null;
                RawPoster raw = new RawPoster(uri, TOKEN);
                int i;
                while ((i = next.getAndIncrement()) < events) {
                    int k = (from + i) % KEYS;
                    String body = """
                            {"source":"backup","severity":"error","host":"imap%d","summary":"missing file %d in user.x%d cyrus.index","key":"slot-%d"}"""
                            .formatted(k % 50, k, k, k);
                    long a = System.nanoTime();
                    if (rate > 0) {
                        long due = t0 + i * 1_000_000_000L / rate;
                        if (due > a) {
                            java.util.concurrent.locks.LockSupport.parkNanos(due - a);
                        }
                        a = due;
                    }
                    try {
                        int code = JDK_CLIENT ? http.send(request(uri, body), HttpResponse.BodyHandlers.discarding())
                                .statusCode() : raw.post(body);
                        answers.add(new long[]{a, System.nanoTime() - a});
                        if (code / 100 == 2) accepted.incrementAndGet();
                        else refused.incrementAndGet();
                    } catch (Exception e) {
                        failed.incrementAndGet();
                        raw.close();
                    }
                }
                raw.close();
            }));
        }
        for (Thread t : senders) t.join();
        double secs = (System.nanoTime() - t0) / 1e9;
        if (TIMELINE) {
            // when the slow answers were due (for finding a stall): seconds into the storm, how many over the bar
            long bar = Long.getLong("bench.slow-ms", 50);
            java.util.TreeMap<Long, Integer> slow = new java.util.TreeMap<>();
            for (long[] x : answers) {
                if (x[1] > bar * 1_000_000L) slow.merge((x[0] - t0) / 1_000_000_000L, 1, Integer::sum);
            }
            System.out.println("slow answers (> " + bar + " ms) by second of the storm: " + slow);
        }
        return new Storm(accepted.get(), refused.get(), failed.get(), secs, answers.stream().map(x -> x[1] / 1e6).toList());
    }

    /** The JDK client's request for one event (built only when that client is in use: it is CPU the senders spend). */
    private static HttpRequest request(URI uri, String body) {
        return HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + TOKEN)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    /**
     * Before the storm, the intake is asked what monitoring asks a running bot all day (Prometheus scrapes
     * {@code /metrics}, a probe reads {@code /healthz}), from the senders' own client: the bot's HTTP server and
     * this JVM's client code are then warm, as in production, and the first events' latency is the store's and
     * the folder's, not this benchmark's class loading. Nothing is stored by it.
     */
    private static void monitor(URI uri) throws Exception {
        try (RawPoster c = new RawPoster(uri, TOKEN)) {
            for (int i = 0; i < 50; i++) {
                if (c.get(i % 2 == 0 ? "/healthz" : "/metrics") != 200) throw new IllegalStateException("the intake is not healthy");
            }
        }
    }

    private static long stored(OpsbotConfig cfg) {
        try (Store store = Store.open(cfg.storage())) {
            return store.transaction("count", db -> {
                try (ResultSet r = db.createStatement().executeQuery("SELECT COUNT(*) FROM events")) {
                    r.next();
                    return r.getLong(1);
                }
            });
        }
    }

    private static int maxPerMinute(List<Long> times) {
        List<Long> t = new ArrayList<>(times);
        Collections.sort(t);
        int best = 0;
        for (int i = 0, j = 0; i < t.size(); i++) {
            while (t.get(i) - t.get(j) >= 60_000_000_000L) j++;
            best = Math.max(best, i - j + 1);
        }
        return best;
    }

    private static Process start(TestEnv env, Path jar, Path cfg, Path dir) throws Exception {
        // As people start it: the launcher (its JVM options, its malloc settings); it execs java, so this is the bot.
        ProcessBuilder pb = new ProcessBuilder(env.root.resolve("opsbot").toString(), "run", "--config", cfg.toString());
        pb.environment().put("PW", env.password());
        // -Dbench.bot-java-options="...": JVM options for the bot alone (e.g. native memory tracking, a profile)
        String opts = System.getProperty("bench.bot-java-options");
        if (opts != null) pb.environment().put("JDK_JAVA_OPTIONS", opts);
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("bot.log").toFile()));
        return pb.start();
    }

    /** The bot's used heap, as its JVM says ({@code jcmd GC.heap_info}: the "used" of the whole heap). */
    private static long heapUsedKb(long pid) throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(pid), "GC.heap_info").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("used (\\d+)K").matcher(out);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }


}
