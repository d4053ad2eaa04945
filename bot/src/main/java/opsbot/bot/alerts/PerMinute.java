package opsbot.bot.alerts;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * At most {@code limit} per key and clock minute, then one last, then none until the next minute. Kept in memory
 * (a restart starts afresh, and a rolled-back transaction may have spent one): it bounds a storm's incident
 * entries, it is not a record of anything.
 */
public final class PerMinute {
    public enum Verdict { YES, LAST, NO }

    private final int limit;
    private final Map<String, long[]> spent = new HashMap<>(); // key -> {minute, count}

    public PerMinute(int limit) {
        this.limit = limit;
    }

    public synchronized Verdict spend(String key, Instant now) {
        long minute = now.getEpochSecond() / 60;
        long[] s = spent.computeIfAbsent(key, k -> new long[]{minute, 0});
        if (s[0] != minute) {
            s[0] = minute;
            s[1] = 0;
        }
        s[1]++;
        if (spent.size() > 10_000) spent.entrySet().removeIf(e -> e.getValue()[0] != minute); // bounded by keys seen
        return s[1] <= limit ? Verdict.YES : s[1] == limit + 1 ? Verdict.LAST : Verdict.NO;
    }
}
