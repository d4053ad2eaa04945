package opsbot.bot.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.Consumer;

/**
 * The bot's counters, in a registry of its own (not the library's global one: two bots in one test JVM must
 * not share figures), served as Prometheus text on {@code GET /metrics}. Label values are few and known in
 * advance (network names, source names from the config, fixed reason words), never chat text or hosts from a
 * request, so a sender cannot grow the registry without bound.
 */
public final class Metrics {
    private final PrometheusRegistry registry = new PrometheusRegistry();

    /** Commands that ran (after the door and any confirmation), by network and kind (read/change). */
    public final Counter commands = Counter.builder().name("opsbot_commands_run").help("commands run")
            .labelNames("network", "kind").register(registry);
    /** Commands the door refused, by network. */
    public final Counter denials = Counter.builder().name("opsbot_commands_denied").help("commands denied by policy")
            .labelNames("network").register(registry);
    /** Events accepted and stored, by source and format (events, alertmanager, pagerduty). */
    public final Counter eventsReceived = Counter.builder().name("opsbot_events_received")
            .help("events accepted and stored").labelNames("source", "format").register(registry);
    /** Requests refused, by reason word (auth, size, media-type, method, json, field, store, busy). */
    public final Counter eventsRejected = Counter.builder().name("opsbot_events_rejected")
            .help("intake requests refused").labelNames("reason").register(registry);
    /** Alert state changes said in chat, by source. */
    public final Counter eventsBroadcast = Counter.builder().name("opsbot_events_broadcast")
            .help("alert changes said in chat").labelNames("source").register(registry);
    /** Events not said on their own, by source and reason (dedup, silenced, budget, unrouted). */
    public final Counter eventsSuppressed = Counter.builder().name("opsbot_events_suppressed")
            .help("events not said on their own line").labelNames("source", "reason").register(registry);
    /** Lines (IRC) or events (Matrix) the outbox sent, by network. */
    public final Counter linesSent = Counter.builder().name("opsbot_lines_sent")
            .help("messages the outbox sent").labelNames("network").register(registry);

    /** Page steps not said on their own line (the target's page budget was spent) but in a digest, by network. */
    public final Counter pagesHeld = Counter.builder().name("opsbot_pages_held")
            .help("page steps held for a digest line").labelNames("network").register(registry);

    /**
     * A gauge read when scraped, e.g. the outbox's pending rows per network: {@code sample} calls its
     * argument once per label value.
     */
    public void gauge(String name, String help, String label, Consumer<GaugeSample> sample) {
        GaugeWithCallback.builder().name(name).help(help).labelNames(label)
                .callback(cb -> sample.accept((value, labelValue) -> cb.call(value, labelValue)))
                .register(registry);
    }

    /** One reading of a callback gauge. */
    @FunctionalInterface
    public interface GaugeSample {
        void set(double value, String labelValue);
    }

    /** All figures in the Prometheus text format (version 0.0.4). */
    public String scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(4096);
        try {
            PrometheusTextFormatWriter.create().write(out, registry.scrape());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The content type of {@link #scrape()}. */
    public static String contentType() {
        return PrometheusTextFormatWriter.create().getContentType();
    }
}
