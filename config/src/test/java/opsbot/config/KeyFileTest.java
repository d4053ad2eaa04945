package opsbot.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class KeyFileTest {
    @TempDir
    Path dir;

    private String check(String content) throws IOException {
        Path f = dir.resolve("key");
        Files.writeString(f, content);
        return KeyFile.check(f);
    }

    @Test
    void anUnencryptedOpenSshKeyIsUsable() throws IOException {
        assertNull(check(TestKeys.openssh("none")));
        assertNull(check("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n"));
    }

    @Test
    void whatIsNotAUsableKeyIsSaidInWords() throws IOException {
        assertEquals("(ssh-ed25519) is protected by a passphrase, which opsbot cannot type", check(TestKeys.openssh("aes256-ctr")));
        assertEquals("is a public key: give the private key (the file without .pub)",
                check("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB opsbot@host\n"));
        assertTrue(check("k").startsWith("is not an SSH private key"));
        assertTrue(check("").startsWith("is not an SSH private key"));
        assertTrue(check("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n")
                .startsWith("is damaged"));
        assertTrue(check("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n").startsWith("is cut short"));
        assertEquals("is protected by a passphrase, which opsbot cannot type",
                check("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nMIIE\n"));
    }

    /** Keys as ssh-keygen really writes them, where it is installed. */
    @Test
    void realKeysFromSshKeygen() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/ssh-keygen")), "ssh-keygen not installed");
        keygen("plain", "-t", "ed25519", "-N", "");
        keygen("locked", "-t", "ed25519", "-N", "a passphrase");
        keygen("rsa", "-t", "rsa", "-b", "2048", "-N", "");
        assertNull(KeyFile.check(dir.resolve("plain")));
        assertNull(KeyFile.check(dir.resolve("rsa")));
        assertTrue(KeyFile.check(dir.resolve("locked")).contains("passphrase"));
        assertTrue(KeyFile.check(dir.resolve("plain.pub")).startsWith("is a public key"));
    }

    private void keygen(String name, String... opts) throws Exception {
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of("ssh-keygen", "-q", "-f", dir.resolve(name).toString()));
        cmd.addAll(java.util.List.of(opts));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertEquals(0, p.waitFor());
    }
}
