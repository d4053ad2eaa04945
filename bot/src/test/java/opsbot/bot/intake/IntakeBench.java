package opsbot.bot.intake;

import opsbot.bot.alerts.Folder;
import opsbot.bot.metrics.Metrics;
import opsbot.bot.store.Store;
import opsbot.config.StorageConfig;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Prints the intake's own figures (no chat, no folding): {@code SENDERS} concurrent HTTP senders post
 * {@code EVENTS} events in all to an intake with a real embedded store; events per second, latency median and
 * p99, events lost. Usage: {@code java -cp <test class path> opsbot.bot.intake.IntakeBench [EVENTS] [SENDERS]}.
 */
public final class IntakeBench {
    public static void main(String[] args) throws Exception {
        int total = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int senders = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        Path dir = Files.createTempDirectory("intake-bench");
        try (Store store = Store.open(StorageConfig.embedded(dir.resolve("db").toString()));
             Intake intake = Intake.start(IntakeTest.config(), store, new Metrics(), Map::of, Folder.NONE,
                     Clock.systemUTC(), Intake.Limits.DEFAULT)) {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            URI uri = URI.create("http://127.0.0.1:" + intake.port() + Front.EVENTS);
            ExecutorService pool = Executors.newFixedThreadPool(senders);
            List<Long> latencies = Collections.synchronizedList(new ArrayList<>(total));
            long start = System.nanoTime();
            List<Future<Integer>> done = new ArrayList<>();
            for (int s = 0; s < senders; s++) {
                int sender = s;
                done.add(pool.submit(() -> {
                    int ok = 0;
                    for (int i = sender; i < total; i += senders) {
                        HttpRequest r = HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
                                .header("Authorization", "Bearer " + IntakeTest.BACKUP_TOKEN)
                                .POST(HttpRequest.BodyPublishers.ofString(IntakeTest.event("backup", "error",
                                        "missing file " + i + " in user.x cyrus.index"))).build();
                        long t0 = System.nanoTime();
                        int status = http.send(r, HttpResponse.BodyHandlers.discarding()).statusCode();
                        latencies.add(System.nanoTime() - t0);
                        if (status == 202) ok++;
                    }
                    return ok;
                }));
            }
            int ok = 0;
            for (Future<Integer> f : done) ok += f.get();
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            pool.shutdown();
            long stored = store.transaction("count", EventLog::count);
            List<Long> sorted = new ArrayList<>(latencies);
            Collections.sort(sorted);
            System.out.printf("intake: %d events from %d senders in %.2fs: %.0f events/s; latency median %.2f ms, p99 %.2f ms;"
                            + " accepted %d, stored %d, lost %d%n", total, senders, took.toMillis() / 1000.0,
                    total * 1e9 / took.toNanos(), sorted.get(sorted.size() / 2) / 1e6,
                    sorted.get((int) (sorted.size() * 0.99)) / 1e6, ok, stored, ok - stored);
        }
    }
}
