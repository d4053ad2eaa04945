package opsbot.bot.schedule;

import org.quartz.CronScheduleBuilder;
import org.quartz.Job;
import org.quartz.JobBuilder;
import org.quartz.JobDetail;
import org.quartz.JobExecutionContext;
import org.quartz.JobKey;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.SimpleScheduleBuilder;
import org.quartz.Trigger;
import org.quartz.TriggerBuilder;
import org.quartz.TriggerKey;
import org.quartz.impl.SchedulerRepository;
import org.quartz.impl.StdSchedulerFactory;
import org.quartz.impl.matchers.GroupMatcher;
import org.quartz.utils.ConnectionProvider;
import org.quartz.utils.DBConnectionManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Date;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TimeZone;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The bot's one clock for everything in the future (follow-ups, runbook waits, check runs): Quartz with its
 * JDBC job store on the store's own database, so a timer outlives a crash. A timer is a kind (a handler's
 * name) and an id into that handler's own tables; nothing else is kept in Quartz. The handler's rows are the
 * truth: handlers make their state changes conditional ({@code UPDATE … WHERE state = 'pending'}), so a timer
 * that fires twice (a crash between firing and Quartz's bookkeeping) changes nothing the second time, and they
 * re-arm at start what has no timer (see {@link #ids}).
 *
 * <p>One-shot timers that fell due while the bot was down fire at start (Quartz's "fire now" misfire policy);
 * what that means (run late, or announce as missed) is the handler's decision: it knows the due time from its
 * row and when the bot came up from {@link Firing#up}. Repeating timers skip what they missed.
 *
 * <p>Handlers run on virtual threads, never on Quartz's own two threads, and at most {@link #MAX_RUNNING} at a
 * time; past that a firing waits for room on Quartz's thread (it is late, never lost) and says so in the log.
 */
public final class Schedule implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Schedule.class);
    /** The name in Quartz's tables: one scheduler per store, and one per process (see {@link #create}). */
    public static final String NAME = "opsbot";
    static final int MAX_RUNNING = 256;

    /** What a handler is told when its timer fires. */
    public record Firing(String kind, String id, Instant at, Instant up) {
        /** Whether the bot was not running at {@code due}: then it is late because it was down. */
        public boolean downAt(Instant due) {
            return due.isBefore(up);
        }

        /** How late the firing is for {@code due} (zero when early or on time). */
        public Duration lateFor(Instant due) {
            Duration d = Duration.between(due, at);
            return d.isNegative() ? Duration.ZERO : d;
        }
    }

    /** Called when a timer of its kind fires; runs on a virtual thread of its own. */
    @FunctionalInterface
    public interface Handler {
        void fire(Firing f) throws Exception;
    }

    private final Scheduler quartz;
    private final Clock clock;
    private final Map<String, Handler> handlers = new ConcurrentHashMap<>();
    private final ExecutorService work = Executors.newVirtualThreadPerTaskExecutor();
    private final Semaphore room = new Semaphore(MAX_RUNNING);
    private final java.util.List<Runnable> afterStart = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final java.util.List<Runnable> atClose = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile Instant up;
    private volatile boolean closing;

    private Schedule(Scheduler quartz, Clock clock) {
        this.quartz = quartz;
        this.clock = clock;
    }

    /**
     * A scheduler on {@code pool}'s database, not yet started: register the handlers ({@link #on}), then
     * {@link #start}, so what fell due while the bot was down finds its handler.
     */
    public static Schedule create(DataSource pool, Clock clock) {
        if (SchedulerRepository.getInstance().lookup(NAME) != null) {
            throw new IllegalStateException("a scheduler is already running in this process; close that bot first");
        }
        DBConnectionManager.getInstance().addConnectionProvider(NAME, new Pool(pool));
        Properties p = new Properties();
        p.setProperty(StdSchedulerFactory.PROP_SCHED_INSTANCE_NAME, NAME);
        p.setProperty(StdSchedulerFactory.PROP_SCHED_INSTANCE_ID, "opsbot");
        p.setProperty(StdSchedulerFactory.PROP_SCHED_MAKE_SCHEDULER_THREAD_DAEMON, "true");
        p.setProperty("org.quartz.threadPool.class", "org.quartz.simpl.SimpleThreadPool");
        p.setProperty("org.quartz.threadPool.threadCount", "2");
        p.setProperty("org.quartz.threadPool.makeThreadsDaemons", "true");
        p.setProperty("org.quartz.threadPool.threadNamePrefix", "schedule");
        p.setProperty("org.quartz.jobStore.class", "org.quartz.impl.jdbcjobstore.JobStoreTX");
        // One delegate for the embedded H2 and a later PostgreSQL: the tables are Quartz's PostgreSQL DDL.
        p.setProperty("org.quartz.jobStore.driverDelegateClass", "org.quartz.impl.jdbcjobstore.PostgreSQLDelegate");
        p.setProperty("org.quartz.jobStore.dataSource", NAME);
        p.setProperty("org.quartz.jobStore.tablePrefix", "QRTZ_");
        p.setProperty("org.quartz.jobStore.isClustered", "false");
        // A timer found more than this late counts as misfired: one-shots then fire now, repeats skip ahead.
        p.setProperty("org.quartz.jobStore.misfireThreshold", "5000");
        try {
            StdSchedulerFactory f = new StdSchedulerFactory(p);
            Scheduler quartz = f.getScheduler();
            Schedule s = new Schedule(quartz, clock);
            quartz.setJobFactory((bundle, scheduler) -> s.new Fire());
            return s;
        } catch (SchedulerException e) {
            throw new IllegalStateException("cannot set up the scheduler: " + e.getMessage(), e);
        }
    }

    /** Registers the handler for timers of {@code kind}; before {@link #start}. */
    public Schedule on(String kind, Handler handler) {
        handlers.put(kind, handler);
        return this;
    }

    /**
     * Runs {@code r} once the scheduler has started: Quartz's own recovery at start (it drops one-shots that fired
     * just before a crash) has run by then, so an owner comparing its rows with {@link #ids} sees what is armed.
     */
    public Schedule afterStart(Runnable r) {
        afterStart.add(r);
        return this;
    }

    /** Runs {@code r} first when the schedule closes: what the timers drive (a runbook's steps) stops with them. */
    public Schedule atClose(Runnable r) {
        atClose.add(r);
        return this;
    }

    /** Starts firing: first what fell due while the bot was down, then everything as it falls due. */
    public Schedule start() {
        up = clock.instant();
        try {
            quartz.start();
        } catch (SchedulerException e) {
            throw new IllegalStateException("cannot start the scheduler: " + e.getMessage(), e);
        }
        for (Runnable r : afterStart) {
            try {
                r.run();
            } catch (RuntimeException e) {
                log.error("schedule: a start-up task failed", e);
            }
        }
        return this;
    }

    /** When this scheduler started: a timer due before it fell due while the bot was down. */
    public Instant up() {
        return up;
    }

    /** Fires {@code kind}'s handler for {@code id} once at {@code when} (replacing an earlier timer for it). */
    public void at(String kind, String id, Instant when) {
        schedule(kind, id, TriggerBuilder.newTrigger().withIdentity(id, kind).startAt(Date.from(when))
                .withSchedule(SimpleScheduleBuilder.simpleSchedule().withMisfireHandlingInstructionFireNow()).build());
    }

    /** Fires every {@code interval}, the first time one interval from now; missed runs are skipped, not caught up. */
    public void every(String kind, String id, Duration interval) {
        schedule(kind, id, TriggerBuilder.newTrigger().withIdentity(id, kind)
                .startAt(Date.from(clock.instant().plus(interval)))
                .withSchedule(SimpleScheduleBuilder.simpleSchedule().withIntervalInMilliseconds(interval.toMillis())
                        .repeatForever().withMisfireHandlingInstructionNextWithRemainingCount()).build());
    }

    /** Fires on a Quartz cron expression in {@code zone}; missed runs are skipped, not caught up. */
    public void cron(String kind, String id, String quartzCron, ZoneId zone) {
        schedule(kind, id, TriggerBuilder.newTrigger().withIdentity(id, kind)
                .withSchedule(CronScheduleBuilder.cronSchedule(quartzCron).inTimeZone(TimeZone.getTimeZone(zone))
                        .withMisfireHandlingInstructionDoNothing()).build());
    }

    private void schedule(String kind, String id, Trigger trigger) {
        JobDetail job = JobBuilder.newJob(Fire.class).withIdentity(id, kind).storeDurably(false).build();
        try {
            Trigger old = quartz.getTrigger(trigger.getKey());
            if (old != null && old.getClass() != trigger.getClass()) {
                // Quartz's JDBC store replaces a trigger in place and then misses the row of the other type
                // (an interval check changed to a cron line): the old one goes first.
                quartz.deleteJob(job.getKey());
            }
            quartz.scheduleJob(job, Set.of(trigger), true);
        } catch (SchedulerException e) {
            throw new IllegalStateException("cannot schedule " + kind + " " + id + ": " + e.getMessage(), e);
        }
    }

    /** Removes {@code kind}'s timer for {@code id}; false when there was none. */
    public boolean cancel(String kind, String id) {
        try {
            return quartz.deleteJob(new JobKey(id, kind));
        } catch (SchedulerException e) {
            throw new IllegalStateException("cannot cancel " + kind + " " + id + ": " + e.getMessage(), e);
        }
    }

    /** When {@code kind}'s timer for {@code id} fires next, if it has one. */
    public Optional<Instant> next(String kind, String id) {
        try {
            Trigger t = quartz.getTrigger(new TriggerKey(id, kind));
            return t == null || t.getNextFireTime() == null ? Optional.empty() : Optional.of(t.getNextFireTime().toInstant());
        } catch (SchedulerException e) {
            // Quartz reads a trigger in two queries; one removed (fired, cancelled) between them is not an error
            // but gone. Seen as a failing test when a cancel raced this read.
            for (Throwable c = e; c != null; c = c.getCause()) {
                if (c instanceof org.quartz.impl.jdbcjobstore.NoRecordFoundException) return Optional.empty();
            }
            throw new IllegalStateException("cannot read the timer of " + kind + " " + id + ": " + e.getMessage(), e);
        }
    }

    /** The ids of every timer of {@code kind}, in one query: what a handler compares with its rows at start. */
    public Set<String> ids(String kind) {
        try {
            Set<String> out = new HashSet<>();
            quartz.getTriggerKeys(GroupMatcher.triggerGroupEquals(kind)).forEach(k -> out.add(k.getName()));
            return out;
        } catch (SchedulerException e) {
            throw new IllegalStateException("cannot list the timers of " + kind + ": " + e.getMessage(), e);
        }
    }

    /** Quartz's job: hands the firing to its handler on a virtual thread and returns. */
    final class Fire implements Job {
        @Override
        public void execute(JobExecutionContext context) {
            JobKey key = context.getJobDetail().getKey();
            Firing f = new Firing(key.getGroup(), key.getName(), clock.instant(), up);
            Handler h = handlers.get(f.kind());
            if (h == null) {
                log.error("schedule: no handler for {} {}; its owner re-arms it at the next start", f.kind(), f.id());
                return;
            }
            if (!room.tryAcquire()) {
                log.warn("schedule: {} handlers running; {} {} waits for room", MAX_RUNNING, f.kind(), f.id());
                try {
                    while (!room.tryAcquire(1, TimeUnit.SECONDS)) {
                        if (closing) {
                            // not handled now; its owner's rows still say it is due, and it is re-armed after start
                            log.warn("schedule: closing; {} {} is handled after the next start", f.kind(), f.id());
                            return;
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            try {
                work.execute(() -> {
                    try {
                        h.fire(f);
                    } catch (Exception e) {
                        log.error("schedule: {} {} failed", f.kind(), f.id(), e);
                    } finally {
                        room.release();
                    }
                });
            } catch (RuntimeException e) { // closing
                room.release();
                log.warn("schedule: {} {} not handled, closing; it is handled after the next start", f.kind(), f.id());
            }
        }
    }

    /** Quartz's view of the store's pool. */
    private record Pool(DataSource pool) implements ConnectionProvider {
        @Override
        public Connection getConnection() throws SQLException {
            return pool.getConnection();
        }

        @Override
        public void shutdown() {
            // the store closes its pool
        }

        @Override
        public void initialize() {
        }
    }

    /** Stops firing; handlers already running get a few seconds to finish (their rows say where they were). */
    @Override
    public void close() {
        closing = true;
        for (Runnable r : atClose) {
            try {
                r.run();
            } catch (RuntimeException e) {
                log.error("schedule: a closing task failed", e);
            }
        }
        try {
            quartz.shutdown(true);
        } catch (SchedulerException e) {
            log.warn("schedule: shutdown failed", e);
        }
        work.shutdown();
        try {
            if (!work.awaitTermination(5, TimeUnit.SECONDS)) {
                log.warn("schedule: handlers still running at shutdown; their rows say where they were");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
