package opsbot.bot.runbook;

import static opsbot.bot.store.Sql.cut;
import static opsbot.bot.store.Sql.instant;
import static opsbot.bot.store.Sql.odt;
import opsbot.bot.outbox.Item;
import opsbot.bot.outbox.Outbox;
import opsbot.bot.store.Store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The runs and their step journal in the store: the truth about every run. Every change of a run's state is
 * one transaction, conditional on the state it leaves ({@code UPDATE … WHERE state = ?}), with what the bot says
 * about it in the outbox of that same transaction: a timer that fires twice, or a {@code !y} racing a
 * {@code !cancel}, changes nothing the second time and says nothing twice.
 */
final class Rows {
    static final String RUNNING = "running";
    static final String WAITING = "waiting";
    static final String ASKING = "asking";
    static final String PAUSED = "paused-unknown";
    static final String DONE = "done";
    static final String FAILED = "failed";
    static final String CANCELLED = "cancelled";
    private static final String LIVE = "('running','waiting','asking','paused-unknown')";

    /** A run as stored. {@code channel} is null for a private message; {@code place} is where replies go. */
    record Run(long id, String runbook, String title, String params, List<Step> steps, String asker, String nick,
               String actor, String network, String channel, String place, Long incidentId, String state, int step,
               int tries, Instant stepStarted, Instant nextDue, Instant created, Instant finished) {
        String tag() {
            return tag(id);
        }

        static String tag(long id) {
            return "R" + id;
        }

        boolean live() {
            return !(DONE.equals(state) || FAILED.equals(state) || CANCELLED.equals(state));
        }
    }

    /** One journal row: a step's attempt. */
    record Entry(int step, int attempt, String state, String exitCodes, String output, Instant started, Instant finished) {
    }

    private final Store store;
    private final Outbox outbox;

    Rows(Store store, Outbox outbox) {
        this.store = store;
        this.outbox = outbox;
    }

    long create(Run r) {
        long id = store.transaction("start a runbook run", db -> {
            try (PreparedStatement p = db.prepareStatement("""
                    INSERT INTO runbook_runs (runbook, title, params, steps, asker, nick, actor, network, channel, place,
                      incident_id, state, step, tries, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,0,0,?)""",
                    Statement.RETURN_GENERATED_KEYS)) {
                p.setString(1, r.runbook());
                p.setString(2, cut(r.title(), 512));
                p.setString(3, cut(r.params(), 1024));
                p.setString(4, Step.encode(r.steps()));
                p.setString(5, r.asker());
                p.setString(6, cut(r.nick(), 256));
                p.setString(7, cut(r.actor(), 256));
                p.setString(8, r.network());
                p.setString(9, r.channel());
                p.setString(10, r.place());
                if (r.incidentId() == null) p.setNull(11, Types.BIGINT);
                else p.setLong(11, r.incidentId());
                p.setString(12, RUNNING);
                p.setObject(13, odt(r.created()));
                p.executeUpdate();
                try (ResultSet k = p.getGeneratedKeys()) {
                    k.next();
                    return k.getLong(1);
                }
            }
        });
        return id;
    }

    Optional<Run> find(long id) {
        return store.transaction("read runbook run " + id, db -> {
            List<Run> l = query(db, "SELECT * FROM runbook_runs WHERE id=?", id);
            return l.isEmpty() ? Optional.empty() : Optional.of(l.get(0));
        });
    }

    /** Runs not over yet, oldest first. */
    List<Run> live() {
        return store.transaction("list runbook runs", db -> query(db, "SELECT * FROM runbook_runs WHERE state IN " + LIVE
                + " ORDER BY id"));
    }

    /** The newest finished runs, newest first. */
    List<Run> finished(int limit) {
        return store.transaction("list runbook runs", db -> query(db, "SELECT * FROM runbook_runs WHERE state NOT IN "
                + LIVE + " ORDER BY id DESC LIMIT " + limit));
    }

