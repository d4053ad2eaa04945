package opsbot.bot.chat;

/**
 * A message with an optional HTML rendering, for networks that show formatting (Matrix). Networks without
 * formatting use {@code plain}.
 */
public record Message(String plain, String html) {
    public static Message plain(String text) {
        return new Message(text, null);
    }
}
