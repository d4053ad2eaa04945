package opsbot.bot.dispatch;

import opsbot.commands.model.Plan;
import opsbot.commands.model.Sanitize;
import opsbot.commands.ssh.ExecResult;
import opsbot.commands.ssh.FanOut.StepResult;
import opsbot.config.Durations;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns step results into terse chat lines: a summary first (fits a phone), details after (behind !more).
 * Every line is at most {@link #LINE_BYTES}: one line of minified JSON is one chat message ending in "…",
 * not a hundred and sixty that hold up every other reply. The store keeps the output whole.
 */
final class ResultFormat {
    private static final int MAX_OUTPUT_LINES = 500;
    /** Bytes (UTF-8) of one chat line: one IRC message, whatever the target's name, and a few lines on a phone. */
    static final int LINE_BYTES = 300;

    private ResultFormat() {
    }

    static List<String> lines(Plan plan, List<StepResult> results, Duration took) {
        String what = plan.invocation().spec().name();
        List<String> out = new ArrayList<>();
        if (results.size() == 1) {
            StepResult r = results.get(0);
            out.add(mark(r.result()) + " " + what + " · " + r.step().host().name() + " · " + r.result().brief()
                    + " · " + Durations.format(took));
            unfinished(r).ifPresent(out::add);
            out.addAll(output(r.result(), ""));
            return cap(out);
        }
        List<String> failed = new ArrayList<>();
        long ok = 0;
        for (StepResult r : results) {
            if (r.result().ok()) ok++;
            else failed.add(r.step().host().name() + " " + r.result().brief());
        }
        out.add((failed.isEmpty() ? "✓ " : "✗ ") + what + " · " + ok + " ok"
                + (failed.isEmpty() ? "" : ", " + failed.size() + " failed: " + String.join("; ", failed))
                + " · " + Durations.format(took));
        for (StepResult r : results) {
            List<String> lines = output(r.result(), r.step().host().name() + "| ");
            out.add(mark(r.result()) + " " + r.step().host().name() + ": " + r.result().brief());
            unfinished(r).ifPresent(out::add);
            out.addAll(lines);
        }
        return cap(out);
    }

    /** {@code compute3=1 compute4=0 compute5=unreachable}: what the store keeps per host. */
    static String exitCodes(List<StepResult> results) {
        List<String> parts = new ArrayList<>();
        for (StepResult r : results) {
            String code = switch (r.result()) {
                case ExecResult.Exited e -> Integer.toString(e.status());
                case ExecResult.TimedOut t -> t.stopped() ? "timeout-killed" : "timeout";
                case ExecResult.Lost l -> "lost";
                case ExecResult.NotRun n -> n.why().name().toLowerCase(java.util.Locale.ROOT);
            };
            parts.add(r.step().host().name() + "=" + code);
        }
        return String.join(" ", parts);
    }

    /** Full output for the store, host by host. */
    static String fullOutput(List<StepResult> results) {
        StringBuilder b = new StringBuilder();
        for (StepResult r : results) {
            b.append("== ").append(r.step().host().name()).append(": ").append(r.step().commandLine())
                    .append(" -> ").append(r.result().brief()).append('\n');
            switch (r.result()) {
                case ExecResult.Exited e -> b.append(e.stdout()).append(e.stderr());
                case ExecResult.TimedOut t -> b.append(t.stdout()).append(t.stderr());
                case ExecResult.Lost l -> b.append(l.stdout()).append(l.stderr());
                case ExecResult.NotRun n -> { }
            }
        }
        return b.toString();
    }

    /** A command whose end the host never confirmed: say where it may still be running, before anyone retries. */
    private static java.util.Optional<String> unfinished(StepResult r) {
        boolean unsure = r.result() instanceof ExecResult.Lost
                || r.result() instanceof ExecResult.TimedOut t && !t.stopped();
        return unsure ? java.util.Optional.of("⚠ may still be running on " + r.step().host().name()
                + ": check there before running it again") : java.util.Optional.empty();
    }

    private static String mark(ExecResult r) {
        return r.ok() ? "✓" : "✗";
    }

    private static List<String> output(ExecResult r, String prefix) {
        List<String> out = new ArrayList<>();
        String stdout = "", stderr = "";
        long dropped = 0;
        if (r instanceof ExecResult.Exited e) {
            stdout = e.stdout();
            stderr = e.stderr();
            dropped = e.dropped();
        } else if (r instanceof ExecResult.TimedOut t) {
            stdout = t.stdout();
            stderr = t.stderr();
        } else if (r instanceof ExecResult.Lost l) {
            stdout = l.stdout();
            stderr = l.stderr();
        }
        for (String l : stdout.split("\n")) {
            if (!l.isBlank()) out.add(prefix + clean(l));
        }
        for (String l : stderr.split("\n")) {
            if (!l.isBlank()) out.add(prefix + "stderr: " + clean(l));
        }
        if (dropped > 0) {
            out.add(prefix + "(" + dropped + " more bytes not kept)");
        }
        return out;
    }

    /**
     * Output goes to chat: no control characters (a stray \r or colour code must not garble the channel), and
     * no bidi controls (host output must not reorder how the rest of the line, or the channel, is shown).
     */
    static String clean(String l) {
        StringBuilder b = new StringBuilder(Math.min(l.length(), 4 * LINE_BYTES));
        for (int i = 0; i < l.length() && b.length() <= 4 * LINE_BYTES; ) { // the rest would be cut anyway
            int cp = l.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == '\t') b.append("  ");
            else if (!Character.isISOControl(cp) && !Sanitize.isBidiControl(cp)) b.appendCodePoint(cp);
        }
        return b.toString();
    }

    private static List<String> cap(List<String> all) {
        List<String> lines = all.stream().map(l -> Sanitize.capBytes(l, LINE_BYTES)).toList();
        if (lines.size() <= MAX_OUTPUT_LINES) return lines;
        List<String> out = new ArrayList<>(lines.subList(0, MAX_OUTPUT_LINES));
        out.add("(" + (lines.size() - MAX_OUTPUT_LINES) + " lines cut; the store has them all)");
        return out;
    }
}
