package opsbot.config;

import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A declared health check: a read command run on a schedule by the bot itself (as a system identity, so no
 * role), which reports a change of state (ok → failing after {@code failAfter} failures in a row, failing →
 * ok) to the {@code report} channels and rooms.
 *
 * @param run       a declared read command's line as typed in chat: {@code salint @compute}
 * @param every     an interval (at least 10s); exactly one of {@code every} and {@code cron}
 * @param cron      a Unix cron line (5 fields) or Quartz's (6 or 7 fields, with seconds); see {@link #quartzCron()}
 * @param zone      the zone the cron line is read in, or null for {@code bot.timezone}; see {@link #zone(BotConfig)}
 * @param report    IRC channels and Matrix rooms (ones the bot joins) told about state changes
 * @param failAfter consecutive failures before the check is "failing" (default 2: one blip is not a page)
 */
public record CheckSpec(String name, String help, String run, Duration every, String cron, ZoneId zone,
                        List<String> report, Integer failAfter) {
    public static final int DEFAULT_FAIL_AFTER = 2;
    public static final Duration MIN_EVERY = Duration.ofSeconds(10);

    public CheckSpec {
        help = help == null ? "" : help;
        report = report == null ? List.of() : List.copyOf(report);
        failAfter = failAfter == null ? DEFAULT_FAIL_AFTER : failAfter;
    }

    /** The zone the cron line is read in: the check's own, else the bot's. */
    public ZoneId zone(BotConfig bot) {
        return zone != null ? zone : bot.timezone();
    }

    /** This check's cron line in Quartz's form, or null for an interval check. */
    public String quartzCron() {
        return cron == null ? null : quartzCron(cron);
    }

    /** Unix day-of-week numbers (0 and 7 are Sunday) as names, which Quartz reads the same way. */
    private static final String[] DAYS = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"};
    private static final Map<String, String> MACROS = Map.of(
            "@yearly", "0 0 1 1 *", "@annually", "0 0 1 1 *", "@monthly", "0 0 1 * *", "@weekly", "0 0 * * 0",
            "@daily", "0 0 * * *", "@midnight", "0 0 * * *", "@hourly", "0 * * * *");

    /**
     * A cron line in the form Quartz's {@code CronExpression} reads. Six or seven fields are Quartz's own and
     * come back as they are. Five fields (Unix: minute hour day-of-month month day-of-week) get a seconds
     * field of {@code 0}; day-of-week numbers become names (Unix counts Sunday as 0 or 7, Quartz as 1); and
     * since Quartz wants {@code ?} in one of the two day fields, day-of-week gets it when it is {@code *},
     * else day-of-month does. A Unix line restricting both day fields (which means either) has no Quartz
     * form: it is returned with both, which Quartz refuses, so the config check says so.
     */
    public static String quartzCron(String cron) {
        String c = cron.strip();
        c = MACROS.getOrDefault(c.toLowerCase(Locale.ROOT), c);
        String[] f = c.split("\\s+");
        if (f.length != 5) {
            return String.join(" ", f);
        }
        String dom = f[2], dow = dayNames(f[4]);
        if (dow.equals("*")) {
            dow = "?";
        } else if (dom.equals("*")) {
            dom = "?";
        }
        return String.join(" ", "0", f[0], f[1], dom, f[3], dow);
    }

    private static String dayNames(String field) {
        StringBuilder b = new StringBuilder();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?<![/\\d])([0-7])(?!\\d)").matcher(field);
        while (m.find()) {
            m.appendReplacement(b, DAYS[Integer.parseInt(m.group(1))]);
        }
        m.appendTail(b);
        return b.toString();
    }
}
