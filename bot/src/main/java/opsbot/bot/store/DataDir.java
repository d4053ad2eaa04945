package opsbot.bot.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Properties;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * The embedded database's folder and the files in it. Java cannot set a umask, and H2 creates its files with
 * the process's, so the folder is what keeps others out: it is created 0700 and a folder that others may
 * may use in any way (read, write, or only enter) is refused. Files are created 0600 where opsbot creates them, and tightened to 0600 where H2
 * did (after opening and on close).
 *
 * @param dir  the data directory
 * @param name the database's file name without suffix: H2's files and opsbot's secrets are {@code name.*}
 */
public record DataDir(Path dir, String name) {
    static final Set<PosixFilePermission> DIR = PosixFilePermissions.fromString("rwx------");
    static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OTHERS = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    /** The data directory of the embedded database at {@code path} (H2's path, without .mv.db). */
    public static DataDir of(String path) {
        Path p = Path.of(path).toAbsolutePath().normalize();
        return new DataDir(p.getParent(), p.getFileName().toString());
    }

    public Path file(String suffix) {
        return dir.resolve(name + suffix);
    }

    public Path passwordFile() {
        return file(".db-password");
    }

    /** The schema owner's password: used only at start, for the migrations. */
    public Path adminPasswordFile() {
        return file(".db-admin-password");
    }

    public Path chainKeyFile() {
        return file(".chain-key");
    }

    public Path lockFile() {
        return file(".lock.db");
    }

    /**
     * Creates the directory 0700 if it is missing and refuses one with any permission for group or others;
     * creates the database file 0600 before H2 does (H2 takes an empty file as a new database).
     */
    public void prepare() {
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(DIR));
            }
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir);
            Set<PosixFilePermission> wide = EnumSet.copyOf(OTHERS);
            wide.retainAll(perms);
            if (!wide.isEmpty()) {
                throw new Store.Refused("the data directory " + dir + " is " + PosixFilePermissions.toString(perms)
                        + ": " + whatOthersMay(wide) + "; run: chmod 700 " + dir);
            }
            Path db = file(".mv.db");
            if (!Files.exists(db, LinkOption.NOFOLLOW_LINKS)) {
                try {
                    Files.createFile(db, PosixFilePermissions.asFileAttribute(FILE));
                } catch (FileAlreadyExistsException raced) {
                    // another opsbot process created it first: fine, it is tightened after opening
                }
            }
        } catch (UnsupportedOperationException e) {
            throw new Store.Refused("the data directory " + dir + " is not on a POSIX file system; opsbot cannot keep it private");
        } catch (AccessDeniedException e) {
            throw new Store.Refused("no access to the data directory " + dir + " (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new Store.Refused("cannot prepare the data directory " + dir + ": " + e);
        }
    }

    /**
     * What group or others may do with a folder of these permissions. Even entering it (x) is refused: it lets
     * them open a file in it whose name they know, should one ever be created wider than 0600.
     */
    private static String whatOthersMay(Set<PosixFilePermission> wide) {
        boolean read = wide.contains(PosixFilePermission.GROUP_READ) || wide.contains(PosixFilePermission.OTHERS_READ);
        boolean write = wide.contains(PosixFilePermission.GROUP_WRITE) || wide.contains(PosixFilePermission.OTHERS_WRITE);
        if (read || write) {
            return "others may read or change the database, its passwords and the chain key";
        }
        return "others may enter it and open the database's files by name";
    }

    /** Whether the database file holds a database (H2 takes a missing or empty one as a new database). */
    public boolean hasDatabase() {
        try {
            return Files.size(file(".mv.db")) > 0;
        } catch (IOException e) {
            return false;
        }
    }

    /** Sets every {@code name.*} file that group or others may use to 0600 (H2 creates files with the umask). */
    public void tighten() {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                if (!f.getFileName().toString().startsWith(name + ".") || !Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                try {
                    Set<PosixFilePermission> p = Files.getPosixFilePermissions(f, LinkOption.NOFOLLOW_LINKS);
                    if (p.stream().anyMatch(OTHERS::contains)) {
                        Files.setPosixFilePermissions(f, FILE);
                    }
                } catch (NoSuchFileException gone) {
                    // H2 removed it meanwhile (a temp file, the lock on close)
                }
            }
        } catch (IOException e) {
            throw new Store.Refused("cannot set the permissions of the files in " + dir + ": " + e);
        }
    }

    /**
     * The secret kept in {@code file}, created 0600 from {@code generate} if the file does not exist.
     * Written beside it and linked into place, so a crash never leaves a half-written secret and two processes
     * starting at once agree on one.
     */
    public static String secret(Path file, Supplier<String> generate) {
        try {
            if (!Files.exists(file)) {
                Path tmp = Files.createTempFile(file.getParent(), file.getFileName() + ".", ".tmp",
                        PosixFilePermissions.asFileAttribute(FILE));
                try {
                    Files.writeString(tmp, generate.get() + "\n", StandardCharsets.UTF_8);
                    Files.createLink(file, tmp);
                } catch (FileAlreadyExistsException raced) {
                    // the other process's secret wins
                } finally {
                    Files.deleteIfExists(tmp);
                }
            }
            return read(file);
        } catch (IOException e) {
            throw new Store.Refused("cannot create " + file + ": " + e);
        }
    }

    /** The secret in {@code file} (tightened to 0600 if it was wider), or null if there is no such file. */
    public static String readIfPresent(Path file) {
        if (!Files.exists(file)) {
            return null;
        }
        try {
            return read(file);
        } catch (IOException e) {
            throw new Store.Refused("cannot read " + file + ": " + e);
        }
    }

    private static String read(Path file) throws IOException {
        if (Files.getPosixFilePermissions(file).stream().anyMatch(OTHERS::contains)) {
            Files.setPosixFilePermissions(file, FILE);
        }
        String s = Files.readString(file, StandardCharsets.UTF_8).strip();
        if (s.isEmpty()) {
            throw new Store.Refused(file + " is empty; restore it from a backup");
        }
        return s;
    }

    /**
     * Refuses unless H2's lock file says its AUTO_SERVER listens on loopback. H2 writes the address it binds
     * to ({@code h2.bindAddress}), or the machine's own address when that is unset, and writes 127.0.0.1 as
     * "localhost"; anything else means the database port is open to the network.
     */
    public void checkLockFile() {
        Properties lock = new Properties();
        try (InputStream in = Files.newInputStream(lockFile())) {
            lock.load(in);
        } catch (IOException e) {
            throw new Store.Refused("cannot read H2's lock file " + lockFile() + ": " + e.getMessage());
        }
        checkServer(lockFile(), lock.getProperty("server"));
    }

    static void checkServer(Path lockFile, String server) {
        if (server == null) {
            throw new Store.Refused(lockFile + " names no database server; expected AUTO_SERVER on 127.0.0.1");
        }
        int colon = server.lastIndexOf(':');
        String host = colon < 0 ? server : server.substring(0, colon);
        if (!host.equals("127.0.0.1") && !host.equals("localhost")) {
            throw new Store.Refused("the database server listens on " + server + " (from " + lockFile
                    + "), not on 127.0.0.1; start java with -Dh2.bindAddress=127.0.0.1 (scripts/jvm.options does)");
        }
    }
}
