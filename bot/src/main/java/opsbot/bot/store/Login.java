package opsbot.bot.store;

import org.h2.api.ErrorCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;

/**
 * The embedded database's two users. {@link #ADMIN} owns the schema and is used only at start, for the
 * migrations; its password is in its own 0600 file. The day-to-day user (the bot's store, and the command
 * line) may only select, insert, update and delete rows in opsbot's tables: H2 keeps FILE_READ, CREATE ALIAS
 * (Java code run in the bot), LINK TABLE, SCRIPT/RUNSCRIPT and every change to the schema or the users for
 * admins, so the database's password does not reach the files or the process behind the database.
 *
 * <p>Older databases are moved over at start, each step repeatable so an interrupted move finishes on the next
 * start: one whose admin is H2's empty user without a password (opsbot before the store was private), and one
 * whose day-to-day user is itself the admin (the first private-store form).
 */
final class Login {
    private static final Logger log = LoggerFactory.getLogger(Login.class);
    /** The schema owner's user name; the config's day-to-day user may not take it. */
    static final String ADMIN = "OPSBOT_ADMIN";

    private Login() {
    }

    /** A user and its password, and where the password came from (for refusals; never the password). */
    record Credentials(String user, String password, String source) {
        String quotedUser() {
            return "\"" + user.toUpperCase(Locale.ROOT).replace("\"", "\"\"") + "\"";
        }

        String quotedPassword() {
            return "'" + password.replace("'", "''") + "'";
        }
    }

    /**
     * The admin connection for the start's migrations: as {@link #ADMIN} with the password from
     * {@code adminFile}, or, for an older database, through its old admin, which it then hands over to
     * {@link #ADMIN}. Afterwards the day-to-day user exists with its password and is no admin, and H2's empty
     * user is gone. The caller closes it once the migrations ran and the day-to-day connection is open.
     */
    static Connection admin(String url, DataDir data, Credentials daily) {
        if (daily.user().strip().equalsIgnoreCase(ADMIN)) {
            throw new Store.Refused("storage.user may not be " + ADMIN + ": that is the schema owner, used only at start");
        }
        Path adminFile = data.adminPasswordFile();
        String pw = DataDir.readIfPresent(adminFile);
        if (pw != null) {
            Connection c = tryLogin(url, ADMIN, pw);
            if (c != null) {
                return handOver(c, daily);
            }
        }
        if (!data.hasDatabase()) {
            // A new database: its first user is its admin.
            pw = DataDir.secret(adminFile, ChainKey::generate);
            try {
                return handOver(DriverManager.getConnection(url, ADMIN, pw), daily);
            } catch (SQLException e) {
                throw new Store.Refused("cannot create the database " + url + ": " + firstLine(e));
            }
        }
        Connection old = oldAdmin(url, daily);
        if (old == null) {
            throw new Store.Refused(pw == null
                    ? "the database's admin password file " + adminFile + " is missing; restore it from a backup"
                    : "the database refused its admin user " + ADMIN + " with the password from " + adminFile);
        }
        pw = DataDir.secret(adminFile, ChainKey::generate);
        Credentials admin = new Credentials(ADMIN, pw, adminFile.toString());
        try (old; Statement s = old.createStatement()) {
            s.execute("CREATE USER IF NOT EXISTS " + admin.quotedUser() + " PASSWORD " + admin.quotedPassword() + " ADMIN");
            s.execute("ALTER USER " + admin.quotedUser() + " SET PASSWORD " + admin.quotedPassword());
            s.execute("ALTER USER " + admin.quotedUser() + " ADMIN TRUE");
        } catch (SQLException e) {
            throw new Store.Refused("cannot give the database its admin user: " + firstLine(e));
        }
        log.warn("store: the database's schema is now owned by user {} (password in {}); user {} keeps row access only",
                ADMIN, adminFile, daily.user());
        try {
            return handOver(DriverManager.getConnection(url, ADMIN, pw), daily);
        } catch (SQLException e) {
            throw new Store.Refused("cannot open the database as " + ADMIN + ": " + firstLine(e));
        }
    }

    /** The older database's admin: H2's empty user without a password, or the day-to-day user if it is admin. */
    private static Connection oldAdmin(String url, Credentials daily) {
        Connection c = tryLogin(url, "", "");
        if (c == null) {
            c = tryLogin(url, daily.user(), daily.password());
        }
        if (c == null) {
            return null;
        }
        try (Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT IS_ADMIN FROM INFORMATION_SCHEMA.USERS WHERE USER_NAME = CURRENT_USER")) {
            if (r.next() && r.getBoolean(1)) {
                return c;
            }
        } catch (SQLException e) {
            // not an admin (or cannot tell): no way to move the database over
        }
        close(c);
        return null;
    }

    /**
     * On the admin connection: the day-to-day user exists with today's password (set again each start, so a
     * changed {@code storage.password} takes effect and the user cannot lock the bot out by changing its own)
     * and is no admin; H2's empty user is dropped.
     */
    private static Connection handOver(Connection admin, Credentials daily) {
        try (Statement s = admin.createStatement()) {
            String u = daily.quotedUser(), pw = daily.quotedPassword();
            s.execute("CREATE USER IF NOT EXISTS " + u + " PASSWORD " + pw);
            s.execute("ALTER USER " + u + " SET PASSWORD " + pw);
            s.execute("ALTER USER " + u + " ADMIN FALSE");
            boolean empty;
            try (ResultSet r = s.executeQuery("SELECT COUNT(*) FROM INFORMATION_SCHEMA.USERS WHERE USER_NAME = ''")) {
                empty = r.next() && r.getInt(1) > 0;
            }
            if (empty) {
                s.execute("DROP USER \"\"");
                log.warn("store: dropped the database's empty admin user, which had no password");
            }
            return admin;
        } catch (SQLException e) {
            close(admin);
            throw new Store.Refused("cannot set up the database's user " + daily.user() + ": " + firstLine(e));
        }
    }

    /**
     * Gives the day-to-day user row access to every table of opsbot's schema (tables added later included), and
     * nothing else. Run after the migrations, on the admin connection.
     */
    static void grant(Connection admin, Credentials daily) throws SQLException {
        try (Statement s = admin.createStatement()) {
            s.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON SCHEMA PUBLIC TO " + daily.quotedUser());
        }
    }

    /** The day-to-day connection. */
    static Connection daily(String url, Credentials daily) {
        try {
            return DriverManager.getConnection(url, daily.user(), daily.password());
        } catch (SQLException e) {
            if (e.getErrorCode() == ErrorCode.WRONG_USER_OR_PASSWORD) {
                throw new Store.Refused("the database refused user " + daily.user() + " with the password from " + daily.source());
            }
            throw new Store.Refused("cannot open the database " + url + ": " + firstLine(e));
        }
    }

    /** A connection to the existing database, or null if it refuses this user and password. */
    private static Connection tryLogin(String url, String user, String password) {
        try {
            return DriverManager.getConnection(url + ";IFEXISTS=TRUE", user, password);
        } catch (SQLException e) {
            if (e.getErrorCode() == ErrorCode.WRONG_USER_OR_PASSWORD) {
                return null;
            }
            throw new Store.Refused("cannot open the database " + url + ": " + firstLine(e));
        }
    }

    static void close(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // nothing more to report than the reason it is closed
        }
    }

    static String firstLine(SQLException e) {
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
