package opsbot.bot.bench;

import static opsbot.bot.bench.Figures.pct;
import static opsbot.bot.bench.Figures.rssKb;

import opsbot.bot.store.Store;
import opsbot.bot.testkit.IrcUser;
import opsbot.bot.testkit.TestEnv;
import opsbot.config.OpsbotConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Prints the follow-up figures against the real test IRC server (testenv/up.sh), the bot running as its own
 * process from {@code bot/target/opsbot.jar}, started by the {@code ./opsbot} launcher:
 * <ul>
 *   <li>start-up to "joined #ops": with an empty store; with 10,000 pending follow-ups whose timers are
 *       missing (all armed at start); with the same 10,000, armed;</li>
 *   <li>{@code !followups} answer time with the 10,000 pending, beside {@code !ping};</li>
 *   <li>from a follow-up's due time to its chat line, for 200 reminders due 100 ms apart (median, p99);</li>
 *   <li>resident memory of the bot process (scheduler on, 10,000 timers) when idle.</li>
 * </ul>
 * With {@code -Dbench.nmt=true} the bot runs with Native Memory Tracking and the end prints where its resident
 * memory is (the JVM's summary, the heap, glibc's arenas, the largest mappings, its threads): a diagnosis, not
 * the figures (tracking costs a few MB itself).
 * Usage: build the jar ({@code mvn -B package -DskipTests}), then, with the test servers up and the e2e lock held,
 * {@code java -cp <test class path> opsbot.bot.bench.FollowUpBench} (see README, Benchmark).
 */
public final class FollowUpBench {
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final String NICK = "fubench";
    private static final int PENDING = 10_000;
    private static final int FIRED = 200;
    private static final Duration AHEAD = Duration.ofSeconds(25);

