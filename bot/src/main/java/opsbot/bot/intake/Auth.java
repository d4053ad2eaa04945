package opsbot.bot.intake;

import com.sun.net.httpserver.Headers;
import opsbot.config.SourceSpec;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;

/**
 * Who posts: a source proves itself with {@code Authorization: Bearer TOKEN} (PagerDuty's {@code routing_key} is the
 * same token), or with {@code X-Opsbot-Source}, {@code X-Opsbot-Timestamp} (Unix seconds) and
 * {@code X-Opsbot-Signature: sha256=HEX}, the HMAC-SHA256 of {@code TIMESTAMP + "." + BODY} under its secret.
 * A signature more than {@link #SKEW} away from the bot's clock is refused, so a captured request cannot be
 * replayed later. Secrets are compared in constant time: tokens by their SHA-256 (so the length leaks nothing),
 * against every source's token without stopping at a match.
 */
final class Auth {
    static final Duration SKEW = Duration.ofMinutes(5);
    static final String SOURCE = "X-Opsbot-Source";
    static final String TIMESTAMP = "X-Opsbot-Timestamp";
    static final String SIGNATURE = "X-Opsbot-Signature";

    private record Src(String name, byte[] tokenHash, byte[] secret) {
    }

    /** What the headers claim, checked for shape (and a signature's age) before the body is read. */
    sealed interface Claim {
    }

    record Bearer(String token) implements Claim {
    }

    record Signed(String source, String timestamp, byte[] signature) implements Claim {
    }

    /** No credentials in the headers (PagerDuty's routing_key may still be in the body). */
    record None() implements Claim {
    }

    private final List<Src> sources;
    private final Clock clock;

    Auth(List<SourceSpec> specs, Clock clock) {
        this.sources = specs.stream().map(s -> new Src(s.name(),
                s.token() == null ? null : sha256(s.token().strip()),
                s.hmacSecret() == null ? null : s.hmacSecret().strip().getBytes(StandardCharsets.UTF_8))).toList();
        this.clock = clock;
    }

    Claim claim(Headers h) throws Rejected {
        String authorization = h.getFirst("Authorization");
        if (authorization != null) {
            if (!authorization.regionMatches(true, 0, "Bearer ", 0, 7) || authorization.substring(7).isBlank()) {
                throw Rejected.auth("Authorization must be \"Bearer TOKEN\"");
            }
            return new Bearer(authorization.substring(7).strip());
        }
        String source = h.getFirst(SOURCE);
        String ts = h.getFirst(TIMESTAMP);
        String sig = h.getFirst(SIGNATURE);
        if (source == null && ts == null && sig == null) {
            return new None();
        }
        if (source == null || ts == null || sig == null) {
            throw Rejected.auth("a signed request needs all of " + SOURCE + ", " + TIMESTAMP + " and " + SIGNATURE);
        }
        long at;
        try {
            at = Long.parseLong(ts.strip());
        } catch (NumberFormatException e) {
            throw Rejected.auth(TIMESTAMP + " must be Unix seconds");
        }
        long now = clock.instant().getEpochSecond();
        if (Math.abs(now - at) > SKEW.toSeconds()) {
            throw Rejected.auth("the signature's timestamp is more than 5 minutes off the bot's clock (replay, or a"
                    + " clock out of sync)");
        }
        String hex = sig.strip();
        if (!hex.regionMatches(true, 0, "sha256=", 0, 7) || hex.length() != 7 + 64) {
            throw Rejected.auth(SIGNATURE + " must be sha256= and 64 hex digits");
        }
        try {
            return new Signed(source.strip(), ts.strip(), HexFormat.of().parseHex(hex.substring(7)));
        } catch (IllegalArgumentException e) {
            throw Rejected.auth(SIGNATURE + " must be sha256= and 64 hex digits");
        }
    }

    /** The source a claim proves, given the body it signed; 401 when it proves none. */
    String verify(Claim claim, byte[] body) throws Rejected {
        return switch (claim) {
            case Bearer b -> token(b.token());
            case Signed s -> signed(s, body);
            case None n -> throw Rejected.auth("no credentials: send Authorization: Bearer TOKEN, or sign the"
                    + " request (" + SOURCE + ", " + TIMESTAMP + ", " + SIGNATURE + ")");
        };
    }

    /** The source whose token this is; 401 when none. Every source's token is compared, match or not. */
    String token(String token) throws Rejected {
        byte[] given = sha256(token.strip());
        String found = null;
        for (Src s : sources) {
            boolean same = s.tokenHash() != null && MessageDigest.isEqual(given, s.tokenHash());
            if (same) found = s.name();
        }
        if (found == null) {
            throw Rejected.auth("unknown token");
        }
        return found;
    }

    private String signed(Signed s, byte[] body) throws Rejected {
        Src src = sources.stream().filter(x -> x.name().equals(s.source()) && x.secret() != null).findFirst().orElse(null);
        if (src == null) {
            throw Rejected.auth("no source " + Fields.cut(s.source(), 64) + " with an hmac-secret");
        }
        byte[] expected = hmac(src.secret(), s.timestamp(), body);
        if (!MessageDigest.isEqual(expected, s.signature())) {
            throw Rejected.auth("bad signature: expected HMAC-SHA256(secret, timestamp + \".\" + body)");
        }
        return src.name();
    }

    static byte[] hmac(byte[] secret, String timestamp, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            mac.update((timestamp + ".").getBytes(StandardCharsets.US_ASCII));
            return mac.doFinal(body);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
        }
    }

    /** Cloned per use: {@code getInstance} looks the provider up each time, most of a token check's CPU. */
    private static final MessageDigest SHA256;

    static {
        try {
            SHA256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static byte[] sha256(String s) {
        try {
            return ((MessageDigest) SHA256.clone()).digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (CloneNotSupportedException e) { // the JDK's SHA-256 is cloneable
            throw new IllegalStateException("SHA-256 cannot be cloned in this JVM", e);
        }
    }

    // ---- replays of signed requests ---------------------------------------------------------------------------

    /** Signatures of signed requests that were stored, with when; the oldest go first past {@link #SEEN_MAX}. */
    private final java.util.LinkedHashMap<String, Long> seen = new java.util.LinkedHashMap<>();
    static final int SEEN_MAX = 100_000;

    /**
     * Refuses a signed request whose signature was stored already: within its 5 minutes a captured request could
     * otherwise be sent again (a trigger replayed after its resolve would page again). Checked before storing and
     * recorded after ({@link #stored}), so a request answered 5xx can be sent again as it was.
     */
    void notReplayed(Claim c) throws Rejected {
        if (!(c instanceof Signed s)) return;
        synchronized (seen) {
            if (seen.containsKey(key(s))) {
                throw Rejected.auth("replayed: a request with this signature was stored already; sign each request anew");
            }
        }
    }

    /** A signed request's events were stored: its signature may not be used again while its timestamp is valid. */
    void stored(Claim c) {
        if (!(c instanceof Signed s)) return;
        long now = clock.instant().getEpochSecond();
        synchronized (seen) {
            seen.put(key(s), now);
            // Older than twice the skew: its timestamp is refused anyway. Past the bound the oldest go (counted in
            // the log), so the map is bounded whatever the rate.
            for (var it = seen.entrySet().iterator(); it.hasNext(); ) {
                var e = it.next();
                if (e.getValue() >= now - 2 * SKEW.toSeconds() && seen.size() <= SEEN_MAX) break;
                it.remove();
            }
        }
    }

    private static String key(Signed s) {
        return s.source() + " " + java.util.HexFormat.of().formatHex(s.signature());
    }
}
