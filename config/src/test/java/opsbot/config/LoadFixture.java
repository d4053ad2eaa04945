package opsbot.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/** Writes a config (with an empty key and known_hosts beside it) into a folder and loads it. */
final class LoadFixture {
    /** Lines 1-18: people, a joined #ops, three hosts, ssh, and the commands the site's runbooks use. */
    static final String BASE = """
            people:
              - {name: alice, irc-account: alice, role: operator}
            channels:
              "#ops": ops
            irc: {server: irc.example.net, nick: opsbot, sasl: {account: a, password: b}, channels: ["#ops"]}
            hosts:
              - {name: admin1, address: 10.0.0.10}
              - {name: compute1, address: 10.0.1.1, pair: compute4, groups: [compute], aliases: [c1]}
              - {name: compute4, address: 10.0.2.1, pair: compute1, groups: [compute], aliases: [c4]}
            ssh:
              user: opsbot
              private-key: key
              known-hosts: known_hosts
            commands:
              - {name: fo, flags: [{flag: a}, {flag: m}], args: [{name: host, type: host}], on: {host: admin1}, run: "utils/FailOver.pl {flags} {host}"}
              - {name: srv, aliases: [service], args: [{name: target, type: hosts}, {name: action, type: enum, values: [start, stop]}], on: {arg: target}, run: "srv all {action}"}
              - {name: reboot, role: admin, args: [{name: host, type: host}], on: {arg: host}, run: "sudo /sbin/reboot"}
              - {name: salint, kind: read, role: viewer, args: [{name: target, type: hosts}], on: {arg: target}, run: "spamassassin --lint"}
            """;

    private final Path dir;

    LoadFixture(Path dir) {
        this.dir = dir;
    }

    ConfigLoader.Result load(String yaml) throws IOException {
        Files.writeString(dir.resolve("key"), TestKeys.openssh("none"));
        Files.writeString(dir.resolve("known_hosts"), "");
        Path f = dir.resolve("opsbot.yml");
        Files.writeString(f, yaml);
        return new ConfigLoader(Map.<String, String>of()::get, true).load(f);
    }

    OpsbotConfig loaded(String yaml) throws IOException {
        ConfigLoader.Result r = load(yaml);
        if (r instanceof ConfigLoader.Result.Invalid i) {
            throw new AssertionError(i.report());
        }
        return ((ConfigLoader.Result.Loaded) r).config();
    }

    ConfigLoader.Result.Invalid invalid(String yaml) throws IOException {
        return assertInstanceOf(ConfigLoader.Result.Invalid.class, load(yaml), "expected problems");
    }

    List<Problem> problems(String yaml) throws IOException {
        return invalid(yaml).problems();
    }

    /** The one problem of a config that has exactly one, as "LINE: message | hint". */
    String only(String yaml) throws IOException {
        List<Problem> p = problems(yaml);
        if (p.size() != 1) {
            throw new AssertionError("expected one problem, got " + p);
        }
        return p.get(0).line() + ": " + p.get(0).message() + " | " + p.get(0).hint();
    }
}
