package opsbot.bot.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** What the benchmark programs measure the same way: a process's resident memory, and percentiles. */
final class Figures {
    private Figures() {
    }

    /** Resident memory of process {@code pid} in KiB ({@code VmRSS}), or -1. */
    static long rssKb(long pid) throws Exception {
        for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (l.startsWith("VmRSS:")) return Long.parseLong(l.replaceAll("\\D", ""));
        }
        return -1;
    }

    /**
     * CPU time process {@code pid} has used so far (user and system, all its threads) in ms, from
     * {@code /proc/PID/stat} (in clock ticks, assumed 100 a second as on every Linux here), or -1.
     */
    static long cpuMs(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // after the command's closing parenthesis: state is field 3, utime 14 and stime 15 (1-based)
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10;
    }

    /** The {@code p}th percentile (nearest rank) of {@code xs}; NaN when there are none. */
    static double pct(List<Double> xs, double p) {
        if (xs.isEmpty()) return Double.NaN;
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        int i = (int) Math.ceil(p / 100.0 * s.size()) - 1;
        return s.get(Math.max(0, Math.min(s.size() - 1, i)));
    }
}