    public static void main(String[] args) throws Exception {
        TestEnv env = new TestEnv();
        Path jar = env.root.resolve("bot/target/opsbot.jar");
        if (!Files.exists(jar)) throw new IllegalStateException("build first: mvn package (" + jar + ")");
        Path dir = Files.createTempDirectory("opsbot-fubench");
        Path cfgFile = dir.resolve("opsbot.yml");
        String yaml = env.yaml(dir, "localhost", NICK).replace("rate-limit: 50", "rate-limit: 1000");
        Files.writeString(cfgFile, yaml);
        OpsbotConfig cfg = env.load(cfgFile.toString(), yaml);

        IrcUser alice = env.user("alice_fub", "alice");
        alice.join("#ops");
        try {
            double empty = startAndStop(env, jar, cfgFile, dir, alice);
            fill(cfg, PENDING);
            double arming = startAndStop(env, jar, cfgFile, dir, alice);
            long t0 = System.nanoTime();
            Process bot = start(env, jar, cfgFile, dir);
            try {
                alice.awaitLine(l -> l.startsWith(":" + NICK + "!") && l.contains(" JOIN ") && l.contains("#ops"), WAIT);
                double armed = (System.nanoTime() - t0) / 1e6;
                Thread.sleep(3000);
                long rssStart = rssKb(bot.pid());
                for (int i = 0; i < 10; i++) {
                    roundTrip(alice, "!ping", "pong"::equals);
                    roundTrip(alice, "!followups", s -> s.startsWith("F"));
                }
                alice.drain();
                List<Double> ping = new ArrayList<>(), list = new ArrayList<>();
                for (int i = 0; i < 30; i++) {
                    ping.add(roundTrip(alice, "!ping", "pong"::equals));
                    list.add(roundTrip(alice, "!followups", s -> s.startsWith("F")));
                    Thread.sleep(200);
                    alice.drain();
                }

                long rssListed = rssKb(bot.pid());
                // 200 reminders, asked 100 ms apart, each due AHEAD after it was asked.
                Map<String, Long> dueNs = new ConcurrentHashMap<>();
                List<Double> late = Collections.synchronizedList(new ArrayList<>());
                for (int i = 0; i < FIRED; i++) {
                    long asked = System.nanoTime();
                    dueNs.put("b" + i, asked + AHEAD.toNanos());
                    alice.say("#ops", "!remind " + AHEAD.toSeconds() + "s b" + i);
                    Thread.sleep(100);
                }
                long end = System.nanoTime() + AHEAD.plus(WAIT).toNanos();
                while (late.size() < FIRED && System.nanoTime() < end) {
                    IrcUser.Msg m = alice.expect(NICK, s -> s.contains(": reminder F") && s.contains(": b"), WAIT);
                    long seen = System.nanoTime();
                    String tag = m.text().substring(m.text().lastIndexOf(": ") + 2);
                    Long due = dueNs.remove(tag);
                    if (due != null) late.add((seen - due) / 1e6);
                }
                Thread.sleep(5000); // idle
                long rssKb = rssKb(bot.pid());

                System.out.printf(Locale.ROOT, "follow-ups benchmark (%s, %d CPUs)%n", System.getProperty("java.version"),
                        Runtime.getRuntime().availableProcessors());
                System.out.printf(Locale.ROOT, "start to joined #ops, empty store:                  %6.0f ms%n", empty);
                System.out.printf(Locale.ROOT, "start, %d pending follow-ups, timers missing:   %6.0f ms (all armed at start)%n", PENDING, arming);
                System.out.printf(Locale.ROOT, "start, %d pending follow-ups, timers armed:     %6.0f ms%n", PENDING, armed);
                System.out.printf(Locale.ROOT, "!followups with %d pending (first line):         median %5.1f ms  p99 %5.1f ms%n",
                        PENDING, pct(list, 50), pct(list, 99));
                System.out.printf(Locale.ROOT, "!ping beside it:                                    median %5.1f ms  p99 %5.1f ms%n",
                        pct(ping, 50), pct(ping, 99));
                System.out.printf(Locale.ROOT, "due time to chat line, %d reminders 100 ms apart: median %5.1f ms  p99 %5.1f ms"
                        + "  max %5.1f ms (%d seen)%n", FIRED, pct(late, 50), pct(late, 99), pct(late, 100), late.size());
                System.out.printf(Locale.ROOT, "resident memory, idle, scheduler on, %d timers:  %d MB (target <= 128 MB);"
                        + " %d MB 3 s after start, %d MB after the !followups%n", PENDING, rssKb / 1024, rssStart / 1024, rssListed / 1024);
                if (Boolean.getBoolean("bench.histogram")) { // what the heap holds, after a full GC
                    new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                            Long.toString(bot.pid()), "GC.class_histogram").inheritIO().start().waitFor();
                    new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                            Long.toString(bot.pid()), "GC.heap_info").inheritIO().start().waitFor();
                }
                if (Boolean.getBoolean("bench.nmt")) { // where the resident memory is: the JVM's own account and the kernel's
                    new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                            Long.toString(bot.pid()), "VM.native_memory", "summary").inheritIO().start().waitFor();
                    for (String cmd : List.of("GC.heap_info", "System.native_heap_info")) {
                        new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                                Long.toString(bot.pid()), cmd).inheritIO().start().waitFor();
                    }
                    new ProcessBuilder("sh", "-c", "pmap -x " + bot.pid() + " | sort -k3 -n | tail -40").inheritIO().start().waitFor();
                    System.out.print(Files.readString(Path.of("/proc/" + bot.pid() + "/smaps_rollup")));
                    for (String l : Files.readAllLines(Path.of("/proc/" + bot.pid() + "/status"))) {
                        if (l.startsWith("Threads:")) System.out.println(l);
                    }
                    new ProcessBuilder("sh", "-c", "cat /proc/" + bot.pid() + "/task/*/comm | sed 's/[0-9]*$//' | sort | uniq -c")
                            .inheritIO().start().waitFor();
                }
            } finally {
                bot.destroy();
                bot.waitFor();
            }
        } finally {
            alice.close();
        }
    }

    /** Pending reminders due a day and more ahead, straight into the table (their timers are armed at start). */
    private static void fill(OpsbotConfig cfg, int n) {
        Instant now = Instant.now();
        try (Store store = Store.open(cfg.storage())) {
            store.transaction("fill", db -> {
                // Spread over 100 people: one person may have at most 200 pending (alice asks her own below).
                try (PreparedStatement p = db.prepareStatement("INSERT INTO followups (kind, due_at, created_at, asker,"
                        + " person, nick, network, place, text, state) VALUES ('remind',?,?,?,NULL,?,'irc','#ops',?,'pending')")) {
                    for (int i = 0; i < n; i++) {
                        p.setObject(1, now.plus(Duration.ofDays(1)).plus(Duration.ofMinutes(i)).atOffset(ZoneOffset.UTC));
                        p.setObject(2, now.atOffset(ZoneOffset.UTC));
                        p.setString(3, "irc-account:bench" + (i % 100));
                        p.setString(4, "bench" + (i % 100));
                        p.setString(5, "bench item " + i);
                        p.addBatch();
                    }
                    p.executeBatch();
                }
                return null;
            });
        }
    }

    /**
     * Starts the bot the way an operator does, through the {@code ./opsbot} launcher (its JVM options and
     * environment), so the figures are those of the real start; {@code jar} is what the launcher runs.
     */
    private static Process start(TestEnv env, Path jar, Path cfg, Path dir) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(env.root.resolve("opsbot").toString(), "run", "--config", cfg.toString());
        pb.environment().put("PW", env.password());
        // Diagnostics only (the figures are taken without it): the JVM's account of its native memory.
        if (Boolean.getBoolean("bench.nmt")) pb.environment().put("JDK_JAVA_OPTIONS", "-XX:NativeMemoryTracking=summary");
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("bot.log").toFile()));
        return pb.start();
    }

    /** Starts the bot, times it to its JOIN of #ops, stops it (SIGTERM: a clean stop). */
    private static double startAndStop(TestEnv env, Path jar, Path cfg, Path dir, IrcUser alice) throws Exception {
        long t0 = System.nanoTime();
        Process bot = start(env, jar, cfg, dir);
        try {
            alice.awaitLine(l -> l.startsWith(":" + NICK + "!") && l.contains(" JOIN ") && l.contains("#ops"), WAIT);
            double ms = (System.nanoTime() - t0) / 1e6;
            roundTrip(alice, "!ping", "pong"::equals);
            return ms;
        } finally {
            bot.destroy();
            bot.waitFor();
        }
    }

    private static double roundTrip(IrcUser u, String line, java.util.function.Predicate<String> answer) throws Exception {
        long t = System.nanoTime();
        u.say("#ops", line);
        u.expect(NICK, answer, WAIT);
        return (System.nanoTime() - t) / 1e6;
    }


}
