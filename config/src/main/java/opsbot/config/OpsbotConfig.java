package opsbot.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The whole configuration, as loaded from one YAML file and validated as a whole.
 *
 * @param runbooks declared runbooks (steps of declared commands, waits, polls, questions)
 * @param checks   declared health checks (read commands the bot runs on a schedule)
 * @param intake   the HTTP intake for events from scripts and monitoring, or null (off)
 * @param duty     the on-duty rotation, or null (nobody is paged)
 */
public record OpsbotConfig(BotConfig bot, IrcConfig irc, MatrixConfig matrix, List<Person> people,
                           Map<String, Trust> channels, List<HostConfig> hosts, SshConfig ssh,
                           List<CommandSpec> commands, StorageConfig storage, List<RunbookSpec> runbooks,
                           List<CheckSpec> checks, IntakeConfig intake, DutyConfig duty) {
    public OpsbotConfig {
        bot = bot == null ? BotConfig.defaults() : bot;
        people = people == null ? List.of() : List.copyOf(people);
        channels = channels == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(channels));
        hosts = hosts == null ? List.of() : List.copyOf(hosts);
        commands = commands == null ? List.of() : List.copyOf(commands);
        storage = storage == null ? StorageConfig.embedded("./opsbot-data/opsbot") : storage;
        runbooks = runbooks == null ? List.of() : List.copyOf(runbooks);
        checks = checks == null ? List.of() : List.copyOf(checks);
    }

    /** Without runbooks and checks; for callers written before they existed. */
    public OpsbotConfig(BotConfig bot, IrcConfig irc, MatrixConfig matrix, List<Person> people,
                        Map<String, Trust> channels, List<HostConfig> hosts, SshConfig ssh,
                        List<CommandSpec> commands, StorageConfig storage) {
        this(bot, irc, matrix, people, channels, hosts, ssh, commands, storage, null, null, null, null);
    }

    /** Without intake and duty; for callers written before they existed. */
    public OpsbotConfig(BotConfig bot, IrcConfig irc, MatrixConfig matrix, List<Person> people,
                        Map<String, Trust> channels, List<HostConfig> hosts, SshConfig ssh,
                        List<CommandSpec> commands, StorageConfig storage, List<RunbookSpec> runbooks,
                        List<CheckSpec> checks) {
        this(bot, irc, matrix, people, channels, hosts, ssh, commands, storage, runbooks, checks, null, null);
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
        return new OpsbotConfig(bot, irc, matrix, people, channels, hosts, ssh, commands, s, runbooks, checks, intake, duty);
    }

    public OpsbotConfig withIrc(IrcConfig i) {
        return new OpsbotConfig(bot, i, matrix, people, channels, hosts, ssh, commands, storage, runbooks, checks, intake, duty);
    }

    public OpsbotConfig withIntake(IntakeConfig in) {
        return new OpsbotConfig(bot, irc, matrix, people, channels, hosts, ssh, commands, storage, runbooks, checks, in, duty);
    }

    public OpsbotConfig withDuty(DutyConfig d) {
        return new OpsbotConfig(bot, irc, matrix, people, channels, hosts, ssh, commands, storage, runbooks, checks, intake, d);
    }

    public OpsbotConfig withSsh(SshConfig s) {
        return new OpsbotConfig(bot, irc, matrix, people, channels, hosts, s, commands, storage, runbooks, checks, intake, duty);
    }
}
