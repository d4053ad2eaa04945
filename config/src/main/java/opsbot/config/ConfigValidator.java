package opsbot.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Checks a bound configuration as a whole and lists every problem, not just the first. */
final class ConfigValidator {
    private static final Pattern HOST_NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9._-]{0,62}");
    private static final Pattern WORD = Pattern.compile("[a-z][a-z0-9_-]{0,31}");

    private final boolean checkFiles;
    private static final java.time.Duration DAY = java.time.Duration.ofDays(1);
    /** Output kept per stream and command; max-parallel commands may each hold two of these at once. */
    static final int OUTPUT_CAP_MAX = 8 * 1024 * 1024;

    private final List<Problem> problems = new ArrayList<>();
    private final List<Problem> warnings = new ArrayList<>();

    ConfigValidator(boolean checkFiles) {
        this.checkFiles = checkFiles;
    }

    List<Problem> validate(OpsbotConfig c) {
        bot(c.bot());
        if (c.irc() != null) {
            irc(c.irc());
        }
        if (c.matrix() != null) {
            matrix(c.matrix());
        }
        people(c.people());
        channels(c.channels());
        joined(c);
        Map<String, HostConfig> names = hosts(c.hosts());
        if (c.ssh() != null) {
            ssh(c.ssh());
        } else if (!c.commands().isEmpty()) {
            add("/ssh", "no ssh section, but commands are declared", "add ssh: user, private-key, known-hosts");
        }
        commands(c.commands(), names, groups(c.hosts()));
        Map<String, CommandSpec> declared = declared(c.commands());
        runbooks(c.runbooks(), declared, hostWords(c.hosts()), groups(c.hosts()));
        checks(c, declared, groups(c.hosts()));
        if (c.intake() != null) {
            intake(c, c.intake());
        }
        if (c.duty() != null) {
            duty(c, c.duty());
        }
        if (c.storage().jdbcUrl() == null && blank(c.storage().path())) {
            add("/storage", "storage needs a path (embedded H2) or a jdbc-url", "e.g. path: /var/lib/opsbot/opsbot");
        }
        if (c.storage().jdbcUrl() != null && !c.storage().jdbcUrl().startsWith("jdbc:h2:")) {
            // Said at check time rather than as a missing driver at 3am: the store's SQL is H2's so far.
            add("/storage/jdbc-url", "only H2 databases are supported so far (PostgreSQL is planned)",
                    "drop jdbc-url and set path for the embedded database");
        }
        storageSecrets(c.storage());
        return problems;
    }

    /** The store's user, password and chain key, when given, must be worth having. */
    private void storageSecrets(StorageConfig st) {
        if (st.user() != null && (st.user().isBlank() || st.user().strip().equalsIgnoreCase("sa"))) {
            add("/storage/user", "the database user must not be empty or sa (H2's default admin)",
                    "leave user out: the embedded database then uses " + StorageConfig.DEFAULT_USER);
        }
        if (st.password() != null && st.password().length() < 16) {
            add("/storage/password", "the database password must have at least 16 characters",
                    "leave password out: a random one is generated on first start (or: openssl rand -hex 16)");
        }
        if (st.chainKey() != null && st.chainKey().strip().length() < 32) {
            add("/storage/chain-key", "the chain key must have at least 32 characters",
                    "e.g. ${file:/etc/opsbot/chain-key} holding the output of openssl rand -hex 32");
        }
        if (st.jdbcUrl() != null && st.jdbcUrl().startsWith("jdbc:h2:") && st.chainKey() == null) {
            add("/storage/chain-key", "with jdbc-url the incident chain's key has no data directory to live in",
                    "set chain-key: ${file:/etc/opsbot/chain-key} (openssl rand -hex 32)");
        }
    }

    /** What validate found that is allowed but probably not meant; never fails the check. */
    List<Problem> warnings() {
        return warnings;
    }

    private void bot(BotConfig b) {
        if (b.prefix().isEmpty() || b.prefix().length() > 3 || b.prefix().isBlank()) {
            add("/bot/prefix", "prefix must be 1 to 3 visible characters", "the usual one is !");
        }
        if (b.pageLines() < 1 || b.pageLines() > 50) {
            add("/bot/page-lines", "page-lines must be between 1 and 50", "4 suits a phone");
        }
        if (b.confirmTimeout().isNegative() || b.confirmTimeout().isZero()) {
            add("/bot/confirm-timeout", "confirm-timeout must be positive", "e.g. 60s");
        }
        if (b.staleAfter().isNegative() || b.staleAfter().isZero()) {
            add("/bot/stale-after", "stale-after must be positive", "e.g. 60s");
        }
        atMostADay("/bot/confirm-timeout", "confirm-timeout", b.confirmTimeout());
        atMostADay("/bot/stale-after", "stale-after", b.staleAfter());
        if (b.lateGrace().isNegative()) {
            add("/bot/late-grace", "late-grace must not be negative", "0s runs nothing late by itself; the default is 10m");
        } else if (b.lateGrace().compareTo(DAY) > 0) {
            add("/bot/late-grace", "late-grace of " + Durations.format(b.lateGrace()) + " is beyond a day",
                    "a follow-up a day late is better announced as missed than run unasked; e.g. 10m");
        }
    }

    private void irc(IrcConfig i) {
        if (blank(i.server())) {
            add("/irc/server", "irc.server is missing", "the IRC server's host name, e.g. irc.example.net");
        }
        if (i.port() < 1 || i.port() > 65535) {
            add("/irc/port", "port " + i.port() + " is out of range", "6697 for TLS, 6667 without");
        }
        if (blank(i.nick())) {
            add("/irc/nick", "irc.nick is missing", "e.g. opsbot");
        }
        if (i.sasl() == null || blank(i.sasl().account()) || blank(i.sasl().password())) {
            add("/irc/sasl", "irc.sasl needs account and password",
                    "opsbot logs in by SASL so that the network knows it; password: ${env:OPSBOT_IRC_PASSWORD}");
        }
        if (!i.tls()) {
            // Allowed (loopback test networks), but a visible choice.
            if (i.server() != null && !isLoopback(i.server())) {
                add("/irc/tls", "tls is off for a non-loopback server: the SASL password would travel in clear",
                        "set tls: true");
            }
        }
        if (i.truststore() != null) {
            file("/irc/truststore", i.truststore(), "truststore");
        }
        for (int k = 0; k < i.channels().size(); k++) {
            String ch = i.channels().get(k);
            if (ch == null || !(ch.startsWith("#") || ch.startsWith("&")) || ch.contains(" ") || ch.contains(",")) {
                add("/irc/channels/" + k, "not a channel name: " + ch, "IRC channels start with # and have no spaces");
            }
        }
        for (int k = 0; k < i.incidentChannels().size(); k++) {
            String ch = i.incidentChannels().get(k);
            if (i.channels().stream().noneMatch(c -> c.equalsIgnoreCase(ch))) {
                add("/irc/incident-channels/" + k, "incident channel " + ch + " is not in irc.channels",
                        "list it under irc.channels too, so that opsbot joins it");
            }
        }
        if (i.rateLimit() <= 0) {
            add("/irc/rate-limit", "rate-limit must be positive (lines per second)", "2 is safe on most networks");
        }
        if (!i.reconnectMax().isPositive()) {
            add("/irc/reconnect-max", "reconnect-max must be positive", "e.g. 5m");
        }
        atMostADay("/irc/reconnect-max", "reconnect-max", i.reconnectMax());
    }

    private void matrix(MatrixConfig m) {
        if (blank(m.homeserver()) || !m.homeserver().matches("https?://[^\\s/]+.*")) {
            add("/matrix/homeserver", "matrix.homeserver must be an http(s) URL", "e.g. https://matrix.example.org");
        } else if (m.homeserver().startsWith("http://") && !isLoopback(m.homeserver().replaceFirst("^http://", "")
                .replaceFirst("[:/].*$", ""))) {
            add("/matrix/homeserver", "plain http to a non-loopback homeserver would expose the bot's token", "use https");
        }
        if (blank(m.user())) {
            add("/matrix/user", "matrix.user is missing", "the bot's user ID, e.g. @opsbot:example.org");
        }
        if (blank(m.password()) && blank(m.accessToken())) {
            add("/matrix", "matrix needs password or access-token", "access-token: ${file:/etc/opsbot/matrix-token}");
        }
        for (int k = 0; k < m.rooms().size(); k++) {
            String r = m.rooms().get(k);
            if (r == null || !r.matches("[!#][^:\\s]+:\\S+")) {
                add("/matrix/rooms/" + k, "not a room ID or alias: " + r, "!id:server or #alias:server");
            }
        }
        for (int k = 0; k < m.incidentRooms().size(); k++) {
            if (!m.rooms().contains(m.incidentRooms().get(k))) {
                add("/matrix/incident-rooms/" + k, "incident room " + m.incidentRooms().get(k) + " is not in matrix.rooms",
                        "list it under matrix.rooms too, so that opsbot joins it");
            }
        }
        if (!m.syncTimeout().isPositive()) {
            add("/matrix/sync-timeout", "sync-timeout must be positive", "30s");
        }
        atMostADay("/matrix/sync-timeout", "sync-timeout", m.syncTimeout());
    }

    private void people(List<Person> people) {
        Set<String> names = new HashSet<>();
        Map<String, String> accounts = new HashMap<>();
        for (int k = 0; k < people.size(); k++) {
            Person p = people.get(k);
            String at = "/people/" + k;
            if (blank(p.name())) {
                add(at + "/name", "person without a name", "name is used in replies and the incident log");
            } else if (!names.add(p.name().toLowerCase(Locale.ROOT))) {
                add(at + "/name", "duplicate person " + p.name(), "each person once; give both accounts to one entry");
            } else if (p.name().contains(":")) {
                // "check:spamassassin" is how the bot's own checks are named at the door: no person may pass for one
                add(at + "/name", "person name " + p.name() + " contains ':'", "':' is kept for the bot's own identities (check:NAME); use letters, digits, - or _");
            }
            if (p.role() == null) {
                add(at + "/role", "person " + p.name() + " has no role", "viewer, operator or admin");
            }
            if (blank(p.ircAccount()) && blank(p.matrixId())) {
                add(at, "person " + p.name() + " has neither irc-account nor matrix-id",
                        "identity comes from services accounts and Matrix IDs, never from nicks");
            }
            if (!blank(p.ircAccount())) {
                String prev = accounts.put("irc:" + p.ircAccount().toLowerCase(Locale.ROOT), p.name());
                if (prev != null) {
                    add(at + "/irc-account", "irc-account " + p.ircAccount() + " is also " + prev + "'s", "one account, one person");
                }
            }
            if (!blank(p.matrixId())) {
                if (!p.matrixId().matches("@[^:\\s]+:[^\\s]+")) {
                    add(at + "/matrix-id", "not a Matrix user ID: " + p.matrixId(), "e.g. @alice:example.org");
                }
                String prev = accounts.put("mx:" + p.matrixId(), p.name());
                if (prev != null) {
                    add(at + "/matrix-id", "matrix-id " + p.matrixId() + " is also " + prev + "'s", "one ID, one person");
                }
            }
        }
    }

    private void channels(Map<String, Trust> channels) {
        Map<String, String> folded = new HashMap<>();
        for (Map.Entry<String, Trust> e : channels.entrySet()) {
            String at = "/channels/" + LocatedYaml.escape(e.getKey());
            if (e.getValue() == null) {
                add(at, "channel " + e.getKey() + " has no trust", "ops or shared");
            }
            // IRC ignores case in channel names: two entries would give one channel two trusts.
            String prev = folded.putIfAbsent(e.getKey().toLowerCase(Locale.ROOT), e.getKey());
            if (prev != null) {
                add(at, "channels " + prev + " and " + e.getKey() + " differ only in case",
                        "channel names ignore case: keep one entry");
            }
        }
    }

    /** Trust is given by name; a name the bot never joins is most likely a typo. */
    private void joined(OpsbotConfig c) {
        Set<String> joined = new HashSet<>();
        if (c.irc() != null) {
            c.irc().channels().forEach(ch -> joined.add(ch == null ? "" : ch.toLowerCase(Locale.ROOT)));
        }
        if (c.matrix() != null) {
            c.matrix().rooms().forEach(r -> joined.add(r == null ? "" : r.toLowerCase(Locale.ROOT)));
        }
        for (String ch : c.channels().keySet()) {
            if (!joined.contains(ch.toLowerCase(Locale.ROOT))) {
                warnings.add(new Problem("/channels/" + LocatedYaml.escape(ch), 0, "trust is given to " + ch
                        + ", but the bot joins no such channel or room",
                        "add it to irc.channels or matrix.rooms, or fix the name"));
            }
        }
    }

    private Map<String, HostConfig> hosts(List<HostConfig> hosts) {
        Map<String, HostConfig> byName = new HashMap<>();
        Map<String, String> names = new HashMap<>(); // name or alias -> owner
        for (int k = 0; k < hosts.size(); k++) {
            HostConfig h = hosts.get(k);
            String at = "/hosts/" + k;
            if (blank(h.name()) || !HOST_NAME.matcher(h.name()).matches()) {
                add(at + "/name", "bad host name: " + h.name(), "letters, digits, dot, dash, underscore");
                continue;
            }
            String prev = names.putIfAbsent(h.name().toLowerCase(Locale.ROOT), h.name());
            if (prev != null) {
                add(at + "/name", "duplicate host or alias " + h.name() + " (also " + prev + ")", "names and aliases must be unique");
            }
            byName.put(h.name().toLowerCase(Locale.ROOT), h);
            if (blank(h.address())) {
                add(at + "/address", "host " + h.name() + " has no address", "an IP address or DNS name");
            }
            if (h.port() < 1 || h.port() > 65535) {
                add(at + "/port", "port " + h.port() + " is out of range", "22 unless sshd listens elsewhere");
            }
            for (int a = 0; a < h.aliases().size(); a++) {
                String alias = h.aliases().get(a);
                if (blank(alias) || !HOST_NAME.matcher(alias).matches()) {
                    add(at + "/aliases/" + a, "bad alias: " + alias, "letters, digits, dot, dash, underscore");
                    continue;
                }
                prev = names.putIfAbsent(alias.toLowerCase(Locale.ROOT), h.name());
                if (prev != null) {
                    add(at + "/aliases/" + a, "duplicate alias " + alias + " (" + h.name() + " and " + prev + ")",
                            "an alias must name exactly one host");
                }
            }
        }
        for (int k = 0; k < hosts.size(); k++) {
            HostConfig h = hosts.get(k);
            if (h.pair() == null || h.name() == null) {
                continue;
            }
            HostConfig other = byName.get(h.pair().toLowerCase(Locale.ROOT));
            if (other == null) {
                add("/hosts/" + k + "/pair", "unknown host in pair: " + h.name() + " pairs with " + h.pair(),
                        "declare " + h.pair() + " under hosts, or fix the name");
            } else if (other == h) {
                add("/hosts/" + k + "/pair", h.name() + " pairs with itself", "a pair is the other server of the two");
            } else if (other.pair() != null && !other.pair().equalsIgnoreCase(h.name())
                    && byName.containsKey(other.pair().toLowerCase(Locale.ROOT))) {
                add("/hosts/" + k + "/pair", h.name() + " pairs with " + other.name() + ", but " + other.name()
                        + " pairs with " + other.pair(), "pairs go both ways");
            }
        }
        return byName;
    }

    private static Set<String> groups(List<HostConfig> hosts) {
        Set<String> g = new HashSet<>();
        hosts.forEach(h -> h.groups().forEach(x -> g.add(x.toLowerCase(Locale.ROOT))));
        return g;
    }

    private void ssh(SshConfig s) {
        if (blank(s.user())) {
            add("/ssh/user", "ssh.user is missing", "the account opsbot logs in as on every host");
        }
        if (blank(s.privateKey())) {
            add("/ssh/private-key", "ssh.private-key is missing", "an ed25519 key: ssh-keygen -t ed25519 -f opsbot_key");
        } else if (file("/ssh/private-key", s.privateKey(), "private key")) {
            String why = KeyFile.check(Path.of(s.privateKey()));
            if (why != null) {
                add("/ssh/private-key", "private key " + s.privateKey() + " " + why,
                        "make one without a passphrase: ssh-keygen -t ed25519 -N '' -f opsbot_key");
            }
        }
        if (blank(s.knownHosts())) {
            add("/ssh/known-hosts", "ssh.known-hosts is missing",
                    "host keys are checked strictly; collect them with ssh-keyscan and check the fingerprints");
        } else {
            file("/ssh/known-hosts", s.knownHosts(), "known_hosts file");
        }
        if (!s.connectTimeout().isPositive()) {
            add("/ssh/connect-timeout", "connect-timeout must be positive", "5s fails a dead host fast");
        }
        if (!s.commandTimeout().isPositive()) {
            add("/ssh/command-timeout", "command-timeout must be positive", "e.g. 60s");
        }
        if (s.maxParallel() < 1 || s.maxParallel() > 256) {
            add("/ssh/max-parallel", "max-parallel must be 1..256", "8 is plenty for a fan-out");
        }
        if (s.hostSessions() < 1 || s.hostSessions() > 256) {
            add("/ssh/host-sessions", "host-sessions must be 1..256", "at most the hosts' sshd MaxSessions (10 by default)");
        }
        if (s.reservedForChanges() < 0 || (s.reservedForChanges() > 0 && s.reservedForChanges() >= s.maxParallel())) {
            add("/ssh/reserved-for-changes", "reserved-for-changes must be below max-parallel (" + s.maxParallel() + ")", "read commands need a slot too; 2 of 8 is the default");
        }
        if (s.commandsPerMinute() < 1 || s.commandsPerMinute() > 10_000) {
            add("/ssh/commands-per-minute", "commands-per-minute must be 1..10000", "20 per person is the default");
        }
        if (s.outputCap() < 1024) {
            add("/ssh/output-cap", "output-cap below 1024 bytes hides too much", "e.g. 65536");
        } else if (s.outputCap() > OUTPUT_CAP_MAX) {
            add("/ssh/output-cap", "output-cap above 8 MiB: every running command may hold twice that in memory",
                    "e.g. 65536; long output is paged behind !more anyway");
        }
        if (!s.keepalive().isPositive()) {
            add("/ssh/keepalive", "keepalive must be positive: without it a dead host keeps its pooled session",
                    "e.g. 30s");
        }
        atMostADay("/ssh/connect-timeout", "connect-timeout", s.connectTimeout());
        atMostADay("/ssh/command-timeout", "command-timeout", s.commandTimeout());
        atMostADay("/ssh/keepalive", "keepalive", s.keepalive());
    }

    /** Chat words taken by declared commands and runbooks: word -> "command srv", "runbook reinstall". */
    private final Map<String, String> names = new HashMap<>();

    private void commands(List<CommandSpec> commands, Map<String, HostConfig> hosts, Set<String> groups) {
        for (int k = 0; k < commands.size(); k++) {
            CommandSpec c = commands.get(k);
            String at = "/commands/" + k;
            if (blank(c.name()) || !WORD.matcher(c.name()).matches()) {
                add(at + "/name", "bad command name: " + c.name(), "lower-case letters, digits, - and _");
                continue;
            }
            chatWords(at, c.name(), c.aliases(), "command");
            if (blank(c.run())) {
                add(at + "/run", "command " + c.name() + " has no run template", "the remote command line, e.g. utils/FailOver.pl {flags} {host}");
            } else {
                template(at, c);
            }
            if (c.role() == Role.VIEWER && c.kind() == Kind.CHANGE && !c.confirm()) {
                add(at + "/confirm", "command " + c.name() + " lets any viewer make a change without confirming",
                        "set role: operator, or confirm: true");
            }
            flags(at, c);
            args(at + "/args", c.args());
            target(at, c, hosts, groups);
        }
    }

    /** A command's or runbook's name and aliases: word syntax, not built-in, one meaning across both. */
    private void chatWords(String at, String name, List<String> aliases, String what) {
        List<String> all = new ArrayList<>();
        all.add(name);
        all.addAll(aliases);
        for (int a = 0; a < all.size(); a++) {
            String n = all.get(a);
            String p = a == 0 ? at + "/name" : at + "/aliases/" + (a - 1);
            if (n == null || !WORD.matcher(n).matches()) {
                add(p, "bad " + what + " name or alias: " + n, "lower-case letters, digits, - and _");
            } else if (CommandSpec.RESERVED_NAMES.contains(n)) {
                add(p, n + " is a built-in command", "choose another name");
            } else {
                String prev = names.putIfAbsent(n, what + " " + name);
                if (prev != null) {
                    add(p, "duplicate name or alias " + n + " (" + what + " " + name + " and " + prev + ")",
                            "a name must mean one command or runbook");
                }
            }
        }
    }

    private void flags(String at, CommandSpec c) {
        Set<Character> seen = new HashSet<>();
        for (int f = 0; f < c.flags().size(); f++) {
            String flag = c.flags().get(f).flag();
            if (flag == null || !flag.matches("[a-zA-Z]")) {
                add(at + "/flags/" + f + "/flag", "flag must be one letter: " + flag, "e.g. K for -K");
            } else if (!seen.add(flag.charAt(0))) {
                add(at + "/flags/" + f + "/flag", "duplicate flag -" + flag, "each flag once");
            }
        }
    }

    /** A command's args or a runbook's params, under {@code at} ({@code /commands/0/args}). */
    private void args(String at, List<CommandSpec.ArgSpec> args) {
        Set<String> seen = new HashSet<>();
        boolean optionalSeen = false;
        for (int a = 0; a < args.size(); a++) {
            CommandSpec.ArgSpec arg = args.get(a);
            String p = at + "/" + a;
            if (arg.name() == null || !WORD.matcher(arg.name()).matches() || arg.name().equals("flags")) {
                add(p + "/name", "bad argument name: " + arg.name(), "lower-case word; 'flags' is taken");
                continue;
            }
            if (!seen.add(arg.name())) {
                add(p + "/name", "duplicate argument " + arg.name(), "each argument once");
            }
            if (arg.type() == null) {
                add(p + "/type", "argument " + arg.name() + " has no type", "host, hosts, enum, duration or text");
                continue;
            }
            if (arg.type() == CommandSpec.ArgType.ENUM && arg.values().isEmpty()) {
                add(p + "/values", "enum argument " + arg.name() + " has no values", "values: [start, stop]");
            }
            for (String v : arg.values()) {
                if (v == null || !v.matches("[a-zA-Z0-9][a-zA-Z0-9._-]*")) {
                    add(p + "/values", "bad enum value: " + v, "plain words only");
                }
            }
            if (arg.type() == CommandSpec.ArgType.TEXT && a != args.size() - 1) {
                add(p + "/type", "text argument " + arg.name() + " must be the last one", "text takes the rest of the line");
            }
            if (arg.optional()) {
                optionalSeen = true;
            } else if (optionalSeen) {
                add(p + "/optional", "required argument " + arg.name() + " after an optional one", "put optional arguments last");
            }
        }
    }

    private void template(String at, CommandSpec c) {
        Matcher m = CommandSpec.PLACEHOLDER.matcher(c.run());
        while (m.find()) {
            String name = m.group(1);
            if (name.equals("flags")) {
                continue;
            }
            if (c.arg(name) == null) {
                add(at + "/run", "template of " + c.name() + " names undeclared argument {" + name + "}",
                        "declare it under args, or fix the name; declared: " + c.args().stream().map(CommandSpec.ArgSpec::name).toList());
            }
        }
        String stripped = CommandSpec.PLACEHOLDER.matcher(c.run()).replaceAll("");
        if (stripped.contains("{") || stripped.contains("}")) {
            add(at + "/run", "stray brace in template of " + c.name(), "placeholders look like {host}");
        }
        ShellTemplate.Analysis shell = ShellTemplate.analyse(c.run());
        for (String why : shell.refusals()) {
            add(at + "/run", "unsafe template of " + c.name() + ": " + why,
                    "a placeholder must be a word of its own ({host}) or an option value (--name={host}); see README, Templates");
        }
        for (ShellTemplate.Use u : shell.uses()) {
            CommandSpec.ArgSpec a = c.arg(u.name());
            boolean severalWords = u.name().equals("flags") || a != null && a.type() == CommandSpec.ArgType.HOSTS;
            if (u.position() == ShellTemplate.Position.OPTION_VALUE && severalWords) {
                add(at + "/run", "unsafe template of " + c.name() + ": {" + u.name() + "} can be several words and"
                        + " cannot follow --option=", "write it as a word of its own");
            }
        }
    }

    private void target(String at, CommandSpec c, Map<String, HostConfig> hosts, Set<String> groups) {
        CommandSpec.Target t = c.on();
        if (t == null) {
            add(at + "/on", "command " + c.name() + " does not say where it runs",
                    "on: {host: admin1} | {arg: host} | {pair-of: host} | {group: compute}");
            return;
        }
        int set = (t.host() != null ? 1 : 0) + (t.arg() != null ? 1 : 0) + (t.pairOf() != null ? 1 : 0) + (t.group() != null ? 1 : 0);
        if (set != 1) {
            add(at + "/on", "on: must name exactly one of host, arg, pair-of, group", "e.g. on: {host: admin1}");
            return;
        }
        if (t.host() != null && !hosts.containsKey(t.host().toLowerCase(Locale.ROOT))) {
            add(at + "/on/host", "unknown host " + t.host(), "declare it under hosts");
        }
        if (t.group() != null && !groups.contains(t.group().toLowerCase(Locale.ROOT))) {
            add(at + "/on/group", "no host is in group " + t.group(), "add the group to some hosts");
        }
        String argName = t.arg() != null ? t.arg() : t.pairOf();
        if (argName != null) {
            CommandSpec.ArgSpec a = c.arg(argName);
            String p = at + "/on/" + (t.arg() != null ? "arg" : "pair-of");
            if (a == null) {
                add(p, "on: names undeclared argument " + argName, "declare it under args");
            } else if (a.type() != CommandSpec.ArgType.HOST && a.type() != CommandSpec.ArgType.HOSTS) {
                add(p, "on: argument " + argName + " must be of type host or hosts", "type: host");
            } else if (t.pairOf() != null && a.type() != CommandSpec.ArgType.HOST) {
                add(p, "pair-of needs a single host argument", "type: host");
            } else if (a.optional()) {
                add(p, "on: argument " + argName + " cannot be optional", "remove optional: true");
            }
        }
    }

    /** Declared commands by name and alias (lower case), for run lines of runbooks and checks. */
    private static Map<String, CommandSpec> declared(List<CommandSpec> commands) {
        Map<String, CommandSpec> out = new HashMap<>();
        for (CommandSpec c : commands) {
            if (c.name() == null) {
                continue;
            }
            out.putIfAbsent(c.name().toLowerCase(Locale.ROOT), c);
            c.aliases().forEach(a -> {
                if (a != null) {
                    out.putIfAbsent(a.toLowerCase(Locale.ROOT), c);
                }
            });
        }
        return out;
    }

    /** Host names and aliases, lower case: what a literal host in a step may be. */
    private static Set<String> hostWords(List<HostConfig> hosts) {
        Set<String> out = new HashSet<>();
        for (HostConfig h : hosts) {
            if (h.name() != null) {
                out.add(h.name().toLowerCase(Locale.ROOT));
            }
            h.aliases().forEach(a -> out.add(a == null ? "" : a.toLowerCase(Locale.ROOT)));
        }
        return out;
    }

    private static final java.time.Duration WEEK = java.time.Duration.ofDays(7);

    private void runbooks(List<RunbookSpec> runbooks, Map<String, CommandSpec> commands, Set<String> hosts,
                          Set<String> groups) {
        for (int k = 0; k < runbooks.size(); k++) {
            RunbookSpec r = runbooks.get(k);
            String at = "/runbooks/" + k;
            if (blank(r.name()) || !WORD.matcher(r.name()).matches()) {
                add(at + "/name", "bad runbook name: " + r.name(), "lower-case letters, digits, - and _");
                continue;
            }
            chatWords(at, r.name(), r.aliases(), "runbook");
            args(at + "/params", r.params());
            if (r.steps().isEmpty()) {
                add(at + "/steps", "runbook " + r.name() + " has no steps", "e.g. steps: [{run: \"srv {host} stop\"}, report]");
            }
            for (int s = 0; s < r.steps().size(); s++) {
                step(at + "/steps/" + s, r, r.steps().get(s), commands, hosts, groups);
            }
        }
    }

    private void step(String at, RunbookSpec r, RunbookStep step, Map<String, CommandSpec> commands, Set<String> hosts,
                      Set<String> groups) {
        switch (step) {
            case RunbookStep.Run run -> {
                if (blank(run.line())) {
                    add(at + "/run", "run step without a command line", "as typed in chat, e.g. run: \"srv {host} stop\"");
                    return;
                }
                placeholders(at + "/run", run.line(), r, true);
                CommandSpec c = commandOf(at + "/run", run.line(), commands, "runbook " + r.name());
                if (c != null && c.role().compareTo(r.role()) > 0) {
                    warnings.add(new Problem(at + "/run", 0, "runbook " + r.name() + " (role " + r.role().label()
                            + ") runs " + c.name() + ", which needs " + c.role().label()
                            + ": started by someone with less, it stops at this step",
                            "give the runbook role: " + c.role().label()));
                }
                groupWords(at + "/run", run.line(), groups);
            }
            case RunbookStep.Wait w -> {
                if (w.duration() == null) {
                    add(at + "/wait", "wait step without a duration", "e.g. wait: 30m");
                } else {
                    between(at + "/wait", "wait", w.duration(), WEEK, "e.g. wait: 30m");
                }
            }
            case RunbookStep.Until u -> {
                if (u.condition() == null) {
                    add(at + "/until", "until step without a condition", "until: ssh-reachable");
                }
                untilHost(at + "/on", u.on(), r, hosts);
                between(at + "/every", "every", u.every(), WEEK, "e.g. every: 1m");
                between(at + "/at-most", "at-most", u.atMost(), WEEK, "e.g. at-most: 60m");
                if (u.every().isPositive() && u.atMost().isPositive() && u.every().compareTo(u.atMost()) >= 0) {
                    add(at + "/every", "every (" + Durations.format(u.every()) + ") must be shorter than at-most ("
                            + Durations.format(u.atMost()) + ")", "try several times: e.g. every: 1m, at-most: 60m");
                }
            }
            case RunbookStep.Ask a -> {
                if (blank(a.question())) {
                    add(at + "/ask", "ask step without a question", "e.g. ask: \"Is {host} back in the pool?\"");
                } else {
                    placeholders(at + "/ask", a.question(), r, false);
                }
            }
            case RunbookStep.Report rep -> {
            }
        }
    }

    /** Where an until step polls: a host parameter's placeholder, or a host by name or alias. */
    private void untilHost(String at, String on, RunbookSpec r, Set<String> hosts) {
        if (blank(on)) {
            add(at, "until step without on: the host to try", "e.g. on: \"{host}\"");
            return;
        }
        List<RunbookSpec.Placeholder> uses = RunbookSpec.placeholders(on);
        if (uses.isEmpty()) {
            if (!hosts.contains(on.strip().toLowerCase(Locale.ROOT))) {
                add(at, "unknown host " + on, "a host name or alias, or a host parameter: on: \"{host}\"");
            }
            return;
        }
        if (!placeholders(at, on, r, true)) {
            return;
        }
        CommandSpec.ArgSpec p = r.param(uses.get(0).param());
        if (uses.size() != 1 || !RunbookSpec.PLACEHOLDER.matcher(on.strip()).matches()
                || p.type() != CommandSpec.ArgType.HOST) {
            add(at, "on: must be one host: a host parameter or a host name", "e.g. on: \"{host}\" with {host} of type host");
        }
    }

    /**
     * The placeholders of a step text name parameters ({@code {host}}, {@code {host.pair}} of a host
     * parameter); in command lines each is a word of its own, since the bot fills them in before it splits
     * the line. Whether all were fine.
     */
    private boolean placeholders(String at, String text, RunbookSpec r, boolean wholeWords) {
        boolean ok = true;
        List<String> declared = r.params().stream().map(CommandSpec.ArgSpec::name).toList();
        Matcher m = RunbookSpec.PLACEHOLDER.matcher(text);
        while (m.find()) {
            CommandSpec.ArgSpec p = r.param(m.group(1));
            if (p == null) {
                add(at, "unknown placeholder " + m.group() + " in runbook " + r.name(),
                        "declare it under params, or fix the name; declared: " + declared);
                ok = false;
            } else if (m.group(2) != null && !m.group(2).equals(RunbookSpec.PAIR)) {
                add(at, "unknown placeholder " + m.group() + " in runbook " + r.name(),
                        "{" + p.name() + "} is the value, {" + p.name() + ".pair} the pair of a host");
                ok = false;
            } else if (m.group(2) != null && p.type() != CommandSpec.ArgType.HOST) {
                add(at, m.group() + ": only a host parameter has a pair", "declare " + p.name() + " with type: host");
                ok = false;
            }
            boolean before = m.start() == 0 || Character.isWhitespace(text.charAt(m.start() - 1));
            boolean after = m.end() == text.length() || Character.isWhitespace(text.charAt(m.end()));
            if (wholeWords && !(before && after)) {
                add(at, "placeholder " + m.group() + " must be a word of its own", "e.g. srv {host} stop");
                ok = false;
            }
        }
        String stripped = RunbookSpec.PLACEHOLDER.matcher(text).replaceAll("");
        if (stripped.contains("{") || stripped.contains("}")) {
            add(at, "stray brace in " + text, "placeholders look like {host} or {host.pair}");
            ok = false;
        }
        return ok;
    }

    /**
     * The declared command a run line starts with, or null (and a problem) if it starts with anything else.
     *
     * @param who "runbook reinstall", "check leap": whose line it is, for the message
     */
    private CommandSpec commandOf(String at, String line, Map<String, CommandSpec> commands, String who) {
        String word = line.strip().split("\\s+", 2)[0];
        String key = word.toLowerCase(Locale.ROOT);
        CommandSpec c = commands.get(key);
        if (c != null) {
            return c;
        }
        if (CommandSpec.RESERVED_NAMES.contains(key)) {
            add(at, who + " runs " + word + ", a built-in command", "a step runs a declared command (under commands)");
        } else if (names.containsKey(key)) {
            add(at, who + " runs " + names.get(key) + ": runbooks do not start runbooks",
                    "copy its steps, or run it by hand after this one");
        } else {
            add(at, who + " runs " + word + ", which is not a declared command",
                    "the line starts with a command's name or alias, as typed in chat: srv {host} stop");
        }
        return null;
    }

    /** The {@code @group} words of a command line name groups some host is in. */
    private void groupWords(String at, String line, Set<String> groups) {
        for (String word : line.strip().split("\\s+")) {
            for (String part : word.split(",")) {
                if (part.startsWith("@") && !groups.contains(part.substring(1).toLowerCase(Locale.ROOT))) {
                    add(at, "no host is in group " + part.substring(1), "add the group to some hosts, or fix the name");
                }
            }
        }
    }

    /** Positive, and at most {@code max}. */
    private void between(String at, String what, java.time.Duration d, java.time.Duration max, String hint) {
        if (!d.isPositive()) {
            add(at, what + " must be positive", hint);
        } else if (d.compareTo(max) > 0) {
            add(at, what + " of " + Durations.format(d) + " is beyond " + Durations.format(max), hint);
        }
    }

    private void checks(OpsbotConfig config, Map<String, CommandSpec> commands, Set<String> groups) {
        Set<String> joined = new HashSet<>();
        if (config.irc() != null) {
            config.irc().channels().forEach(ch -> joined.add(ch == null ? "" : ch.toLowerCase(Locale.ROOT)));
        }
        if (config.matrix() != null) {
            config.matrix().rooms().forEach(r -> joined.add(r == null ? "" : r.toLowerCase(Locale.ROOT)));
        }
        Set<String> seen = new HashSet<>();
        List<CheckSpec> checks = config.checks();
        for (int k = 0; k < checks.size(); k++) {
            CheckSpec c = checks.get(k);
            String at = "/checks/" + k;
            if (blank(c.name()) || !WORD.matcher(c.name()).matches()) {
                add(at + "/name", "bad check name: " + c.name(), "lower-case letters, digits, - and _");
                continue;
            }
            if (!seen.add(c.name())) {
                add(at + "/name", "duplicate check " + c.name(), "each check once");
            }
            if (blank(c.run())) {
                add(at + "/run", "check " + c.name() + " has no run line", "a read command as typed in chat, e.g. run: \"salint @compute\"");
            } else if (c.run().contains("{") || c.run().contains("}")) {
                add(at + "/run", "check " + c.name() + " has a placeholder or brace: checks have no parameters",
                        "name the hosts: run: \"salint @compute\"");
            } else {
                CommandSpec cmd = commandOf(at + "/run", c.run(), commands, "check " + c.name());
                if (cmd != null && cmd.kind() != Kind.READ) {
                    add(at + "/run", "check " + c.name() + " runs " + cmd.name() + ", a change command: checks only read",
                            "a check runs unasked and over and over; declare a kind: read command for it");
                }
                groupWords(at + "/run", c.run(), groups);
            }
            schedule(at, c);
            if (c.report().isEmpty()) {
                add(at + "/report", "check " + c.name() + " reports nowhere", "report: [\"#ops\"] (a channel or room the bot joins)");
            }
            for (int r = 0; r < c.report().size(); r++) {
                String to = c.report().get(r);
                if (to == null || !joined.contains(to.toLowerCase(Locale.ROOT))) {
                    add(at + "/report/" + r, "check " + c.name() + " reports to " + to + ", which the bot does not join",
                            "name a channel of irc.channels or a room of matrix.rooms");
                }
            }
            if (c.failAfter() < 1 || c.failAfter() > 100) {
                add(at + "/fail-after", "fail-after must be 1..100", "2: one blip is not a page");
            }
        }
    }

    /** Channels and rooms the bot joins, lower case. */
    private static Set<String> joinedPlaces(OpsbotConfig config) {
        Set<String> joined = new HashSet<>();
        if (config.irc() != null) {
            config.irc().channels().forEach(ch -> joined.add(ch == null ? "" : ch.toLowerCase(Locale.ROOT)));
        }
        if (config.matrix() != null) {
            config.matrix().rooms().forEach(r -> joined.add(r == null ? "" : r.toLowerCase(Locale.ROOT)));
        }
        return joined;
    }

    private void intake(OpsbotConfig config, IntakeConfig in) {
        String at = "/intake";
        int port = in.port();
        if (port < 0 || port > 65535 || blank(in.host())) { // port 0: any free port (tests)
            add(at + "/listen", "listen must be host:port, e.g. 127.0.0.1:8089, not " + in.listen(),
                    "the intake binds there; keep it on loopback and put a TLS proxy in front for other hosts");
        } else if (!isLoopback(in.host())) {
            warnings.add(new Problem(at + "/listen", 0, "the intake listens on " + in.host()
                    + ", not loopback: events and tokens cross the network in clear text",
                    "listen on 127.0.0.1 and put a TLS proxy in front"));
        }
        if (in.maxBody() < 1024 || in.maxBody() > 16 * 1024 * 1024) {
            add(at + "/max-body", "max-body must be 1024..16777216 bytes", "the default is 1048576 (1 MiB)");
        }
        if (in.dedupWindow().compareTo(java.time.Duration.ofSeconds(10)) < 0) {
            add(at + "/dedup-window", "dedup-window must be at least 10s", "e.g. 1h: a repeat within it is counted, not said");
        }
        if (in.sources().isEmpty()) {
            add(at + "/sources", "the intake has no sources: nobody could post",
                    "sources: [{name: backup, token: ${env:OPSBOT_BACKUP_TOKEN}}]");
        }
        Set<String> names = new HashSet<>();
        Set<String> tokens = new HashSet<>();
        for (int k = 0; k < in.sources().size(); k++) {
            SourceSpec src = in.sources().get(k);
            String sat = at + "/sources/" + k;
            if (blank(src.name()) || !WORD.matcher(src.name()).matches()) {
                add(sat + "/name", "bad source name: " + src.name(), "lower-case letters, digits, - and _");
                continue;
            }
            if (!names.add(src.name())) {
                add(sat + "/name", "duplicate source " + src.name(), "each source once");
            }
            if (src.token() == null && src.hmacSecret() == null) {
                add(sat, "source " + src.name() + " has neither token nor hmac-secret", "token: ${env:OPSBOT_"
                        + src.name().toUpperCase(Locale.ROOT).replace('-', '_') + "_TOKEN}");
            }
            if (src.token() != null) {
                if (src.token().strip().length() < 16) {
                    add(sat + "/token", "the token of source " + src.name() + " must have at least 16 characters",
                            "e.g. the output of openssl rand -hex 16");
                } else if (!tokens.add(src.token())) {
                    add(sat + "/token", "source " + src.name() + " has the token of another source",
                            "a token says which source posts; give each its own");
                }
            }
            if (src.hmacSecret() != null && src.hmacSecret().strip().length() < 32) {
                add(sat + "/hmac-secret", "the hmac-secret of source " + src.name() + " must have at least 32 characters",
                        "e.g. the output of openssl rand -hex 32");
            }
        }
        Set<String> joined = joinedPlaces(config);
        for (int k = 0; k < in.routes().size(); k++) {
            RouteSpec r = in.routes().get(k);
            String rat = at + "/routes/" + k;
            if (!r.source().contains("*") && !r.source().contains("?") && !names.contains(r.source())) {
                add(rat + "/source", "route for source " + r.source() + ", which is not declared",
                        "declared sources: " + String.join(", ", names));
            }
            if (r.to().isEmpty()) {
                add(rat + "/to", "a route says nowhere", "to: [\"#ops\"] (channels or rooms the bot joins)");
            }
            for (int t = 0; t < r.to().size(); t++) {
                String to = r.to().get(t);
                if (to == null || !joined.contains(to.toLowerCase(Locale.ROOT))) {
                    add(rat + "/to/" + t, "route says to " + to + ", which the bot does not join",
                            "name a channel of irc.channels or a room of matrix.rooms");
                }
            }
            if (r.linesPerMinute() < 1 || r.linesPerMinute() > 60) {
                add(rat + "/lines-per-minute", "lines-per-minute must be 1..60", "10: far below any network's flood limit");
            }
        }
        if (!in.sources().isEmpty() && in.routes().isEmpty()) {
            warnings.add(new Problem(at + "/routes", 0, "no routes: events are stored and listed by !alerts, said nowhere",
                    "routes: [{to: [\"#ops\"], min-severity: warning}]"));
        }
        for (int k = 0; k < in.expected().size(); k++) {
            ExpectedSpec e = in.expected().get(k);
            String eat = at + "/expected/" + k;
            if (e.source() == null || !names.contains(e.source())) {
                add(eat + "/source", "expected report from " + e.source() + ", which is not a declared source",
                        "declared sources: " + String.join(", ", names));
            }
            if ((e.every() == null) == (e.by() == null)) {
                add(eat, "an expected report needs exactly one of every and by", "every: 24h, or by: \"03:15\"");
            } else if (e.every() != null && e.every().compareTo(java.time.Duration.ofMinutes(1)) < 0) {
                add(eat + "/every", "every must be at least 1m", "e.g. every: 24h");
            } else if (e.by() != null && e.byTime() == null) {
                add(eat + "/by", "by must be a clock time like \"03:15\", not " + e.by(), "by: \"03:15\" (in zone, default bot.timezone)");
            }
            if (e.every() != null && e.zone() != null) {
                warnings.add(new Problem(eat + "/zone", 0, "zone only applies to by, not to every", "remove zone"));
            }
            if (e.grace().isNegative() || e.grace().compareTo(DAY) > 0) {
                add(eat + "/grace", "grace must be 0..1d", "e.g. grace: 15m");
            }
        }
    }

    private void duty(OpsbotConfig config, DutyConfig d) {
        String at = "/duty";
        Set<String> known = new HashSet<>();
        config.people().forEach(p -> known.add(p.name()));
        if (d.people().isEmpty()) {
            add(at + "/people", "duty has nobody in the rotation", "people: [alice, bob] (names from people)");
        }
        Set<String> seen = new HashSet<>();
        for (int k = 0; k < d.people().size(); k++) {
            String n = d.people().get(k);
            if (n == null || !known.contains(n)) {
                add(at + "/people/" + k, n + " is not in people", "name someone of people");
            } else if (!seen.add(n)) {
                add(at + "/people/" + k, n + " is in the rotation twice", "each person once");
            }
        }
        if (d.handoffTime() == null) {
            add(at + "/handoff", "handoff must be a clock time like \"09:00\", not " + d.handoff(), "handoff: \"09:00\"");
        }
        java.time.Duration r = d.repeatAfter(), s = d.secondaryAfter(), e = d.everyoneAfter();
        if (r.compareTo(java.time.Duration.ofMinutes(1)) < 0) {
            add(at + "/repeat-after", "repeat-after must be at least 1m", "e.g. 10m");
        }
        if (s.compareTo(r) < 0 || e.compareTo(s) < 0) {
            add(at, "escalation must go in order: repeat-after <= secondary-after <= everyone-after",
                    "e.g. 10m, 20m, 30m");
        }
        if (d.pagesPerMinute() < 1 || d.pagesPerMinute() > 20) {
            add(at + "/pages-per-minute", "pages-per-minute must be 1..20 (page lines per channel in any 60 s;"
                    + " the rest are summed up in one line)", "pages-per-minute: 3");
        }
    }

    /** Exactly one of every and cron; a cron line Quartz reads, which fires, and not more often than every 10s. */
    private void schedule(String at, CheckSpec c) {
        if ((c.every() == null) == (c.cron() == null)) {
            add(at, "check " + c.name() + " needs exactly one of every and cron",
                    "every: 10m, or cron: \"*/10 * * * *\"");
            return;
        }
        if (c.every() != null) {
            if (c.every().compareTo(CheckSpec.MIN_EVERY) < 0) {
                add(at + "/every", "every of " + Durations.format(c.every()) + " is below "
                        + Durations.format(CheckSpec.MIN_EVERY), "a check logs into hosts each time; e.g. every: 10m");
            }
            if (c.zone() != null) {
                warnings.add(new Problem(at + "/zone", 0, "zone only applies to cron, not to every", "remove zone"));
            }
            return;
        }
        String hint = "5 fields: minute hour day month weekday, e.g. \"*/10 * * * *\" or \"30 4 * * mon-fri\";"
                + " or Quartz's 6-7 fields, starting with seconds";
        String[] fields = c.cron().strip().split("\\s+");
        if (fields.length == 5 && !fields[2].equals("*") && !fields[2].equals("?") && !fields[4].equals("*")
                && !fields[4].equals("?")) {
            add(at + "/cron", "cron " + c.cron() + " restricts both day of month and day of week, which cron reads"
                    + " as either and Quartz cannot", "keep one of the two *, or make two checks");
            return;
        }
        String quartz = CheckSpec.quartzCron(c.cron());
        org.quartz.CronExpression cron;
        try {
            cron = new org.quartz.CronExpression(quartz);
        } catch (java.text.ParseException e) {
            add(at + "/cron", "bad cron " + c.cron() + ": " + e.getMessage(), hint);
            return;
        }
        cron.setTimeZone(java.util.TimeZone.getTimeZone(c.zone() != null ? c.zone() : java.time.ZoneOffset.UTC));
        java.util.Date first = cron.getNextValidTimeAfter(new java.util.Date());
        java.util.Date second = first == null ? null : cron.getNextValidTimeAfter(first);
        if (first == null) {
            add(at + "/cron", "cron " + c.cron() + " never fires", hint);
        } else if (second != null && second.getTime() - first.getTime() < CheckSpec.MIN_EVERY.toMillis()) {
            add(at + "/cron", "cron " + c.cron() + " fires more often than every "
                    + Durations.format(CheckSpec.MIN_EVERY), "a check logs into hosts each time; e.g. \"*/10 * * * *\"");
        }
    }

    /** Whether files are checked and this one exists and is readable (then its content may be checked too). */
    private boolean file(String path, String file, String what) {
        if (!checkFiles) {
            return false;
        }
        Path p = Path.of(file);
        if (!Files.isRegularFile(p)) {
            add(path, what + " " + file + " does not exist", "create it or fix the path (relative paths are relative to this file)");
            return false;
        } else if (!Files.isReadable(p)) {
            add(path, what + " " + file + " is not readable", "check ownership: opsbot must be able to read it");
            return false;
        }
        return true;
    }

    private void atMostADay(String path, String what, java.time.Duration d) {
        if (d.compareTo(DAY) > 0) {
            add(path, what + " of " + Durations.format(d) + " is beyond a day", "timeouts are seconds or minutes, e.g. 60s");
        }
    }

    private static boolean isLoopback(String host) {
        return host.equals("localhost") || host.startsWith("127.") || host.equals("::1");
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    private void add(String path, String message, String hint) {
        problems.add(new Problem(path, 0, message, hint));
    }
}
