package opsbot.commands;

import opsbot.config.ConfigLoader;
import opsbot.config.OpsbotConfig;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

/** The bundled example config, the seed site every test here reasons about. */
public final class Fixtures {
    private Fixtures() {
    }

    public static OpsbotConfig example() {
        try (InputStream in = Fixtures.class.getResourceAsStream("/opsbot/examples/opsbot.yml")) {
            ConfigLoader.Result r = new ConfigLoader(Map.of("OPSBOT_IRC_PASSWORD", "x", "OPSBOT_BACKUP_TOKEN", "backup-token-0123456789", "OPSBOT_ALERTMANAGER_TOKEN", "am-token-0123456789")::get, false)
                    .load("opsbot.yml", new String(in.readAllBytes()), null);
            if (r instanceof ConfigLoader.Result.Loaded l) {
                return l.config();
            }
            throw new AssertionError(((ConfigLoader.Result.Invalid) r).report());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
