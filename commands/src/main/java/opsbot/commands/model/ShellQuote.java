package opsbot.commands.model;

import java.util.regex.Pattern;

/**
 * POSIX shell quoting. Words made only of safe characters stay bare (readable confirmations:
 * {@code utils/FailOver.pl -K compute4}); anything else is single-quoted, with embedded single quotes
 * written as {@code '\''}. Inside single quotes the shell expands nothing: no $, `, ;, newline tricks.
 * A word starting with {@code =} is quoted too: zsh would expand {@code =ls} to a path. So is a word of
 * digits only: glued to a following {@code <} or {@code >} it would be read as a file descriptor
 * ({@code 2>/tmp/f}), quoted it is an argument.
 */
public final class ShellQuote {
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9._/@%+=:,-]+");
    private static final Pattern DIGITS = Pattern.compile("[0-9]+");

    private ShellQuote() {
    }

    public static String quote(String word) {
        if (SAFE.matcher(word).matches() && !word.startsWith("=") && !DIGITS.matcher(word).matches()) {
            return word;
        }
        return "'" + word.replace("'", "'\\''") + "'";
    }
}
