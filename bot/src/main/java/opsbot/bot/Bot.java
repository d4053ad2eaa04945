package opsbot.bot;

import com.jcraft.jsch.JSchException;
import opsbot.bot.chat.ChatNetwork;
import opsbot.bot.dispatch.Dispatcher;
import opsbot.bot.irc.IrcNetwork;
import opsbot.bot.matrix.MatrixNetwork;
import opsbot.bot.schedule.Schedule;
import opsbot.bot.store.Store;
import opsbot.commands.ssh.DryRunExecutor;
import opsbot.commands.ssh.Executor;
import opsbot.commands.ssh.FanOut;
import opsbot.commands.ssh.JschExecutor;
import opsbot.config.OpsbotConfig;

import java.sql.SQLException;
import java.time.Clock;

/** One running opsbot: store, executor, dispatcher and its chat networks, closed in reverse order. */
public final class Bot implements AutoCloseable {
    private final Store store;
    private final Schedule schedule;
    private final Dispatcher dispatcher;
    /** The HTTP intake, or null when the config has none. */
    private final opsbot.bot.intake.Intake intake;

    private Bot(Store store, Schedule schedule, Dispatcher dispatcher, opsbot.bot.intake.Intake intake) {
        this.store = store;
        this.schedule = schedule;
        this.dispatcher = dispatcher;
        this.intake = intake;
    }

    /**
     * Opens the store and executor; networks are attached by the caller (or {@link #withConfiguredNetworks}).
     *
     * @throws Store.Refused when the store is not private (its one-line reason is for the operator)
     */
    public static Bot create(OpsbotConfig cfg, boolean dryRun) throws SQLException, JSchException {
        Store store = Store.open(cfg.storage());
        Schedule schedule = null;
        try {
            Clock clock = Clock.systemUTC();
            Executor executor = dryRun || cfg.ssh() == null ? new DryRunExecutor() : new JschExecutor(cfg.ssh());
            FanOut fanOut = cfg.ssh() == null ? new FanOut(executor, 4) : new FanOut(executor, cfg.ssh());
            schedule = Schedule.create(store.pool(), clock);
            Dispatcher dispatcher = new Dispatcher(cfg, store, fanOut, clock);
            // Extensions register their timers' handlers here, before the schedule starts: what fell due while
            // the bot was down fires at start and must find its handler.
            opsbot.bot.check.Checks.install(cfg, dispatcher, schedule);
            opsbot.bot.followup.FollowUps.install(dispatcher, schedule);
            opsbot.bot.runbook.Runbooks.install(cfg, dispatcher, schedule, executor, executor instanceof DryRunExecutor);
            // The alerts are the intake's Folder and duty's AlertBook; without an intake there are none, and
            // !ack says so.
            opsbot.bot.alerts.Alerts alerts = cfg.intake() == null ? null : opsbot.bot.alerts.Alerts.install(cfg, dispatcher, schedule);
            opsbot.bot.duty.Duty.install(cfg, dispatcher, schedule, alerts);
            dispatcher.outbox().pruneOn(schedule); // old sent rows forgotten at start and hourly, in batches
            schedule.start();
            var intake = cfg.intake() == null ? null : opsbot.bot.intake.Intake.start(cfg.intake(), dispatcher, alerts);
            return new Bot(store, schedule, dispatcher, intake);
        } catch (JSchException | RuntimeException e) {
            if (schedule != null) {
                schedule.close();
            }
            store.close();
            throw e;
        }
    }

    /** Attaches the networks the config names. */
    public Bot withConfiguredNetworks(OpsbotConfig cfg) {
        if (cfg.irc() != null) {
            attach(new IrcNetwork(cfg.irc(), cfg.bot().prefix()));
        }
        if (cfg.matrix() != null) {
            attach(matrixNetwork(cfg));
        }
        return this;
    }

    /** The Matrix network with its sync token kept in this bot's store. */
    public MatrixNetwork matrixNetwork(OpsbotConfig cfg) {
        return new MatrixNetwork(cfg.matrix(), store::state, store::setState);
    }

    public Bot attach(ChatNetwork network) {
        dispatcher.attach(network);
        return this;
    }

    public Store store() {
        return store;
    }

    public Dispatcher dispatcher() {
        return dispatcher;
    }

    /** The bot's durable timers. */
    public Schedule schedule() {
        return schedule;
    }

    /** The intake (or null), e.g. for its port. */
    public opsbot.bot.intake.Intake intake() {
        return intake;
    }

    /**
     * The intake first (no new event; those in flight are stored), then chat lines, then timers (nothing new
     * starts), then the dispatcher (running commands finish), then the store.
     */
    @Override
    public void close() {
        if (intake != null) {
            intake.close();
        }
        dispatcher.stopHearing(); // no new line starts anything once the timers are gone
        schedule.close();
        dispatcher.close();
        store.close();
    }
}
