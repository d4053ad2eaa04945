package opsbot.bot.store;

import org.h2.api.ErrorCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;

/**
 * Logs in to the embedded database as opsbot's own user with its password. A database made by an older
 * opsbot has H2's empty user with an empty password as its admin (anyone who reached it was admin); it is
 * moved over on the first login: opsbot's user is created (or given the password) as admin, then the empty
 * user is dropped. Each step can be repeated, so an interrupted move finishes on the next start.
 */
final class Login {
    private static final Logger log = LoggerFactory.getLogger(Login.class);

    private Login() {
    }

    /**
     * @param source where the password came from, for the refusal message (never the password itself)
     */
    static Connection connect(String url, String user, String password, String source) {
        try {
            Connection c = DriverManager.getConnection(url, user, password);
            return withoutEmptyUser(c);
        } catch (SQLException e) {
            if (e.getErrorCode() != ErrorCode.WRONG_USER_OR_PASSWORD) {
                throw new Store.Refused("cannot open the database " + url + ": " + firstLine(e));
            }
        }
        try (Connection legacy = DriverManager.getConnection(url, "", "");
             Statement s = legacy.createStatement()) {
            String u = "\"" + user.toUpperCase(Locale.ROOT).replace("\"", "\"\"") + "\"";
            String pw = "'" + password.replace("'", "''") + "'";
            s.execute("CREATE USER IF NOT EXISTS " + u + " PASSWORD " + pw + " ADMIN");
            s.execute("ALTER USER " + u + " SET PASSWORD " + pw);
            s.execute("ALTER USER " + u + " ADMIN TRUE");
        } catch (SQLException e) {
            if (e.getErrorCode() == ErrorCode.WRONG_USER_OR_PASSWORD) {
                throw new Store.Refused("the database refused user " + user + " with the password from " + source);
            }
            throw new Store.Refused("cannot give the database a password: " + firstLine(e));
        }
        log.warn("store: the database had H2's empty admin user without a password; it now has user {} with the"
                + " password from {}", user, source);
        try {
            return withoutEmptyUser(DriverManager.getConnection(url, user, password));
        } catch (SQLException e) {
            throw new Store.Refused("cannot open the database as " + user + " after giving it a password: " + firstLine(e));
        }
    }

    /** Whether the existing database at {@code url} still lets H2's empty user in without a password. */
    static boolean opensWithoutPassword(String url) {
        try (Connection c = DriverManager.getConnection(url + ";IFEXISTS=TRUE", "", "")) {
            return true;
        } catch (SQLException e) {
            if (e.getErrorCode() == ErrorCode.WRONG_USER_OR_PASSWORD) {
                return false;
            }
            throw new Store.Refused("cannot open the database " + url + ": " + firstLine(e));
        }
    }

    /** Drops H2's empty-named user if it is still there (its password is empty: it is a way in for anyone). */
    private static Connection withoutEmptyUser(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            boolean present;
            try (ResultSet r = s.executeQuery("SELECT COUNT(*) FROM INFORMATION_SCHEMA.USERS WHERE USER_NAME = ''")) {
                present = r.next() && r.getInt(1) > 0;
            }
            if (present) {
                s.execute("DROP USER \"\"");
                log.warn("store: dropped the database's empty user");
            }
            return c;
        } catch (SQLException e) {
            c.close();
            throw e;
        }
    }

    static String firstLine(SQLException e) {
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
