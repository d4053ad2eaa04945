package opsbot.config;

/**
 * One thing wrong with a configuration.
 *
 * @param path JSON-pointer-like path into the document ({@code /hosts/3/pair})
 * @param line 1-based line in the file, or 0 when unknown
 * @param hint what to do about it, or empty
 */
public record Problem(String path, int line, String message, String hint) {
    public String format(String file) {
        String where = line > 0 ? file + ":" + line : file;
        return where + ": " + message + (path.isEmpty() ? "" : " [" + path + "]")
                + (hint.isEmpty() ? "" : "\n    hint: " + hint);
    }
}
