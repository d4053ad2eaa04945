package opsbot.config;

/**
 * Where command attempts and the incident log are kept.
 *
 * @param path     embedded H2 database file (without the .mv.db suffix); used when {@code jdbcUrl} is null. Its
 *                 folder is the data directory: created 0700, and the bot refuses one that others can read.
 * @param jdbcUrl  a full JDBC URL of another H2 database (user and password then come from here only)
 * @param user     database user; for the embedded database {@code opsbot} when not given
 * @param password database password; for the embedded database, when not given, a random one is generated
 *                 on first start and kept in {@code <path>.db-password} (0600)
 * @param chainKey the incident chain's HMAC key (at least 32 characters, best from {@code ${file:…}} outside the
 *                 data directory); when not given, {@code <path>.chain-key} (0600), generated on first start
 */
public record StorageConfig(String path, String jdbcUrl, String user, String password, String chainKey) {
    /** The embedded database's user when the config names none: anything but H2's empty or {@code sa} admin. */
    public static final String DEFAULT_USER = "opsbot";

    public StorageConfig(String path, String jdbcUrl, String user, String password) {
        this(path, jdbcUrl, user, password, null);
    }

    public static StorageConfig embedded(String path) {
        return new StorageConfig(path, null, null, null, null);
    }

    public boolean isEmbedded() {
        return jdbcUrl == null;
    }

    public String url() {
        // AUTO_SERVER: a second process (opsbot incident export) reaches the running bot's database through
        // a TCP server the bot opens on loopback (h2.bindAddress, checked by the store) with a key from the
        // lock file, and then needs the database password like everyone else.
        // retry: H2's file system that reopens its file when a writing thread was interrupted (a task cancelled at
        // shutdown) instead of closing the database for everyone; the store commits in the writing thread (no
        // write delay, see Store), so that matters.
        // QUERY_CACHE_SIZE: H2 keeps the parsed form of this many statements per connection (8 by default); one
        // intake event runs about a dozen distinct ones, so with 8 each was parsed again every time.
        return jdbcUrl != null ? jdbcUrl : "jdbc:h2:retry:" + path + ";AUTO_SERVER=TRUE;QUERY_CACHE_SIZE=64";
    }
}
