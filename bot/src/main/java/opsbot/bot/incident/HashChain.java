package opsbot.bot.incident;

import opsbot.bot.store.ChainKey;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;

/**
 * The chain over an incident's entries: {@code link = HMAC-SHA256(key, prev_hash, content)} with the chain key,
 * which is not in the database, so whoever can only change the database cannot write a link that verifies.
 * Entries stored before opsbot keyed its chains keep their {@code SHA-256(prev_hash, content)} link
 * ({@link Link#SHA256}). The content is every stored field, each length-prefixed so that no two different
 * entries encode alike ("a|b" vs "a", "|b"). The chain starts from a hash of the incident's number, so entries
 * cannot be moved between incidents.
 */
public final class HashChain {
    private HashChain() {
    }

    /** How an entry is linked to its predecessor, as stored in {@code incident_entries.link}. */
    public enum Link {
        /** Before keyed chains: anyone who can write the database can recompute it. */
        SHA256("sha256"),
        HMAC_SHA256("hmac-sha256");

        public final String stored;

        Link(String stored) {
            this.stored = stored;
        }

        public static Link of(String stored) {
            for (Link l : values()) {
                if (l.stored.equals(stored)) return l;
            }
            throw new IllegalArgumentException("unknown link type '" + stored + "'");
        }
    }

    public static String genesis(long incidentId) {
        return sha256("opsbot incident " + incidentId);
    }

    /** Timestamps are hashed and stored at millisecond precision, the precision every database keeps. */
    public static Instant normalise(Instant at) {
        return at.truncatedTo(ChronoUnit.MILLIS);
    }

    /** The unkeyed SHA-256 link of entries written before keyed chains. */
    public static String hash(String prevHash, long incidentId, int seq, Instant at, EntryKind kind, String person,
                              String network, String place, String text) {
        return sha256(content(prevHash, incidentId, seq, at, kind, person, network, place, text));
    }

    /** The keyed link of every entry written since. */
    public static String hmac(ChainKey key, String prevHash, long incidentId, int seq, Instant at, EntryKind kind,
                              String person, String network, String place, String text) {
        return key.mac(content(prevHash, incidentId, seq, at, kind, person, network, place, text));
    }

    public static String hash(Entry e) {
        return hash(e.prevHash(), e.incidentId(), e.seq(), e.at(), e.kind(), e.person(), e.network(), e.place(), e.text());
    }

    public static String hmac(ChainKey key, Entry e) {
        return hmac(key, e.prevHash(), e.incidentId(), e.seq(), e.at(), e.kind(), e.person(), e.network(), e.place(), e.text());
    }

    private static String content(String prevHash, long incidentId, int seq, Instant at, EntryKind kind, String person,
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
        return b.toString();
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
