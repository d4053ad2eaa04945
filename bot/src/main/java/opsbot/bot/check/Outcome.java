package opsbot.bot.check;

import opsbot.commands.model.Sanitize;
import opsbot.commands.ssh.ExecResult;
import opsbot.commands.ssh.FanOut;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;

/**
 * What one run of a check found. A host fails when its command exited non-zero, timed out, lost its
 * connection or never started (unreachable, refused login). A run the bot itself was too busy to start counts
 * neither way: it says nothing about the hosts.
 *
 * @param failing each failing host with a short line saying how (its result and its first lines of output)
 * @param summary one bounded line for {@code !checks}
 */
record Outcome(Verdict verdict, SequencedMap<String, String> failing, String summary) {
    enum Verdict { OK, FAILED, INCONCLUSIVE }

    /** Lines of output a failing host's line shows, and the bytes of that line. */
    static final int FIRST_LINES = 2;
    static final int HOST_LINE_BYTES = 240;
    static final int SUMMARY_BYTES = 1000;

    Outcome {
        failing = Collections.unmodifiableSequencedMap(new LinkedHashMap<>(failing));
    }

    static Outcome of(List<FanOut.StepResult> results) {
        SequencedMap<String, String> failing = new LinkedHashMap<>();
        for (FanOut.StepResult r : results) {
            if (r.result() instanceof ExecResult.NotRun n && n.why() == ExecResult.Why.BUSY) {
                return new Outcome(Verdict.INCONCLUSIVE, new LinkedHashMap<>(), "not run: " + Sanitize.capBytes(n.brief(), 200));
            }
            if (!r.result().ok()) {
                failing.put(r.step().host().name(), Sanitize.capBytes(hostLine(r.result()), HOST_LINE_BYTES));
            }
        }
        if (failing.isEmpty()) {
            return new Outcome(Verdict.OK, failing, "ok on " + results.size() + (results.size() == 1 ? " host" : " hosts"));
        }
        String summary = failing.size() + " of " + results.size() + " failed: " + String.join("; ",
                failing.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).toList());
        return new Outcome(Verdict.FAILED, failing, Sanitize.capBytes(summary, SUMMARY_BYTES));
    }

    /** The check could not run at all (the door refused it, the line no longer binds): that is not passing. */
    static Outcome notRun(String reason) {
        return new Outcome(Verdict.FAILED, new LinkedHashMap<>(), Sanitize.capBytes("not run: " + reason, SUMMARY_BYTES));
    }

    /** {@code exit 1: first line | second line}; output cleaned of controls for chat. */
    static String hostLine(ExecResult r) {
        String out = switch (r) {
            case ExecResult.Exited e -> e.stdout() + "\n" + e.stderr();
            case ExecResult.TimedOut t -> t.stdout() + "\n" + t.stderr();
            case ExecResult.Lost l -> l.stdout() + "\n" + l.stderr();
            case ExecResult.NotRun n -> "";
        };
        List<String> first = new ArrayList<>();
        for (String l : out.split("\n")) {
            String c = clean(l).strip();
            if (!c.isEmpty() && first.size() < FIRST_LINES) {
                first.add(c);
            }
        }
        return r.brief() + (first.isEmpty() ? "" : ": " + String.join(" | ", first));
    }

    /** No control or bidi characters from a host reach a channel (a stray \r or colour code garbles it). */
    private static String clean(String l) {
        StringBuilder b = new StringBuilder(Math.min(l.length(), HOST_LINE_BYTES));
        for (int i = 0; i < l.length() && b.length() < HOST_LINE_BYTES; ) {
            int cp = l.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == '\t') b.append(' ');
            else if (!Character.isISOControl(cp) && !Sanitize.isBidiControl(cp)) b.appendCodePoint(cp);
        }
        return b.toString();
    }

    /** The failing hosts' lines for {@code hosts}, joined for one chat line. */
    String details(List<String> hosts) {
        return String.join("; ", hosts.stream().filter(failing::containsKey).map(h -> h + " " + failing.get(h)).toList());
    }
}
