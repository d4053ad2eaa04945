package opsbot.config;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Random;

/** OpenSSH private key files built byte by byte (random key material: they unlock nothing). */
final class TestKeys {
    private TestKeys() {
    }

    /** An {@code openssh-key-v1} file of type ssh-ed25519, encrypted unless {@code cipher} is "none". */
    static String openssh(String cipher) {
        try {
            Random r = new Random(7);
            byte[] pub = new byte[32];
            r.nextBytes(pub);
            ByteArrayOutputStream pubBlob = new ByteArrayOutputStream();
            DataOutputStream p = new DataOutputStream(pubBlob);
            string(p, "ssh-ed25519".getBytes(StandardCharsets.US_ASCII));
            string(p, pub);
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            DataOutputStream d = new DataOutputStream(all);
            d.write("openssh-key-v1\0".getBytes(StandardCharsets.US_ASCII));
            string(d, cipher.getBytes(StandardCharsets.US_ASCII));
            string(d, (cipher.equals("none") ? "none" : "bcrypt").getBytes(StandardCharsets.US_ASCII));
            string(d, new byte[0]);
            d.writeInt(1);
            string(d, pubBlob.toByteArray());
            byte[] priv = new byte[64];
            r.nextBytes(priv);
            string(d, priv);
            return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + Base64.getMimeEncoder(70, "\n".getBytes())
                    .encodeToString(all.toByteArray()) + "\n-----END OPENSSH PRIVATE KEY-----\n";
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static void string(DataOutputStream d, byte[] b) throws IOException {
        d.writeInt(b.length);
        d.write(b);
    }
}
