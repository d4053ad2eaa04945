package opsbot.commands.model;

/** A word that names nothing we know; the message is the one-line reply. */
public final class LookupException extends Exception {
    public LookupException(String message) {
        super(message, null, false, false);
    }
}
