package opsbot.bot.dispatch;

import opsbot.bot.chat.ChatNetwork;
import opsbot.bot.chat.Inbound;
import opsbot.bot.incident.Actor;
import opsbot.bot.incident.Incidents;
import opsbot.bot.outbox.Outbox;
import opsbot.bot.store.Store;
import opsbot.commands.model.Inventory;
import opsbot.commands.model.Plan;
import opsbot.commands.policy.CommandRef;
import opsbot.commands.policy.Identity;
import opsbot.commands.policy.People;
import opsbot.commands.policy.Venue;
import opsbot.commands.ssh.FanOut;
import opsbot.config.CommandSpec;
import opsbot.config.OpsbotConfig;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * What an {@link Extension} may use of the bot: the same door, planner, confirmations, executor, incident log
 * and outbox as a chat command, so that a follow-up, a runbook step or a check walks the same road.
 */
public final class Toolbox {
    private final Dispatcher d;

    Toolbox(Dispatcher d) {
        this.d = d;
    }

    /** A declared command line, planned for someone in some place; or why not. */
    public sealed interface Planned {
        /** Allowed and bound: {@code line} as it was given (bounded), for logs and the incident. */
        record Ok(CommandSpec spec, Plan plan, String line) implements Planned {
        }

        /** @param decision for the attempts table: "denied" or "invalid" */
        record Refused(String decision, String reason) implements Planned {
        }
    }

    /**
     * Splits, looks up, authorizes (the one door, as {@code who} in {@code venue}) and binds a declared command
     * line such as {@code srv c4 start}. Call it again when the thing runs: people and rights may have changed.
     */
    public Planned plan(Identity who, Venue venue, String line) {
        return d.plan(who, venue, line);
    }

    /**
     * {@link #plan} for the bot's own work that the config declares (a health check): the config, not a chat
     * role, chose the command, so the door is asked about {@code asked} made from the declared command (the
     * check, with the command's kind) rather than about the command's own role. Everything else is the one
     * door as it is: the kind still counts, so in a venue of shared trust anything but a read is denied.
     */
    public Planned planAsBot(Identity who, Venue venue, String line, Function<CommandSpec, CommandRef> asked) {
        return d.plan(who, venue, line, asked);
    }

    /** The trust and shape of a place, as the door sees it ({@code channel} null: a private message). */
    public Venue venue(String network, String channel) {
        return new Venue(network, channel, channel == null ? null : d.cfg().trustOf(channel));
    }

    /**
     * Shows {@code what} and {@code prompt} to the asker and holds the action for their {@code !yes} (one per
     * person and place, like a command's confirmation, replacing an earlier one). On a timely {@code !yes} from
     * them, the door is asked again for {@code ref}; then {@code onYes} gets the confirming line.
     *
     * @param shown a plan whose hosts the attempts table records, or null
     */
    public void confirm(Request r, CommandRef ref, String what, Plan shown, List<String> prompt, Consumer<Inbound> onYes) {
        d.hold(r, ref, what, shown, prompt, onYes);
    }

    /** Runs a plan now, on the caller's thread, within the executor's bounds. */
    public List<FanOut.StepResult> run(Plan plan) {
        return d.fanOut().run(plan);
    }

    /** A plan's results as the chat shows them (a line per host, output bounded). */
    public static List<String> resultLines(Plan plan, List<FanOut.StepResult> results, Duration took) {
        return ResultFormat.lines(plan, results, took);
    }

    /** {@code compute4=0 compute5=unreachable}: a plan's results per host, as the attempts table keeps them. */
    public static String exitCodes(List<FanOut.StepResult> results) {
        return ResultFormat.exitCodes(results);
    }

    /** Replies where {@code in} was said, paged for its author. */
    public void reply(Inbound in, List<String> lines) {
        d.networks().reply(in, d.pager().page(Dispatcher.personKey(in), lines));
    }

    /** The incident-log author for a request. */
    public Actor actor(Request r) {
        return d.actor(r.in(), r.caller());
    }

    /** Opens an incident titled {@code title} if none is active, and tells the asker. */
    public void openIfNone(Request r, String title) {
        d.openIfNone(r.in(), r.caller(), title);
    }

    /** An attached network by name (to mention someone as it knows them), if attached. */
    public Optional<ChatNetwork> network(String name) {
        return Optional.ofNullable(d.networks().get(name));
    }

    public OpsbotConfig cfg() {
        return d.cfg();
    }

    public Store store() {
        return d.store();
    }

    public Clock clock() {
        return d.clock();
    }

    public Incidents incidents() {
        return d.incidents();
    }

    public Outbox outbox() {
        return d.outbox();
    }

    public Inventory inventory() {
        return d.inventory();
    }

    public People people() {
        return d.people();
    }

    /** The bot's Prometheus figures. */
    public opsbot.bot.metrics.Metrics metrics() {
        return d.metrics();
    }
}
