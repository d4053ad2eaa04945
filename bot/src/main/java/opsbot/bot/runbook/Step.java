package opsbot.bot.runbook;

import opsbot.config.Durations;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One step of a started runbook, its placeholders filled: what the asker confirmed. A run keeps its steps in
 * its row (see {@link #encode}), so a config change after the confirmation never changes what a run does;
 * only the rights are checked again when a step runs.
 */
sealed interface Step {
    /** How the step reads in chat and in the journal: {@code grub compute4}, {@code wait 30m}. */
    String label();

    /**
     * A declared command line, as typed in chat, planned again through the door when it runs.
     *
     * @param confirmed what the confirmation showed it would run ({@link #where}: each host with its exact command
     *                  line), or null (not confirmed yet, or stored before this was kept). When it runs, a plan
     *                  that reads differently (the config changed meanwhile) is not run.
     */
    record Run(String line, boolean continueOnFailure, boolean expectDisconnect, String confirmed) implements Step {
        Run(String line, boolean continueOnFailure, boolean expectDisconnect) {
            this(line, continueOnFailure, expectDisconnect, null);
        }

        public String label() {
            return line;
        }

        Run confirming(opsbot.commands.model.Plan plan) {
            return new Run(line, continueOnFailure, expectDisconnect, where(plan));
        }
    }

    /** Each host of a plan with its exact command line, one text: what a person confirms. */
    static String where(opsbot.commands.model.Plan plan) {
        return flat(String.join("; ", plan.steps().stream().map(st -> st.host().name() + ": " + st.commandLine()).toList()));
    }

    record Wait(Duration duration) implements Step {
        public String label() {
            return "wait " + Durations.format(duration);
        }
    }

    /** Until the host answers SSH: a try every {@code every}, failing after {@code atMost}. */
    record Until(String host, Duration every, Duration atMost) implements Step {
        public String label() {
            return "until " + host + " answers SSH";
        }
    }

    record Ask(String question) implements Step {
        public String label() {
            return "ask \"" + question + "\"";
        }
    }

    record Report() implements Step {
        public String label() {
            return "report";
        }
    }

    /** One line per step, fields separated by tabs (texts never hold tabs or line breaks: see {@link #flat}). */
    static String encode(List<Step> steps) {
        StringBuilder b = new StringBuilder();
        for (Step s : steps) {
            b.append(switch (s) {
                case Run r -> "run\t" + r.continueOnFailure() + "\t" + r.expectDisconnect() + "\t" + flat(r.line())
                        + "\t" + (r.confirmed() == null ? "" : flat(r.confirmed()));
                case Wait w -> "wait\t" + w.duration().toMillis();
                case Until u -> "until\t" + flat(u.host()) + "\t" + u.every().toMillis() + "\t" + u.atMost().toMillis();
                case Ask a -> "ask\t" + flat(a.question());
                case Report r -> "report";
            }).append('\n');
        }
        return b.toString();
    }

    static List<Step> decode(String text) {
        List<Step> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            String[] f = line.split("\t", -1);
            out.add(switch (f[0]) {
                case "run" -> new Run(f[3], Boolean.parseBoolean(f[1]), Boolean.parseBoolean(f[2]),
                        f.length > 4 && !f[4].isEmpty() ? f[4] : null); // rows from before it was kept have none
                case "wait" -> new Wait(Duration.ofMillis(Long.parseLong(f[1])));
                case "until" -> new Until(f[1], Duration.ofMillis(Long.parseLong(f[2])), Duration.ofMillis(Long.parseLong(f[3])));
                case "ask" -> new Ask(f[1]);
                case "report" -> new Report();
                default -> throw new IllegalArgumentException("unknown runbook step in the store: " + f[0]);
            });
        }
        return out;
    }

    /** Tabs and line breaks as spaces: a step is one line. */
    static String flat(String s) {
        return s.replaceAll("[\\t\\r\\n]", " ");
    }
}
