package opsbot.commands.model;

import java.util.regex.Pattern;

/**
 * POSIX shell quoting. Words made only of safe characters stay bare (readable confirmations:
 * {@code utils/FailOver.pl -K compute4}); anything else is single-quoted, with embedded single quotes
 * written as {@code '\''}. Inside single quotes the shell expands nothing: no $, `, ;, newline tricks.
 * A word starting with {@code =} is quoted too: zsh would expand {@code =ls} to a path.
 */
public final class ShellQuote {
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9._/@%+=:,-]+");

    private ShellQuote() {
    }

    public static String quote(String word) {
        if (SAFE.matcher(word).matches() && !word.startsWith("=")) {
            return word;
        }
        return "'" + word.replace("'", "'\\''") + "'";
    }
}
