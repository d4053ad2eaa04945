package opsbot.config;

/**
 * Someone the bot knows. Identity is the IRC services account or the Matrix user ID, never a nick.
 *
 * @param ircAccount services (NickServ) account name, or null
 * @param matrixId   Matrix user ID such as {@code @alice:example.org}, or null
 */
public record Person(String name, String ircAccount, String matrixId, Role role) {
}
