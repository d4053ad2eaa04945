package opsbot.bot.store;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/** The store's column conventions, one place for every table: times in UTC, text cut (never refused) to its column. */
public final class Sql {
    private Sql() {
    }

    /** A time for a {@code TIMESTAMP WITH TIME ZONE} column (H2 and PostgreSQL both take it); null stays null. */
    public static OffsetDateTime odt(Instant at) {
        return at == null ? null : at.atOffset(ZoneOffset.UTC);
    }

    /** A {@code TIMESTAMP WITH TIME ZONE} column as an instant, or null. */
    public static Instant instant(ResultSet r, String column) throws SQLException {
        OffsetDateTime t = r.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    /** As {@link #instant(ResultSet, String)}, by the column's position (a hot read: no lookup by name). */
    public static Instant instant(ResultSet r, int column) throws SQLException {
        OffsetDateTime t = r.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    /** Over-long text cut to {@code max} characters, marked with "…": losing the row would be worse. */
    public static String cut(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }
}
