package opsbot.bot;

import opsbot.bot.incident.Incident;
import opsbot.bot.incident.IncidentStore;
import opsbot.bot.incident.Report;
import opsbot.bot.incident.Verification;
import opsbot.bot.store.Store;
import opsbot.config.ConfigLoader;
import opsbot.config.OpsbotConfig;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** {@code opsbot incident export N} and {@code opsbot incident verify [N]}: the log, read from the store. */
final class IncidentCli {
    private IncidentCli() {
    }

    static int run(List<String> args, PrintStream out, PrintStream err) {
        List<String> a = new ArrayList<>(args);
        String file = System.getenv().getOrDefault("OPSBOT_CONFIG", "/etc/opsbot/opsbot.yml");
        int c = a.indexOf("--config");
        if (c >= 0) {
            if (c + 1 >= a.size()) {
                Main.usage(err);
                return 2;
            }
            file = a.get(c + 1);
            a.subList(c, c + 2).clear();
        }
        if (a.isEmpty() || !(a.get(0).equals("export") || a.get(0).equals("verify"))
                || (a.get(0).equals("export") && a.size() != 2) || a.size() > 2) {
            Main.usage(err);
            return 2;
        }
        Long n = null;
        if (a.size() == 2) {
            n = Incident.number(a.get(1)).orElse(null);
            if (n == null) {
                err.println("opsbot: not an incident number: " + a.get(1));
                return 2;
            }
        }
        ConfigLoader.Result r = new ConfigLoader().load(Path.of(file));
        if (r instanceof ConfigLoader.Result.Invalid i) {
            err.print(i.report());
            return 1;
        }
        OpsbotConfig cfg = ((ConfigLoader.Result.Loaded) r).config();
        // The same password file and chain key as the bot's; without the key, verify checks linkage only.
        try (Store store = Store.openReader(cfg.storage())) {
            IncidentStore incidents = new IncidentStore(store);
            if (a.get(0).equals("export")) {
                Optional<Incident> i = incidents.find(n);
                if (i.isEmpty()) {
                    err.println("opsbot: no incident " + Incident.tag(n));
                    return 1;
                }
                out.print(Report.markdown(i.get(), incidents.entries(n), incidents.verify(n), cfg.bot().timezone()));
                return 0;
            }
            boolean broken = false;
            for (long id : n == null ? incidents.ids() : List.of(n)) {
                Verification v = incidents.verify(id);
                out.println(v.describe());
                broken |= !(v instanceof Verification.Intact || v instanceof Verification.LinkageOnly);
            }
            return broken ? 1 : 0;
        } catch (Exception e) {
            err.println("opsbot: cannot read the store: " + e.getMessage());
            return 1;
        }
    }

}
