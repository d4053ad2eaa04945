package opsbot.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads one runbook step: a mapping with exactly one kind key ({@code run}, {@code wait}, {@code until},
 * {@code ask}) and that kind's own keys, or the word {@code report}. A step that is none or several, or
 * carries another kind's key, is refused at that key, in plain words (see {@link Refusal}).
 */
final class StepReader extends StdDeserializer<RunbookStep> {
    private static final List<String> KINDS = List.of("run", "wait", "until", "ask");
    /** Keys that belong to one kind only. */
    private static final Map<String, String> OWN = Map.of("continue-on-failure", "run", "expect-disconnect", "run",
            "on", "until", "every", "until", "at-most", "until");
    private static final String SHAPES = "a step is one of run: \"CMD ARGS\", wait: 30m, until: ssh-reachable"
            + " (with on:, every:, at-most:), ask: \"QUESTION\", or the word report";

    StepReader() {
        super(RunbookStep.class);
    }

    /** The raw mapping, bound with the loader's own rules (unknown keys, durations, kebab-case). */
    record Raw(String run, Boolean continueOnFailure, Boolean expectDisconnect,
                       @JsonProperty("wait") Duration pause,
                       RunbookStep.Condition until, String on, Duration every, Duration atMost, String ask) {
    }

    @Override
    public RunbookStep deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
        JsonNode n = ctxt.readTree(p);
        if (n.isTextual()) {
            if (n.asText().strip().equals("report")) {
                return new RunbookStep.Report();
            }
            throw new Refusal(p, "unknown step '" + n.asText() + "'", SHAPES);
        }
        if (!n.isObject()) {
            throw new Refusal(p, "a step must be a mapping or the word report", SHAPES);
        }
        List<String> kinds = new ArrayList<>();
        KINDS.forEach(k -> {
            if (n.has(k)) {
                kinds.add(k);
            }
        });
        if (kinds.isEmpty()) {
            // Unknown keys are said by the binder (with the known ones); only the missing kind is said here.
            if (!OWN.keySet().containsAll(keys(n))) {
                ctxt.readTreeAsValue(n, Raw.class);
            }
            throw new Refusal(p, "a step needs one of run, wait, until or ask", SHAPES);
        }
        if (kinds.size() > 1) {
            throw at(new Refusal(p, "a step does one thing: " + kinds.get(0) + " and " + kinds.get(1) + " are both given",
                    "make them two steps"), kinds.get(1));
        }
        String kind = kinds.get(0);
        for (Map.Entry<String, String> e : OWN.entrySet()) {
            if (n.has(e.getKey()) && !e.getValue().equals(kind)) {
                throw at(new Refusal(p, e.getKey() + " belongs to " + e.getValue() + " steps, not to " + kind + " steps",
                        "remove it, or move it to the step it is meant for"), e.getKey());
            }
        }
        Raw r = ctxt.readTreeAsValue(n, Raw.class);
        return switch (kind) {
            case "run" -> new RunbookStep.Run(r.run(), Boolean.TRUE.equals(r.continueOnFailure()),
                    Boolean.TRUE.equals(r.expectDisconnect()));
            case "wait" -> new RunbookStep.Wait(r.pause());
            case "until" -> new RunbookStep.Until(r.until(), r.on(), r.every(), r.atMost());
            default -> new RunbookStep.Ask(r.ask());
        };
    }

    private static List<String> keys(JsonNode n) {
        List<String> keys = new ArrayList<>();
        n.fieldNames().forEachRemaining(keys::add);
        return keys;
    }

    private static Refusal at(Refusal r, String key) {
        r.prependPath(null, key);
        return r;
    }

    /** A step refused in words of the configuration reference, with what to do about it. */
    static final class Refusal extends JsonMappingException {
        final String hint;

        Refusal(JsonParser p, String message, String hint) {
            super(p, message);
            this.hint = hint;
        }
    }
}