    List<Entry> journal(long id) {
        return store.transaction("read the journal of run " + id, db -> {
            List<Entry> out = new ArrayList<>();
            try (PreparedStatement p = db.prepareStatement(
                    "SELECT * FROM runbook_journal WHERE run_id=? ORDER BY step, attempt")) {
                p.setLong(1, id);
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        out.add(new Entry(r.getInt("step"), r.getInt("attempt"), r.getString("state"),
                                r.getString("exit_codes"), r.getString("output"), instant(r, "started_at"),
                                instant(r, "finished_at")));
                    }
                }
            }
            return out;
        });
    }

    /**
     * Before a step runs: its journal row, "started", committed, if the run is still running at that step;
     * the attempt's number, or empty (cancelled meanwhile: the step is not run).
     */
    Optional<Integer> begin(long id, int step, Instant now) {
        return store.transaction("journal the start of a step", db -> {
            if (!at(db, id, RUNNING, step)) {
                return Optional.<Integer>empty();
            }
            int attempt = nextAttempt(db, id, step);
            insertJournal(db, id, step, attempt, "started", null, null, now, null);
            return Optional.of(attempt);
        });
    }

    /** What a step's end does to its run. */
    enum Then { NEXT, FAIL, STAY }

    /**
     * After a step: its journal row completed ({@code attempt} 0: a new row, for steps that have no
     * "started" row, a wait or a poll), and the run moved on or failed, if it is still running at that step.
     * {@code say} goes out only if the run moved. Whether it did.
     */
    boolean end(long id, int step, int attempt, String state, String exitCodes, String output, Instant started,
                Instant now, Then then, List<Item> say) {
        return transition("journal the end of a step", say, db -> {
            if (attempt == 0) {
                insertJournal(db, id, step, nextAttempt(db, id, step), state, exitCodes, output, started, now);
            } else {
                try (PreparedStatement p = db.prepareStatement("UPDATE runbook_journal SET state=?, exit_codes=?, "
                        + "output=?, finished_at=? WHERE run_id=? AND step=? AND attempt=?")) {
                    p.setString(1, state);
                    p.setString(2, cut(exitCodes, 1024));
                    p.setString(3, cut(output, 4096));
                    p.setObject(4, odt(now));
                    p.setLong(5, id);
                    p.setInt(6, step);
                    p.setInt(7, attempt);
                    p.executeUpdate();
                }
            }
            return switch (then) {
                case NEXT -> update(db, "UPDATE runbook_runs SET step=step+1, tries=0, step_started=NULL, next_due=NULL"
                        + " WHERE id=? AND state='running' AND step=?", id, step);
                case FAIL -> finish(db, id, step, FAILED, now);
                case STAY -> at(db, id, RUNNING, step);
            };
        });
    }

    /** A running run at {@code step} waits for its timer at {@code due} (a wait, or the next try of a poll). */
    boolean waitFor(long id, int step, Instant stepStarted, int tries, Instant due, List<Item> say) {
        return transition("put a run to wait", say, db -> {
            try (PreparedStatement p = db.prepareStatement("UPDATE runbook_runs SET state='waiting', step_started=?, "
                    + "tries=?, next_due=? WHERE id=? AND state='running' AND step=?")) {
                p.setObject(1, odt(stepStarted));
                p.setInt(2, tries);
                p.setObject(3, odt(due));
                p.setLong(4, id);
                p.setInt(5, step);
                return p.executeUpdate() == 1;
            }
        });
    }

    /**
     * A poll's host refused the login (host key, key): the run pauses for a human, and {@code !y} starts the poll
     * afresh (its {@code at-most} counted from then). The refusal is journalled as the step's attempt.
     */
    boolean refused(long id, int step, String why, Instant stepStarted, Instant now, List<Item> say) {
        return transition("pause a run on a refused login", say, db -> {
            if (!update(db, "UPDATE runbook_runs SET state='paused-unknown', step_started=NULL, tries=0, next_due=NULL"
                    + " WHERE id=? AND state='running' AND step=?", id, step)) {
                return false;
            }
            insertJournal(db, id, step, nextAttempt(db, id, step), "refused", null, why, stepStarted, now);
            return true;
        });
    }

    /** Its timer fired: a waiting run runs again. False when it is not waiting (cancelled, or fired twice). */
    boolean wake(long id, Instant now) {
        // Only when due: a timer that fires early (one re-armed by the minute's sweep as the run moved on to its
        // next wait) changes nothing; the run's own timer comes at its time.
        return transition("wake a run", List.of(), db -> {
            try (PreparedStatement p = db.prepareStatement("UPDATE runbook_runs SET state='running' WHERE id=?"
                    + " AND state='waiting' AND (next_due IS NULL OR next_due <= ?)")) {
                p.setLong(1, id);
                p.setObject(2, odt(now.plusSeconds(1)));
                return p.executeUpdate() == 1;
            }
        });
    }

    /** A running run at an ask step waits for its asker's {@code !y}. */
    boolean ask(long id, int step, Instant now, List<Item> say) {
        return transition("put a run to ask", say, db -> {
            try (PreparedStatement p = db.prepareStatement("UPDATE runbook_runs SET state='asking', step_started=? "
                    + "WHERE id=? AND state='running' AND step=?")) {
                p.setObject(1, odt(now));
                p.setLong(2, id);
                p.setInt(3, step);
                return p.executeUpdate() == 1;
            }
        });
    }

    /**
     * The asker's {@code !y}: an asking run's question is answered (journal ok, next step), a paused run runs
     * its unknown step again. False when the run was in neither state.
     */
    boolean answer(Run r, Instant now) {
        return transition("go on with a run", List.of(), db -> {
            if (ASKING.equals(r.state())) {
                if (!update(db, "UPDATE runbook_runs SET state='running', step=step+1, tries=0, step_started=NULL, "
                        + "next_due=NULL WHERE id=? AND state='asking' AND step=?", r.id(), r.step())) {
                    return false;
                }
                insertJournal(db, r.id(), r.step(), nextAttempt(db, r.id(), r.step()), "ok", null, "answered !y",
                        r.stepStarted() == null ? now : r.stepStarted(), now);
                return true;
            }
            return update(db, "UPDATE runbook_runs SET state='running' WHERE id=? AND state='paused-unknown' AND step=?",
                    r.id(), r.step());
        });
    }

    /** The run is over ({@link #DONE}). */
    boolean done(long id, int step, Instant now, List<Item> say) {
        return transition("finish a run", say, db -> finish(db, id, step, DONE, now));
    }

    /** {@code !cancel}: whatever state a live run is in. False when it was over already. */
    boolean cancel(long id, Instant now, List<Item> say) {
        return transition("cancel a run", say, db -> {
            try (PreparedStatement p = db.prepareStatement("UPDATE runbook_runs SET state='cancelled', finished_at=?, "
                    + "next_due=NULL WHERE id=? AND state IN " + LIVE)) {
                p.setObject(1, odt(now));
                p.setLong(2, id);
                return p.executeUpdate() == 1;
            }
        });
    }

    /**
     * At start: a step journalled "started" and never ended was cut off by a crash. Its row becomes "unknown"
     * and its run pauses for a human; {@code say} makes the announcement for each such run. The runs paused.
     */
    List<Run> pauseCutOff(Instant now, java.util.function.Function<Run, List<Item>> say) {
        List<Run> paused = new ArrayList<>();
        for (Run r : live()) {
            boolean done = transition("pause a run whose step was cut off", say.apply(r), db -> {
                try (PreparedStatement p = db.prepareStatement("UPDATE runbook_journal SET state='unknown', finished_at=?"
                        + " WHERE run_id=? AND state='started'")) {
                    p.setObject(1, odt(now));
                    p.setLong(2, r.id());
                    if (p.executeUpdate() == 0) {
                        return false;
                    }
                }
                return update(db, "UPDATE runbook_runs SET state='paused-unknown', next_due=NULL WHERE id=? AND step=?"
                        + " AND state IN " + LIVE, r.id(), r.step());
            });
            if (done) {
                paused.add(r);
            }
        }
        return paused;
    }

    // ---- helpers --------------------------------------------------------------------------------------------

    private interface Change {
        boolean on(Connection db) throws SQLException;
    }

    /** One transaction: the change, and if it happened, the outbox rows; the senders woken after the commit. */
    private boolean transition(String what, List<Item> say, Change change) {
        boolean changed = store.transaction(what, db -> {
            if (!change.on(db)) {
                return false;
            }
            for (Item i : say) {
                outbox.enqueue(db, i);
            }
            return true;
        });
        if (changed) {
            say.stream().map(Item::target).distinct().forEach(outbox::wake);
        }
        return changed;
    }

    private static boolean finish(Connection db, long id, int step, String state, Instant now) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("UPDATE runbook_runs SET state=?, finished_at=?, next_due=NULL "
                + "WHERE id=? AND state='running' AND step=?")) {
            p.setString(1, state);
            p.setObject(2, odt(now));
            p.setLong(3, id);
            p.setInt(4, step);
            return p.executeUpdate() == 1;
        }
    }

    private static boolean at(Connection db, long id, String state, int step) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("SELECT 1 FROM runbook_runs WHERE id=? AND state=? AND step=?")) {
            p.setLong(1, id);
            p.setString(2, state);
            p.setInt(3, step);
            try (ResultSet r = p.executeQuery()) {
                return r.next();
            }
        }
    }

    private static boolean update(Connection db, String sql, long id, int step) throws SQLException {
        try (PreparedStatement p = db.prepareStatement(sql)) {
            p.setLong(1, id);
            p.setInt(2, step);
            return p.executeUpdate() == 1;
        }
    }

    private static int nextAttempt(Connection db, long id, int step) throws SQLException {
        try (PreparedStatement p = db.prepareStatement(
                "SELECT COALESCE(MAX(attempt), 0) FROM runbook_journal WHERE run_id=? AND step=?")) {
            p.setLong(1, id);
            p.setInt(2, step);
            try (ResultSet r = p.executeQuery()) {
                r.next();
                return r.getInt(1) + 1;
            }
        }
    }

    private static void insertJournal(Connection db, long id, int step, int attempt, String state, String exitCodes,
                                      String output, Instant started, Instant finished) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("INSERT INTO runbook_journal (run_id, step, attempt, state, "
                + "exit_codes, output, started_at, finished_at) VALUES (?,?,?,?,?,?,?,?)")) {
            p.setLong(1, id);
            p.setInt(2, step);
            p.setInt(3, attempt);
            p.setString(4, state);
            p.setString(5, cut(exitCodes, 1024));
            p.setString(6, cut(output, 4096));
            p.setObject(7, odt(started));
            p.setObject(8, finished == null ? null : odt(finished));
            p.executeUpdate();
        }
    }

    private static List<Run> query(Connection db, String sql, Object... args) throws SQLException {
        List<Run> out = new ArrayList<>();
        try (PreparedStatement p = db.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                p.setObject(i + 1, args[i]);
            }
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    long inc = r.getLong("incident_id");
                    Long incident = r.wasNull() ? null : inc;
                    out.add(new Run(r.getLong("id"), r.getString("runbook"), r.getString("title"), r.getString("params"),
                            Step.decode(r.getString("steps")), r.getString("asker"), r.getString("nick"),
                            r.getString("actor"), r.getString("network"), r.getString("channel"), r.getString("place"),
                            incident, r.getString("state"), r.getInt("step"), r.getInt("tries"),
                            instant(r, "step_started"), instant(r, "next_due"), instant(r, "created_at"),
                            instant(r, "finished_at")));
                }
            }
        }
        return out;
    }



}
