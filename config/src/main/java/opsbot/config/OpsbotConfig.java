package opsbot.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The whole configuration, as loaded from one YAML file and validated as a whole. */
public record OpsbotConfig(BotConfig bot, IrcConfig irc, MatrixConfig matrix, List<Person> people,
                           Map<String, Trust> channels, List<HostConfig> hosts, SshConfig ssh,
                           List<CommandSpec> commands, StorageConfig storage) {
    public OpsbotConfig {
        bot = bot == null ? BotConfig.defaults() : bot;
        people = people == null ? List.of() : List.copyOf(people);
        channels = channels == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(channels));
        hosts = hosts == null ? List.of() : List.copyOf(hosts);
        commands = commands == null ? List.of() : List.copyOf(commands);
        storage = storage == null ? StorageConfig.embedded("./opsbot-data/opsbot") : storage;
    }

    /** Trust of a channel or room; unknown ones are shared, because that is the safe answer. */
    public Trust trustOf(String channel) {
        Trust t = channels.get(channel);
        if (t == null) {
            for (Map.Entry<String, Trust> e : channels.entrySet()) {
                if (e.getKey().equalsIgnoreCase(channel)) {
                    return e.getValue();
                }
            }
        }
        return t == null ? Trust.SHARED : t;
    }

    public OpsbotConfig withStorage(StorageConfig s) {
        return new OpsbotConfig(bot, irc, matrix, people, channels, hosts, ssh, commands, s);
    }

    public OpsbotConfig withIrc(IrcConfig i) {
        return new OpsbotConfig(bot, i, matrix, people, channels, hosts, ssh, commands, storage);
    }

    public OpsbotConfig withSsh(SshConfig s) {
        return new OpsbotConfig(bot, irc, matrix, people, channels, hosts, s, commands, storage);
    }
}
