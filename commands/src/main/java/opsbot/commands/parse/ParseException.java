package opsbot.commands.parse;

/** A chat line that cannot be understood; the message is the one-line reply. */
public final class ParseException extends Exception {
    public ParseException(String message) {
        super(message, null, false, false);
    }
}
