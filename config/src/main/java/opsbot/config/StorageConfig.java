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
        return jdbcUrl != null ? jdbcUrl : "jdbc:h2:file:" + path + ";DB_CLOSE_ON_EXIT=FALSE";
    }
}
