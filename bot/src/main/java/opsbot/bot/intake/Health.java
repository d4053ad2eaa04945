package opsbot.bot.intake;

import opsbot.bot.store.Store;

import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * {@code GET /healthz}: each attached network connected or not, and the store answering a query within
 * {@link #STORE_WAIT}. One probe of the store at a time: health checks arriving while it runs share its answer,
 * so a hung store does not collect a thread per check.
 */
final class Health {
    static final Duration STORE_WAIT = Duration.ofSeconds(2);

    record Report(Map<String, Boolean> networks, boolean store) {
        boolean ok() {
            return store && networks.values().stream().allMatch(b -> b);
        }

        Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("status", ok() ? "ok" : "degraded");
            m.put("networks", networks);
            m.put("store", store);
            return m;
        }
    }

    private final Store store;
    private final Supplier<Map<String, Boolean>> networks;
    private final AtomicReference<CompletableFuture<Boolean>> probe = new AtomicReference<>();

    Health(Store store, Supplier<Map<String, Boolean>> networks) {
        this.store = store;
        this.networks = networks;
    }

    Report check() throws InterruptedException {
        return new Report(networks.get(), storeAnswers());
    }

    private boolean storeAnswers() throws InterruptedException {
        CompletableFuture<Boolean> mine = new CompletableFuture<>();
        CompletableFuture<Boolean> running = probe.compareAndExchange(null, mine);
        if (running == null) {
            running = mine;
            Thread.ofVirtual().name("intake-health").start(() -> {
                try {
                    mine.complete(store.transaction("check the store", db -> {
                        try (Statement s = db.createStatement()) {
                            s.setQueryTimeout((int) STORE_WAIT.toSeconds());
                            s.execute("SELECT 1");
                        }
                        return true;
                    }));
                } catch (RuntimeException e) {
                    mine.complete(false);
                } finally {
                    probe.compareAndSet(mine, null);
                }
            });
        }
        try {
            return running.get(STORE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            return false;
        }
    }
}
