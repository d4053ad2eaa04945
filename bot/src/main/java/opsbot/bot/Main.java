package opsbot.bot;

import opsbot.bot.console.ConsoleNetwork;
import opsbot.bot.store.Store;
import opsbot.config.ConfigLoader;
import opsbot.config.OpsbotConfig;
import opsbot.config.Person;
import opsbot.config.Role;
import opsbot.config.StorageConfig;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/** Command line: {@code demo}, {@code check-config FILE}, {@code run --config FILE [--dry-run]}. */
public final class Main {
    private static final String USAGE = """
            usage: opsbot demo                              the bot on the bundled example, chat on stdin/stdout
                   opsbot check-config FILE                 list every problem in FILE, exit 1 if any
                   opsbot run --config FILE [--dry-run]     run for real (--dry-run: show plans, run nothing)
                   opsbot incident export N [--config FILE]  incident N as a Markdown report on stdout
                   opsbot incident verify [N] [--config FILE] check the hash chains; exit 1 if one is broken
                   opsbot notify --source NAME [--severity S] [--host H] SUMMARY|--stdin
                                                            post an event to the bot's intake (notify --help)
            FILE defaults to $OPSBOT_CONFIG, then /etc/opsbot/opsbot.yml. Works while the bot runs.
            """;

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        System.exit(run(args, System.in, System.out, System.err));
    }

    static int run(String[] args, InputStream stdin, PrintStream out, PrintStream err) throws Exception {
        List<String> a = List.of(args);
        if (!a.isEmpty() && a.get(0).equals("notify")) { // its own usage, and its words are not ours
            if (a.contains("-h") || a.contains("--help")) {
                out.print(opsbot.bot.intake.Notify.USAGE);
                return 0;
            }
            return opsbot.bot.intake.Notify.run(a.subList(1, a.size()), stdin, err, System.getenv());
        }
        if (a.isEmpty() || a.contains("-h") || a.contains("--help") || a.get(0).equals("help")) {
            (a.isEmpty() ? err : out).print(USAGE);
            return a.isEmpty() ? 2 : 0;
        }
        switch (a.get(0)) {
            case "demo" -> {
                return demo(stdin, out, err);
            }
            case "check-config" -> {
                if (a.size() != 2) {
                    err.print(USAGE);
                    return 2;
                }
                return checkConfig(Path.of(a.get(1)), out, err);
            }
            case "run" -> {
                int i = a.indexOf("--config");
                if (i < 0 || i + 1 >= a.size()) {
                    err.print(USAGE);
                    return 2;
                }
                return runBot(Path.of(a.get(i + 1)), a.contains("--dry-run"), err);
            }
            case "incident" -> {
                return IncidentCli.run(a.subList(1, a.size()), out, err);
            }
            default -> {
                err.println("unknown subcommand '" + a.get(0) + "'");
                err.print(USAGE);
                return 2;
            }
        }
    }

    static void usage(PrintStream err) {
        err.print(USAGE);
    }

    static int checkConfig(Path file, PrintStream out, PrintStream err) {
        ConfigLoader.Result r = new ConfigLoader().load(file);
        if (r instanceof ConfigLoader.Result.Invalid i) {
            err.print(i.report());
            return 1;
        }
        ConfigLoader.Result.Loaded loaded = (ConfigLoader.Result.Loaded) r;
        loaded.warnings().forEach(err::println); // allowed, so exit 0, but probably not meant
        OpsbotConfig c = loaded.config();
        out.println(file + ": ok (" + c.hosts().size() + " hosts, " + c.commands().size() + " commands, "
                + c.people().size() + " people)");
        return 0;
    }

    private static int runBot(Path file, boolean dryRun, PrintStream err) throws Exception {
        ConfigLoader.Result r = new ConfigLoader().load(file);
        if (r instanceof ConfigLoader.Result.Invalid i) {
            err.print(i.report());
            err.println("opsbot: not starting with an invalid configuration");
            return 1;
        }
        ((ConfigLoader.Result.Loaded) r).warnings().forEach(err::println);
        OpsbotConfig cfg = ((ConfigLoader.Result.Loaded) r).config();
        if (cfg.irc() == null && cfg.matrix() == null) {
            err.println("opsbot: the configuration names no chat network (irc: or matrix:); nothing to do");
            return 1;
        }
        Bot bot;
        try {
            bot = Bot.create(cfg, dryRun);
        } catch (Store.Refused | opsbot.bot.intake.Intake.CannotListen e) {
            err.println("opsbot: not starting: " + e.getMessage());
            return 1;
        }
        bot.withConfiguredNetworks(cfg);
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            bot.close();
            stop.countDown();
        }, "shutdown"));
        stop.await();
        return 0;
    }

    /** The bundled example config, with the console user as a local admin, a throwaway store, and dry-run. */
    private static int demo(InputStream stdin, PrintStream out, PrintStream err) throws Exception {
        String text;
        try (InputStream in = Main.class.getResourceAsStream("/opsbot/examples/opsbot.yml")) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        ConfigLoader.Result r = new ConfigLoader(name -> "demo-secret-" + name, false).load("opsbot.yml (bundled)", text, null);
        if (r instanceof ConfigLoader.Result.Invalid i) {
            err.print(i.report());
            return 1;
        }
        OpsbotConfig cfg = ((ConfigLoader.Result.Loaded) r).config();
        List<Person> people = new ArrayList<>(cfg.people());
        people.add(new Person("you", ConsoleNetwork.ACCOUNT, null, Role.ADMIN));
        Path dir = Files.createTempDirectory("opsbot-demo");
        // No networks and no intake (nothing listens on a port in the demo); the duty rotation, yes: !duty.
        cfg = new OpsbotConfig(cfg.bot(), null, null, people, cfg.channels(), cfg.hosts(), cfg.ssh(), cfg.commands(),
                StorageConfig.embedded(dir.resolve("opsbot").toString()), cfg.runbooks(), cfg.checks(), null, cfg.duty());
        boolean interactive = System.console() != null;
        out.println("opsbot demo: you are 'you' (admin) in " + ConsoleNetwork.CHANNEL + " (ops); dry-run, nothing runs."
                + " Try !help, !hosts, !fo -K c4 then !y.");
        ConsoleNetwork console = new ConsoleNetwork(out);
        try (Bot bot = Bot.create(cfg, true)) {
            bot.attach(console);
            // Piped input: each line's answer (and its command's result) before the next line, like a conversation.
            Runnable answered = interactive ? () -> { } : () -> {
                try {
                    bot.dispatcher().awaitIdle(Duration.ofSeconds(30));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            };
            console.readAll(new BufferedReader(new InputStreamReader(stdin, StandardCharsets.UTF_8)), !interactive, answered);
            bot.dispatcher().awaitIdle(Duration.ofSeconds(30));
        }
        return 0;
    }
}
