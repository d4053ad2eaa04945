package opsbot.config;

import java.util.List;

/**
 * Where events are said. Every route that matches an event says it (a backup error may go to #ops and to
 * #backup); an event no route matches is stored and listed by {@code !alerts}, and said nowhere.
 *
 * @param source         source name or glob ({@code *}, {@code backup*}); default every source
 * @param host           host name or glob; default any host, and events without a host
 * @param minSeverity    the least severity said here; default info
 * @param to             IRC channels and Matrix rooms the bot joins
 * @param linesPerMinute line budget per channel or room of this route; past it, one digest line a minute
 *                       (default 10, far below any IRC network's flood limit)
 */
public record RouteSpec(String source, String host, Severity minSeverity, List<String> to, Integer linesPerMinute) {
    public static final int DEFAULT_LINES_PER_MINUTE = 10;

    public RouteSpec {
        source = source == null ? "*" : source;
        host = host == null ? "*" : host;
        minSeverity = minSeverity == null ? Severity.INFO : minSeverity;
        to = to == null ? List.of() : List.copyOf(to);
        linesPerMinute = linesPerMinute == null ? DEFAULT_LINES_PER_MINUTE : linesPerMinute;
    }

    /** Whether an event from {@code src} about {@code hostName} (or null) at {@code severity} is said here. */
    public boolean matches(String src, String hostName, Severity severity) {
        return severity.atLeast(minSeverity) && Globs.matches(source, src)
                && (host.equals("*") || (hostName != null && Globs.matches(host, hostName)));
    }
}
