package opsbot.config;

/**
 * Where command attempts (and later the incident thread) are kept.
 *
 * @param path embedded H2 database file (without the .mv.db suffix); used when {@code jdbcUrl} is null
 * @param jdbcUrl a full JDBC URL, for PostgreSQL in shared setups
 */
public record StorageConfig(String path, String jdbcUrl, String user, String password) {
    public static StorageConfig embedded(String path) {
        return new StorageConfig(path, null, null, null);
    }

    public String url() {
        // AUTO_SERVER: a second process (opsbot incident export) reaches the running bot's database through
        // a TCP server the bot opens on loopback (the store sets h2.bindAddress) with a key from the lock file.
        return jdbcUrl != null ? jdbcUrl : "jdbc:h2:file:" + path + ";AUTO_SERVER=TRUE";
    }
}
