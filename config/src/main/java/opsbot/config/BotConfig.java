package opsbot.config;

import java.time.Duration;
import java.time.ZoneId;

/**
 * Behaviour of the bot itself.
 *
 * @param prefix          command prefix in channels ({@code !}); "nick: command" always works too
 * @param privateMessages whether known people may use commands in private messages (treated as ops trust)
 * @param pageLines       lines shown before "(+N lines: !more)"
 * @param confirmTimeout  how long a destructive command waits for {@code !yes}
 * @param timezone        the local zone incident reports show beside UTC
 * @param staleAfter      a command delivered later than this after it was typed (Matrix, when the bot was
 *                        away) is not run: what people did since has overtaken it. Notes are still recorded.
 * @param lateGrace       a follow-up that fell due while the bot was down still fires at start if it is late
 *                        by less than this; later ones are announced as missed and wait for a human
 */
public record BotConfig(String prefix, Boolean privateMessages, Integer pageLines, Duration confirmTimeout,
                        ZoneId timezone, Duration staleAfter, Duration lateGrace) {
    public static final Duration DEFAULT_LATE_GRACE = Duration.ofMinutes(10);

    public BotConfig {
        prefix = prefix == null ? "!" : prefix;
        privateMessages = privateMessages == null ? Boolean.TRUE : privateMessages;
        pageLines = pageLines == null ? 4 : pageLines;
        confirmTimeout = confirmTimeout == null ? Duration.ofSeconds(60) : confirmTimeout;
        timezone = timezone == null ? ZoneId.of("UTC") : timezone;
        staleAfter = staleAfter == null ? Duration.ofSeconds(60) : staleAfter;
        lateGrace = lateGrace == null ? DEFAULT_LATE_GRACE : lateGrace;
    }

    /** Without {@code late-grace} (its default applies); for callers written before it existed. */
    public BotConfig(String prefix, Boolean privateMessages, Integer pageLines, Duration confirmTimeout,
                     ZoneId timezone, Duration staleAfter) {
        this(prefix, privateMessages, pageLines, confirmTimeout, timezone, staleAfter, null);
    }

    public static BotConfig defaults() {
        return new BotConfig(null, null, null, null, null, null, null);
    }
}
