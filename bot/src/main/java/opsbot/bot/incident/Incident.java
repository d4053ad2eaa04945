package opsbot.bot.incident;

import java.time.Instant;

/**
 * One incident: a title, who opened and closed it, and the head of its entry chain.
 *
 * @param entries  how many entries the chain holds (checked by verify, so a removed last entry shows)
 * @param headHash the last entry's hash
 */
public record Incident(long id, String title, Instant openedAt, String openedBy, Instant closedAt, String closedBy,
                       String summary, int entries, String headHash) {
    public boolean isOpen() {
        return closedAt == null;
    }

    /** How people name it in chat: {@code INC-7}. */
    public String tag() {
        return tag(id);
    }

    public static String tag(long id) {
        return "INC-" + id;
    }

    /** 7, #7, INC-7, inc7: phones and sleepy people type all of them. */
    public static java.util.Optional<Long> number(String s) {
        String t = s.strip().toLowerCase(java.util.Locale.ROOT).replaceFirst("^(#|inc-?)", "");
        return t.matches("[0-9]{1,12}") ? java.util.Optional.of(Long.parseLong(t)) : java.util.Optional.empty();
    }
}
