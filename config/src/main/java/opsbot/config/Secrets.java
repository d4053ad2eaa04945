package opsbot.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Resolves {@code ${env:NAME}} and {@code ${file:/path}} in configuration strings, so secrets never have
 * to sit in the YAML file itself. A file's trailing newline is dropped.
 */
final class Secrets {
    private static final Pattern REF = Pattern.compile("\\$\\{(env|file):([^}]+)}");

    private final Function<String, String> env;

    Secrets(Function<String, String> env) {
        this.env = env;
    }

    /** Returns the text with references resolved, or throws with a one-line reason. */
    String resolve(String text) {
        Matcher m = REF.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String key = m.group(2).trim();
            String value;
            if (m.group(1).equals("env")) {
                value = env.apply(key);
                if (value == null) {
                    throw new IllegalArgumentException("environment variable " + key + " is not set");
                }
            } else {
                try {
                    value = Files.readString(Path.of(key), StandardCharsets.UTF_8).stripTrailing();
                } catch (IOException e) {
                    throw new IllegalArgumentException("cannot read secret file " + key + ": " + e.getMessage());
                }
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }
}
