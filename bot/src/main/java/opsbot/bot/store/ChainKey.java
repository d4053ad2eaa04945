package opsbot.bot.store;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The incident chain's HMAC-SHA256 key. It is never stored in the database: someone who can change the
 * database but cannot read this key cannot write an entry that verifies. The key is the text's UTF-8 bytes,
 * so a generated key file (64 hex digits) and {@code chain-key: ${file:…}} pointing at it are the same key.
 */
public final class ChainKey {
    private final SecretKeySpec key;

    public ChainKey(String text) {
        if (text == null || text.strip().length() < 32) {
            throw new IllegalArgumentException("a chain key has at least 32 characters");
        }
        this.key = new SecretKeySpec(text.strip().getBytes(StandardCharsets.UTF_8), "HmacSHA256");
    }

    /** 32 random bytes as hex: what goes into a new key file. */
    public static String generate() {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** HMAC-SHA256 of the text's UTF-8 bytes, as 64 hex digits. */
    public String mac(String text) {
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(key);
            return HexFormat.of().formatHex(m.doFinal(text.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every JVM has HmacSHA256", e);
        }
    }

    /**
     * The seal over an incident's unkeyed (SHA-256) entries, made once when the store is upgraded to keyed
     * chains: it fixes how many there were and the last one's hash, so none can be rewritten or added later.
     */
    public String seal(long incidentId, int entries, String headHash) {
        return mac("opsbot unkeyed entries sealed|" + incidentId + "|" + entries + "|" + headHash);
    }

    /** An incident's head (how many entries, the last one's link) under the key: a cut-off tail shows. */
    public String head(long incidentId, int entries, String headHash) {
        return mac("opsbot incident head|" + incidentId + "|" + entries + "|" + headHash);
    }

    @Override
    public String toString() {
        return "ChainKey[hidden]";
    }
}
