package opsbot.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.BufferUnderflowException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

/**
 * Tells whether a file holds an SSH private key opsbot can use without a passphrase, from its header and,
 * for the OpenSSH format, its structure: the cipher name says whether it is encrypted. Said at check time
 * rather than as an authentication failure on the first command at 3am.
 */
final class KeyFile {
    private static final int MAX = 64 * 1024;
    private static final String OPENSSH = "-----BEGIN OPENSSH PRIVATE KEY-----";
    private static final byte[] MAGIC = "openssh-key-v1\0".getBytes(StandardCharsets.US_ASCII);

    private KeyFile() {
    }

    /** Null when the file is a usable private key; else what is wrong, in words that follow the file name. */
    static String check(Path file) {
        String text;
        try (InputStream in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(MAX);
            if (in.read() >= 0) {
                return "is too large to be a key (over 64 KiB)";
            }
            text = new String(head, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return "cannot be read: " + e.getMessage();
        }
        if (text.startsWith(OPENSSH)) {
            return openssh(text);
        }
        if (text.matches("(?s)-----BEGIN (RSA|EC|DSA) PRIVATE KEY-----.*")) {
            return text.contains("ENCRYPTED") ? "is protected by a passphrase, which opsbot cannot type" : null;
        }
        if (text.startsWith("-----BEGIN PRIVATE KEY-----")) {
            return null; // PKCS#8, unencrypted
        }
        if (text.startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
            return "is protected by a passphrase, which opsbot cannot type";
        }
        if (text.startsWith("PuTTY-User-Key-File-")) {
            return text.contains("Encryption: none") ? null : "is protected by a passphrase, which opsbot cannot type";
        }
        if (text.matches("(?s)(ssh-(ed25519|rsa|dss)|ecdsa-sha2-\\S+|sk-\\S+) AAAA.*")
                || text.startsWith("---- BEGIN SSH2 PUBLIC KEY ----")) {
            return "is a public key: give the private key (the file without .pub)";
        }
        return "is not an SSH private key (it should start with " + OPENSSH + ")";
    }

    private static String openssh(String text) {
        int end = text.indexOf("-----END OPENSSH PRIVATE KEY-----");
        if (end < 0) {
            return "is cut short: the END line of the OpenSSH key is missing";
        }
        byte[] blob;
        try {
            blob = Base64.getMimeDecoder().decode(text.substring(OPENSSH.length(), end).replaceAll("\\s", ""));
        } catch (IllegalArgumentException e) {
            return "is damaged: its body is not base64";
        }
        ByteBuffer b = ByteBuffer.wrap(blob);
        try {
            byte[] magic = new byte[MAGIC.length];
            b.get(magic);
            if (!java.util.Arrays.equals(magic, MAGIC)) {
                return "is damaged: not an OpenSSH private key";
            }
            String cipher = string(b);
            string(b); // kdf name
            string(b); // kdf options
            int keys = b.getInt();
            if (keys != 1) {
                return "holds " + keys + " keys; opsbot needs a file with one";
            }
            String type = string(ByteBuffer.wrap(bytes(b)));
            if (!cipher.equals("none")) {
                return "(" + type + ") is protected by a passphrase, which opsbot cannot type";
            }
            return null;
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            return "is damaged: the OpenSSH key ends too early";
        }
    }

    private static byte[] bytes(ByteBuffer b) {
        int n = b.getInt();
        if (n < 0 || n > b.remaining()) {
            throw new IllegalArgumentException("length " + n);
        }
        byte[] out = new byte[n];
        b.get(out);
        return out;
    }

    private static String string(ByteBuffer b) {
        return new String(bytes(b), StandardCharsets.UTF_8);
    }
}
