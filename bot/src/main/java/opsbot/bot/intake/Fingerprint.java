package opsbot.bot.intake;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

/**
 * Alertmanager's alert fingerprint, for a payload whose alerts lack one: FNV-1a (64 bit) over the labels sorted by
 * name, each as {@code name 0xFF value 0xFF}, as 16 hex digits (prometheus/common {@code model/signature.go}). The
 * same labels give the same key as the fingerprint Alertmanager would have sent, so both fold into one alert.
 */
final class Fingerprint {
    private static final long OFFSET = 0xcbf29ce484222325L; // 14695981039346656037
    private static final long PRIME = 0x100000001b3L;
    private static final int SEPARATOR = 0xFF;

    private Fingerprint() {
    }

    static String of(Map<String, String> labels) {
        byte[][] names = labels.keySet().stream().map(n -> n.getBytes(StandardCharsets.UTF_8)).toArray(byte[][]::new);
        Arrays.sort(names, Arrays::compareUnsigned); // Go sorts strings bytewise
        long h = OFFSET;
        for (byte[] name : names) {
            h = add(h, name);
            h = add(h, SEPARATOR);
            h = add(h, labels.get(new String(name, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8));
            h = add(h, SEPARATOR);
        }
        return String.format("%016x", h);
    }

    /** FNV-1a over any text: also names the "alerts left out" alert of a receiver and group. */
    static String of(String text) {
        return String.format("%016x", add(OFFSET, text.getBytes(StandardCharsets.UTF_8)));
    }

    private static long add(long h, byte[] bytes) {
        for (byte b : bytes) {
            h = add(h, b & 0xFF);
        }
        return h;
    }

    private static long add(long h, int b) {
        return (h ^ b) * PRIME;
    }
}
