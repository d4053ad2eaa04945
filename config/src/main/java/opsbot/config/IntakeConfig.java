package opsbot.config;

import java.time.Duration;
import java.util.List;

/**
 * The HTTP intake inside the bot: scripts and monitoring post events; they are stored, folded into alerts,
 * and said in the channels and rooms their routes name.
 *
 * @param listen     {@code host:port} to bind; default {@code 127.0.0.1:8089} (loopback: put a TLS proxy in
 *                   front to take events from elsewhere)
 * @param maxBody    largest request body in bytes (default 1 MiB); a longer one is refused with 413 while
 *                   reading, never buffered
 * @param sources    who may post, and how they prove it
 * @param routes     where events are said
 * @param expected   sources that must report on time
 * @param incidentAt events at or above this severity also go into the active incident (default error)
 * @param openIncidentAt events at or above this severity open an incident when none is active (default critical)
 * @param dedupWindow the same alert firing again within this time is counted, not said again (default 1h)
 */
public record IntakeConfig(String listen, Integer maxBody, List<SourceSpec> sources, List<RouteSpec> routes,
                           List<ExpectedSpec> expected, Severity incidentAt, Severity openIncidentAt,
                           Duration dedupWindow) {
    public static final String DEFAULT_LISTEN = "127.0.0.1:8089";
    public static final int DEFAULT_MAX_BODY = 1024 * 1024;

    public IntakeConfig {
        listen = listen == null ? DEFAULT_LISTEN : listen;
        maxBody = maxBody == null ? DEFAULT_MAX_BODY : maxBody;
        sources = sources == null ? List.of() : List.copyOf(sources);
        routes = routes == null ? List.of() : List.copyOf(routes);
        expected = expected == null ? List.of() : List.copyOf(expected);
        incidentAt = incidentAt == null ? Severity.ERROR : incidentAt;
        openIncidentAt = openIncidentAt == null ? Severity.CRITICAL : openIncidentAt;
        dedupWindow = dedupWindow == null ? Duration.ofHours(1) : dedupWindow;
    }

    /** The host part of {@link #listen} (brackets of an IPv6 literal removed). */
    public String host() {
        int c = listen.lastIndexOf(':');
        String h = c < 0 ? listen : listen.substring(0, c);
        return h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
    }

    /** The port part of {@link #listen}, or -1 when it is not a number. */
    public int port() {
        int c = listen.lastIndexOf(':');
        try {
            return c < 0 ? -1 : Integer.parseInt(listen.substring(c + 1));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    public SourceSpec source(String name) {
        return sources.stream().filter(s -> s.name() != null && s.name().equals(name)).findFirst().orElse(null);
    }

    public IntakeConfig withListen(String l) {
        return new IntakeConfig(l, maxBody, sources, routes, expected, incidentAt, openIncidentAt, dedupWindow);
    }
}
