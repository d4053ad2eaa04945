package opsbot.bot.incident;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;

/**
 * SHA-256 chain over an incident's entries: {@code hash = SHA-256(prev_hash, content)}. The content is
 * every stored field, each length-prefixed so that no two different entries encode alike ("a|b" vs "a", "|b").
 * The chain starts from a hash of the incident's number, so entries cannot be moved between incidents.
 */
public final class HashChain {
    private HashChain() {
    }

    public static String genesis(long incidentId) {
        return sha256("opsbot incident " + incidentId);
    }

    /** Timestamps are hashed and stored at millisecond precision, the precision every database keeps. */
    public static Instant normalise(Instant at) {
        return at.truncatedTo(ChronoUnit.MILLIS);
    }

    public static String hash(String prevHash, long incidentId, int seq, Instant at, EntryKind kind, String person,
                              String network, String place, String text) {
        StringBuilder b = new StringBuilder(prevHash);
        for (String f : new String[]{Long.toString(incidentId), Integer.toString(seq), normalise(at).toString(),
                kind.name(), person, network, place, text}) {
            if (f == null) {
                b.append("-1:");
            } else {
                b.append(f.length()).append(':').append(f);
            }
        }
        return sha256(b.toString());
    }

    public static String hash(Entry e) {
        return hash(e.prevHash(), e.incidentId(), e.seq(), e.at(), e.kind(), e.person(), e.network(), e.place(), e.text());
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
