package opsbot.commands.model;

import opsbot.config.CommandSpec;
import opsbot.config.HostConfig;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/** A declared command with validated flags and typed argument values: nothing raw from chat is left. */
public record Invocation(CommandSpec spec, List<Character> flags, Map<String, Value> values) {

    /** A validated argument value. */
    public sealed interface Value {
        /** The words this value becomes in a remote command line, unquoted. */
        List<String> words();
    }

    public record HostValue(HostConfig host) implements Value {
        public List<String> words() {
            return List.of(host.name());
        }
    }

    public record HostsValue(List<HostConfig> hosts) implements Value {
        public List<String> words() {
            return hosts.stream().map(HostConfig::name).toList();
        }
    }

    public record WordValue(String word) implements Value {
        public List<String> words() {
            return List.of(word);
        }
    }

    /** Whole seconds, rounded up: {@code 500ms} is 1, never 0 (which many tools read as "forever" or "now"). */
    public record DurationValue(Duration duration) implements Value {
        public List<String> words() {
            long s = duration.toSeconds() + (duration.toNanosPart() > 0 ? 1 : 0);
            return List.of(Long.toString(s));
        }
    }

    public record TextValue(String text) implements Value {
        public List<String> words() {
            return List.of(text);
        }
    }
}
