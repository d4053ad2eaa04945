package opsbot.commands.model;

import java.text.Normalizer;
import java.util.Locale;

/**
 * How a typed name (host, alias, group, command) is compared with the configured ones: case-insensitive,
 * and NFKC-folded, so what a phone keyboard in fullwidth mode types ({@code ｃｏｍｐｕｔｅ４}) is the name it
 * looks like ({@code compute4}). Folding only maps compatibility forms to their plain letters and digits;
 * it never makes two different ASCII names equal.
 */
public final class Names {
    private Names() {
    }

    public static String key(String name) {
        return Normalizer.normalize(name, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
    }
}
