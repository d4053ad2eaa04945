package opsbot.bot.irc;

import net.engio.mbassy.listener.Handler;
import opsbot.bot.chat.ChatNetwork;
import opsbot.bot.chat.Inbound;
import opsbot.commands.parse.Addressing;
import opsbot.commands.policy.Identity;
import opsbot.commands.model.Sanitize;
import opsbot.config.IrcConfig;
import org.kitteh.irc.client.library.Client;
import org.kitteh.irc.client.library.element.CapabilityState;
import org.kitteh.irc.client.library.element.MessageTag;
import org.kitteh.irc.client.library.element.User;
import org.kitteh.irc.client.library.event.channel.ChannelJoinEvent;
import org.kitteh.irc.client.library.event.channel.ChannelKickEvent;
import org.kitteh.irc.client.library.event.channel.ChannelMessageEvent;
import org.kitteh.irc.client.library.event.channel.ChannelPartEvent;
import org.kitteh.irc.client.library.event.capabilities.CapabilitiesAcknowledgedEvent;
import org.kitteh.irc.client.library.event.capabilities.CapabilitiesDeletedSupportedEvent;
import org.kitteh.irc.client.library.event.capabilities.CapabilitiesNewSupportedEvent;
import org.kitteh.irc.client.library.event.capabilities.CapabilitiesSupportedListEvent;
import org.kitteh.irc.client.library.event.client.ClientNegotiationCompleteEvent;
import org.kitteh.irc.client.library.event.client.ClientReceiveCommandEvent;
import org.kitteh.irc.client.library.event.client.ClientReceiveNumericEvent;
import org.kitteh.irc.client.library.event.connection.ClientConnectionEndedEvent;
import org.kitteh.irc.client.library.event.connection.ClientConnectionEstablishedEvent;
import org.kitteh.irc.client.library.event.helper.ServerMessageEvent;
import org.kitteh.irc.client.library.event.user.PrivateMessageEvent;
import org.kitteh.irc.client.library.feature.CapabilityManager;
import org.kitteh.irc.client.library.feature.auth.SaslPlain;
import org.kitteh.irc.client.library.feature.filter.CommandFilter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.TrustManagerFactory;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * IRC through KittehIRCClientLib, with its public API only: SASL PLAIN, reconnect with capped exponential
 * backoff forever, paced output. The connection is opsbot's own ({@link SocketNetworkHandler}, through Kitteh's
 * {@code NetworkHandler} extension point): TLS with hostname verification (the JDK's), no Netty.
 *
 * <p>Login first: with SASL configured the bot joins no channel until the server says it is logged in to
 * services. A login that fails, is refused, or cannot even be tried (the server offers no SASL, as while
 * services are down) is logged with its reason, and the bot disconnects and tries again with the same
 * backoff as any reconnect, until it succeeds. The channels are joined by opsbot itself (not Kitteh's
 * auto-join, which would join at registration whatever the login).
 *
 * <p>Identity: the sender's services account from the IRCv3 {@code account} message tag, where the connection
 * negotiated {@code account-tag}. When the server
 * does not offer {@code account-tag}, the account Kitteh tracks (extended-join, WHOX) is used only while
 * {@code account-notify} keeps it current; otherwise the server is asked with WHOIS, and the answer is bound
 * to the line that asked (see {@link WhoisGate}). No account means anonymous, whatever the nick.
 *
 * <p>Threads: the connection's reader thread reads each line and gives it to Kitteh (its input thread keeps
 * Kitteh's state and fires its events). A message with the server's {@code account} tag is handed to the
 * dispatcher's lanes by the reader thread itself ({@link #onLineRead}); every other message reaches opsbot
 * through Kitteh's events, on Kitteh's input thread, and is handed on there (one person's lines keep their
 * order across the two: see {@link #onLineRead}). Either way nothing slow runs on
 * a thread that reads: a lane (a virtual thread per person and place) works on the line. A reply goes out
 * all lines the rate limit allows as one write ({@link PacedSender}): written by the lane itself when the
 * connection's writer thread is idle (then the lane may wait for the socket, at most the stuck-write bound),
 * else handed to that thread. So a {@code !ping} from a logged-in person takes one thread hand-off (reader to
 * lane) where Kitteh's Netty connection took four, through five threads (Netty's event loop, Kitteh's input
 * thread, the lane, Kitteh's sending thread, Netty's event loop again).
 */
public final class IrcNetwork implements ChatNetwork {
    private static final Logger log = LoggerFactory.getLogger(IrcNetwork.class);
    private static final Duration WHOIS_WAIT = Duration.ofSeconds(3);
    /** How long an outbox post waits for its lines to reach the connection before it is taken back and retried. */
    private static final Duration POST_WAIT = Duration.ofSeconds(30);
    /** A connection that is not registered this long after it was made (e.g. SASL never answered) is retried. */
    private static final Duration REGISTRATION_WAIT = Duration.ofSeconds(30);
    private final Duration registrationWait;
    /** Of one reply, this many IRC lines are urgent; the rest of a longer one is bulk (see {@link PacedSender}). */
    static final int URGENT_LINES = 4;

    private final IrcConfig cfg;
    private final String prefix;
    private final Client client;
    private final SocketNetworkHandler network;
    /** Joined channels: lower case to the name as the server spells it (one lane and incident key per channel). */
    private final Map<String, String> joined = new ConcurrentHashMap<>();
    /** Joined channels whose users (and accounts) the server has told since the join: nameOf can find people. */
    private final Set<String> usersKnown = ConcurrentHashMap.newKeySet();
    private volatile Consumer<Inbound> inbox;
    private volatile PacedSender paced;
    private final WhoisGate whois;
    private volatile int failures;
    /** Registered, and logged in where SASL is configured: only then are channels joined. */
    private volatile boolean ready;
    private volatile boolean registered;
    /** The services account the server says the bot is logged in to on this connection, or null. */
    private volatile String loggedInAs;
    private volatile String saslFailure;
    private volatile int connection;
    /**
     * Raw lines the reader thread handed on itself, each as often as it did: Kitteh's thread skips exactly
     * these (each line once) instead of guessing from the line. Bounded: when full, the reader claims no more
     * (Kitteh's thread delivers those lines) until Kitteh's thread has caught up; a claim is never forgotten.
     */
    private final Map<String, Integer> claimed = new ConcurrentHashMap<>();
    /** The bound of {@link #claimed} (tests: a small one). */
    volatile int maxClaimed = 10_000;
    /** Told once per time the claims were full (reader thread only). */
    private boolean claimsFull;
    /** Counted PRIVMSGs the reader passed to Kitteh that Kitteh's thread has not finished with (see {@link #onLineRead}). */
    private final java.util.concurrent.atomic.AtomicInteger unseen = new java.util.concurrent.atomic.AtomicInteger();
    /** Whether a count of {@link #unseen} below 0 was logged (Kitteh's thread only). */
    private boolean unseenTold;
    /**
     * Capabilities the server withdrew (CAP DEL) on this connection, as Kitteh's thread saw them, in the order of
     * the lines: Kitteh takes a withdrawn capability off its supported list only, so its enabled list still has
     * it. Emptied at each connection's CAP LS; a capability leaves it when the server acknowledges it again.
     */
    private final Set<String> withdrawn = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService upkeep = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "irc-upkeep");
        t.setDaemon(true);
        return t;
    });

    public IrcNetwork(IrcConfig cfg) {
        this(cfg, "!");
    }

    /** @param prefix the bot's command prefix: only lines meant for the bot are worth a WHOIS */
    public IrcNetwork(IrcConfig cfg, String prefix) {
        this(cfg, REGISTRATION_WAIT, prefix);
    }

    /** With a shorter registration wait, for tests. */
    IrcNetwork(IrcConfig cfg, Duration registrationWait) {
        this(cfg, registrationWait, SocketConnection.Timeouts.DEFAULT);
    }

    /** With a shorter registration wait and the connection's own timeouts, for tests. */
    IrcNetwork(IrcConfig cfg, Duration registrationWait, SocketConnection.Timeouts timeouts) {
        this(cfg, registrationWait, "!", timeouts);
    }

    private IrcNetwork(IrcConfig cfg, Duration registrationWait, String prefix) {
        this(cfg, registrationWait, prefix, SocketConnection.Timeouts.DEFAULT);
    }

    private IrcNetwork(IrcConfig cfg, Duration registrationWait, String prefix, SocketConnection.Timeouts timeouts) {
        this.cfg = cfg;
        this.prefix = prefix;
        this.registrationWait = registrationWait;
        this.network = new SocketNetworkHandler(timeouts, () -> {
            ConnectionView view = new ConnectionView(); // one per connection, on its reader thread only
            return line -> onLineRead(view, line);
        });
        Client.Builder b = Client.builder()
                .nick(cfg.nick()).user(cfg.nick()).realName("opsbot")
                .management().networkHandler(network)
                .messageSendingQueueSupplier(c -> paced = new PacedSender(cfg.rateLimit(), network)).then()
                .listeners().exception(e -> log.warn("irc: {}", Sanitize.forLog(e.toString(), 1000))).then();
        Client.Builder.Server s = b.server().host(cfg.server())
                .port(cfg.port(), cfg.tls() ? Client.Builder.Server.SecurityType.SECURE
                        : Client.Builder.Server.SecurityType.INSECURE);
        if (cfg.tls() && cfg.truststore() != null) {
            s.secureTrustManagerFactory(trust(cfg));
        }
        this.client = s.then().build();
        freshLogin();
        this.whois = new WhoisGate(nick -> client.sendRawLine("WHOIS " + nick), upkeep, WHOIS_WAIT, 16, 256);
        client.getEventManager().registerEventListener(this);
    }

    /**
     * A new SASL login for the next connection. Kitteh's keeps its state across connections: one whose
     * AUTHENTICATE was never answered (services died meanwhile) would never try again, nor end the
     * negotiation; replacing it (the auth manager keeps one per kind) starts each connection afresh.
     */
    private void freshLogin() {
        if (cfg.sasl() != null) {
            client.getAuthManager().addProtocol(new SaslPlain(client, cfg.sasl().account(), cfg.sasl().password()));
        }
    }

    private static TrustManagerFactory trust(IrcConfig cfg) {
        try (InputStream in = Files.newInputStream(Path.of(cfg.truststore()))) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            char[] pw = cfg.truststorePassword() == null ? new char[0] : cfg.truststorePassword().toCharArray();
            ks.load(in, pw);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            return tmf;
        } catch (Exception e) {
            throw new IllegalStateException("cannot load IRC truststore " + cfg.truststore() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String name() {
        return "irc";
    }

    @Override
    public void start(Consumer<Inbound> inbox) {
        this.inbox = inbox;
        client.connect();
        upkeep.scheduleWithFixedDelay(this::upkeep, 15, 15, TimeUnit.SECONDS);
    }

    /**
     * Keeps the bot where it belongs whatever happened meanwhile (reconnect, kick, a ghost holding its
     * nick after a netsplit): joins every configured channel it is not in, and takes its nick back. Only
     * once logged in.
     */
    private void upkeep() {
        if (!ready) {
            return;
        }
        try {
            for (String ch : cfg.channels()) {
                if (!isJoined(ch)) {
                    client.sendRawLine("JOIN " + ch);
                }
            }
            if (!client.getNick().equalsIgnoreCase(cfg.nick())) {
                client.setNick(cfg.nick());
            }
        } catch (RuntimeException e) {
            log.warn("irc: upkeep failed: {}", e.toString());
        }
    }

    @Override
    public String selfName() {
        return client.getNick();
    }

    /** Kitteh's client, for tests in this package that steer the connection (e.g. drop a capability). */
    Client kitteh() {
        return client;
    }

    /** How many lines Kitteh's thread has yet to finish that hold up the reader's fast path (tests). */
    int unseen() {
        return unseen.get();
    }

    /** The sending queue, for tests in this package (e.g. to start it as Kitteh may at the wrong time). */
    PacedSender sender() {
        return paced;
    }

    /** The connection's handler, for tests in this package (e.g. a small socket buffer, to fill it quickly). */
    SocketNetworkHandler network() {
        return network;
    }

    /** Whether the bot currently sits in the channel (tests and the benchmark wait for this). */
    public boolean isJoined(String channel) {
        return joined.containsKey(channel.toLowerCase(Locale.ROOT));
    }

    /** Whether the server said this connection is logged in to services (tests). */
    public boolean loggedIn() {
        return loggedInAs != null;
    }

    /**
     * The nick of a user logged in to {@code who}'s account in one of the bot's channels, as Kitteh tracks them
     * (extended-join, WHOX, nick changes); only while the server tells of every login and logout
     * ({@code account-notify}), as for identity. Else {@code lastNick}: a nick is only where to write, never who.
     */
    @Override
    public String nameOf(Identity who, String lastNick) {
        if (!(who instanceof Identity.IrcAccount a) || !ready || !enabled(CapabilityManager.Defaults.ACCOUNT_NOTIFY)) {
            return lastNick;
        }
        try {
            for (org.kitteh.irc.client.library.element.Channel ch : client.getChannels()) {
                for (User u : ch.getUsers()) {
                    if (u.getAccount().filter(a.account()::equalsIgnoreCase).isPresent()) {
                        return u.getNick();
                    }
                }
            }
        } catch (RuntimeException e) {
            log.warn("irc: cannot look up the nick of {}: {}", Sanitize.forLog(a.account()), e.toString());
        }
        return lastNick;
    }

    /**
     * Queues lines as PRIVMSGs, cut to IRC's line limit. The first {@link #URGENT_LINES} IRC lines of a send
     * are urgent, the rest bulk: short answers and confirmations overtake the tail of long output.
     */
    @Override
    public void send(String target, List<String> lines) {
        if (target.isEmpty() || !target.equals(target.replaceAll("[\\s\\x00]", ""))) {
            log.warn("irc: not sending to an invalid target '{}'", target.replaceAll("\\p{Cntrl}", "?"));
            return;
        }
        PacedSender out = paced;
        int budget = IrcLines.budget(target);
        List<String> raws = new java.util.ArrayList<>();
        for (String line : lines) {
            // Chat text must never smuggle a second IRC command.
            String safe = line.replaceAll("[\\r\\n\\x00]", " ");
            for (String part : IrcLines.split(safe, budget)) {
                raws.add("PRIVMSG " + target + " :" + (part.isEmpty() ? " " : part));
            }
        }
        // One call for the whole reply: the lines the rate limit allows now go out in one write (one TCP segment
        // where they fit), so that the server does not relay the second line behind the reader's delayed ACK.
        int dropped = out.queueReply(raws, URGENT_LINES);
        if (dropped > 0) {
            log.warn("irc: send queue full; {} lines to {} not sent", dropped, target);
            out.queueNotice(target, "(" + (dropped == raws.size() ? "this output of " + dropped + " lines was"
                    : "the last " + dropped + " lines of this output were") + " not sent: too much output is waiting to be sent)");
        }
    }

    /** A PRIVMSG to {@code target} is one line of at most 512 bytes with the server's prefix ({@link IrcLines}). */
    @Override
    public int lineBytes(String target) {
        return IrcLines.budget(target);
    }

    /**
     * Outbox posts (the incident feed): refused while the bot is not in the channel (disconnected, not
     * logged in and joined again yet), so the outbox keeps the line and retries instead of losing it.
     */
    @Override
    public String post(String target, opsbot.bot.chat.Message message, String thread, String key) {
        if (target.startsWith("#") && !isJoined(target)) {
            throw new PostFailed("not in " + target + " (yet)", null);
        }
        // Returns only once every line was handed to the connection, so that the outbox marks the row sent only
        // then: a line still waiting at the rate limit when the bot stops or the connection drops is not lost.
        // Given up after POST_WAIT: the unsent lines are taken back and the whole post is tried again later.
        PacedSender out = paced;
        if (out == null) {
            throw new PostFailed("not connected yet", null);
        }
        List<String> raws = new java.util.ArrayList<>();
        int budget = IrcLines.budget(target);
        for (String line : message.plain().split("\n")) {
            for (String part : IrcLines.split(line.replaceAll("[\\r\\x00]", " "), budget)) {
                raws.add("PRIVMSG " + target + " :" + (part.isEmpty() ? " " : part));
            }
        }
        List<java.util.concurrent.CompletableFuture<Void>> written = raws.stream().map(out::queueTracked).toList();
        try {
            java.util.concurrent.CompletableFuture.allOf(written.toArray(new java.util.concurrent.CompletableFuture[0]))
                    .get(POST_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            return null;
        } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
            raws.forEach(out::withdraw);
            throw new PostFailed("not written to " + target + " within " + POST_WAIT.toSeconds() + "s: "
                    + (e.getCause() != null ? e.getCause().getMessage() : "still waiting at the rate limit"), e);
        } catch (InterruptedException e) {
            raws.forEach(out::withdraw);
            Thread.currentThread().interrupt();
            throw new PostFailed("interrupted", e);
        }
    }

    @Handler
    public void onChannelMessage(ChannelMessageEvent e) {
        deliver(e, e.getActor(), e.getChannel().getName(), e.getMessage());
    }

    @Handler
    public void onPrivateMessage(PrivateMessageEvent e) {
        if (e.isToClient()) {
            deliver(e, e.getActor(), null, e.getMessage());
        }
    }

    /**
     * Whether the capability is in use on this connection as of the line Kitteh's thread is at: acknowledged, and
     * not withdrawn by the server since. Fails closed: a withdrawn {@code account-tag} means no account from a
     * tag (identity falls back to tracking or WHOIS) until the server offers it again and acknowledges the
     * bot's new request, or a reconnect.
     */
    private boolean enabled(String capability) {
        return !withdrawn.contains(capability.toLowerCase(Locale.ROOT))
                && client.getCapabilityManager().getCapability(capability).isPresent();
    }

    /** A new connection's capability negotiation: nothing withdrawn on it yet. */
    @Handler
    public void onCapLs(CapabilitiesSupportedListEvent e) {
        withdrawn.clear();
    }

    @Handler
    public void onCapDel(CapabilitiesDeletedSupportedEvent e) {
        for (CapabilityState c : e.getDeletedCapabilities()) {
            withdrawn.add(c.getName().toLowerCase(Locale.ROOT));
            log.warn("irc: the server withdrew the capability {}", Sanitize.forLog(c.getName()));
        }
    }

    /**
     * The server offers a capability it withdrew before: asked for again (Kitteh does not, as it still counts it
     * enabled). Until the server acknowledges it, it stays withdrawn.
     */
    @Handler
    public void onCapNew(CapabilitiesNewSupportedEvent e) {
        List<String> again = e.getNewCapabilities().stream().map(CapabilityState::getName)
                .filter(n -> withdrawn.contains(n.toLowerCase(Locale.ROOT))).toList();
        if (!again.isEmpty()) {
            var req = client.commands().capabilityRequest();
            again.forEach(req::enable);
            req.execute();
        }
    }

    @Handler
    public void onCapAck(CapabilitiesAcknowledgedEvent e) {
        for (CapabilityState c : e.getAcknowledgedCapabilities()) {
            if (!c.isDisabled()) {
                withdrawn.remove(c.getName().toLowerCase(Locale.ROOT));
            }
        }
    }

    /**
     * On the connection's reader thread, before Kitteh sees the line: a message that carries the server's
     * {@code account} tag ({@link TaggedMessage}), on a connection that negotiated {@code account-tag}, needs
     * nothing else to say who sent it, so it is handed to the dispatcher's lanes from here, one thread hand-off
     * sooner than through Kitteh's events (its input thread). Only from {@code nick!user@host}, to a channel the
     * bot is in (named as the server named it at the join) or to the bot's own nick: anything else is left to
     * Kitteh's events and checks. Kitteh still gets the line for its own state; {@link #deliver} leaves exactly
     * the lines claimed here alone. Nothing slow happens here: a lane takes the line or answers "busy" off this
     * thread.
     *
     * <p>Order. Two threads hand lines to the lanes, this one and Kitteh's input thread, which works through the
     * lines read some time later. Two rules keep the order in which lines were read:
     * <ul>
     * <li>Whether the fast path is open is decided from the stream alone ({@link ConnectionView}: account-tag
     *     acknowledged at registration, the bot's nick, its channels, all as of this very line, per connection),
     *     never from Kitteh's state, which lags the reader: a line Kitteh has yet to handle cannot be overtaken
     *     because Kitteh has not yet seen the bot's own JOIN, 001 or NICK before it.</li>
     * <li>{@link #unseen} counts the PRIVMSGs this thread passed to Kitteh without claiming them, that Kitteh has
     *     not finished with yet (each may become a line on a lane there, even one {@link TaggedMessage} refuses).
     *     Kitteh's thread counts each down once it is done with it ({@link #seen}, after every other handler of
     *     the line, the delivery included). The fast path is taken only while the count is 0: then every earlier
     *     line has reached its lane, and this one cannot overtake it. Both sides count the same lines
     *     ({@link IrcLines#countable}, a function of the line alone), and Kitteh raises its event for every one of
     *     them, so each count up has exactly one count down. While Kitteh's thread is behind (a burst of untagged
     *     lines), tagged lines simply go its way too.</li>
     * </ul>
     */
    private void onLineRead(ConnectionView view, String line) {
        view.see(line);
        if (!IrcLines.countable(line)) {
            return;
        }
        boolean fast = false;
        try {
            fast = fastPath(view, line);
        } catch (RuntimeException e) { // never lose count: Kitteh's thread counts this line down either way
            log.warn("irc: the reader could not look at a line; it goes through Kitteh: {}", e.toString());
        } finally {
            if (!fast) {
                unseen.incrementAndGet();
            }
        }
    }

    /** Hands the line to the lanes from the reader thread, and claims it so that Kitteh's thread does not; or false. */
    private boolean fastPath(ConnectionView view, String line) {
        Consumer<Inbound> in = inbox;
        String self = view.nick();
        if (in == null || !view.tagTrusted() || self == null || unseen.get() != 0) {
            return false;
        }
        TaggedMessage m = TaggedMessage.parse(line);
        if (m == null || m.nick().equalsIgnoreCase(self)) {
            return false;
        }
        String channel = null;
        if (m.toChannel()) {
            channel = view.joined(m.target());
            if (channel == null) {
                return false;
            }
        } else if (!m.target().equalsIgnoreCase(self)) {
            return false;
        }
        if (claimed.size() >= maxClaimed) {
            // Kitteh's thread is far behind: leave lines to it (never forget a claim, or a line would run twice).
            if (!claimsFull) {
                claimsFull = true;
                log.warn("irc: {} lines handed on by the reader are not yet seen by Kitteh; leaving the next ones to Kitteh",
                        claimed.size());
            }
            return false;
        }
        claimsFull = false;
        Inbound heard = new Inbound(name(), channel, m.nick(), Identity.irc(name(), m.nick(), m.account()), m.text());
        claimed.merge(line, 1, Integer::sum);
        try {
            in.accept(heard);
        } catch (RuntimeException e) {
            unclaim(line); // Kitteh has not seen it yet (it gets the line after this hook): it delivers it then
            throw e;
        }
        return true;
    }

    /**
     * Last of every handler of a line's command event on Kitteh's thread (after its delivery): a line the reader
     * claimed is no longer claimed, any other counted line is no longer {@link #unseen}. Each countable line
     * has exactly one such event (see {@link IrcLines#countable}), whether Kitteh delivered it or dropped it.
     */
    @Handler(priority = Integer.MIN_VALUE)
    public void seen(ClientReceiveCommandEvent e) {
        String raw = e.getServerMessage().getMessage();
        if (IrcLines.countable(raw) && !unclaim(raw) && unseen.decrementAndGet() < 0 && !unseenTold) {
            unseenTold = true; // a bug: the fast path would stay off; said once
            log.warn("irc: more lines seen by Kitteh than counted by the reader; the reader's fast path is off");
        }
    }

    /** Whether the reader thread handed this raw line on (then it is no longer counted). */
    private boolean unclaim(String raw) {
        boolean[] was = {false};
        claimed.computeIfPresent(raw, (k, n) -> {
            was[0] = true;
            return n > 1 ? n - 1 : null;
        });
        return was[0];
    }

    /** On Kitteh's input thread: establishes who said it, and hands the line on without waiting. */
    private void deliver(ServerMessageEvent e, User user, String channel, String text) {
        Consumer<Inbound> in = inbox;
        String nick = user.getNick();
        // Claimed lines are all before any line counted in unseen in Kitteh's queue (a claim needs unseen at 0),
        // so a claim of this very text is this line's. The claim is dropped in seen(), whatever happens here.
        if (in == null || claimed.containsKey(e.getSource().getMessage()) || nick.equalsIgnoreCase(client.getNick())) {
            return; // already handed on by the reader thread (onLineRead), or not for us
        }
        if (enabled(CapabilityManager.Defaults.ACCOUNT_TAG)) {
            // The server vouches per message: no tag means not logged in.
            String account = e.getTag("account").flatMap(MessageTag::getValue).orElse(null);
            in.accept(new Inbound(name(), channel, nick, Identity.irc(name(), nick, account), text));
            return;
        }
        // A tracked account is current only while the server tells of every login and logout.
        String known = enabled(CapabilityManager.Defaults.ACCOUNT_NOTIFY) ? user.getAccount().orElse(null) : null;
        if (known == null && new Addressing(prefix, client.getNick()).commandText(text, channel == null) == null) {
            // Not meant for the bot, so who said it does not matter: no WHOIS (and no send token) for chatter.
            in.accept(new Inbound(name(), channel, nick, Identity.irc(name(), nick, null), text));
            return;
        }
        WhoisGate.Outcome o = whois.offer(nick, user.getUserString() + "@" + user.getHost(), known,
                account -> in.accept(new Inbound(name(), channel, nick, Identity.irc(name(), nick, account), text)));
        if (o == WhoisGate.Outcome.REFUSED) {
            log.warn("irc: too many lines from {} waiting for WHOIS; not taking more for now", nick);
            send(channel != null ? channel : nick, List.of(nick + ": too many lines at once while I ask the server"
                    + " who you are; some were not taken (say them again in a moment)"));
        }
    }

    /** NICK and QUIT: a nick that changes hands voids WHOIS answers for lines said under it before. */
    @CommandFilter("NICK")
    @CommandFilter("QUIT")
    @Handler
    public void onNickOrQuit(ClientReceiveCommandEvent e) {
        String from = senderNick(e.getRawMessage());
        if (from != null) {
            whois.changed(from);
        }
        if (e.getCommand().equalsIgnoreCase("NICK") && !e.getParameters().isEmpty()) {
            whois.changed(e.getParameters().get(0));
        }
    }

    private static String senderNick(String raw) {
        return IrcLines.senderNick(raw);
    }

    @Handler
    public void onNumeric(ClientReceiveNumericEvent e) {
        List<String> p = e.getParameters();
        switch (e.getNumeric()) {
            case 311 -> { // RPL_WHOISUSER me nick user host * :real name
                if (p.size() >= 4) whois.user(p.get(1), p.get(2), p.get(3));
            }
            case 330 -> { // RPL_WHOISACCOUNT me nick account :is logged in as
                if (p.size() >= 3) whois.account(p.get(1), p.get(2));
            }
            case 318 -> { // RPL_ENDOFWHOIS
                if (p.size() >= 2) whois.end(p.get(1));
            }
            case 401 -> { // ERR_NOSUCHNICK: for a WHOIS, or for one of our sends
                if (p.size() >= 2) whois.end(p.get(1));
                log.info("irc: server says 401 {}", Sanitize.forLog(String.join(" ", p)));
            }
            case 900 -> { // RPL_LOGGEDIN me nick!user@host account :You are now logged in as ...
                loggedInAs = p.size() >= 3 ? p.get(2) : "?";
                log.info("irc: logged in to services as {}", loggedInAs);
            }
            case 901 -> { // RPL_LOGGEDOUT
                loggedInAs = null;
                if (cfg.sasl() != null && ready) {
                    log.warn("irc: logged out of services ({}); leaving the network to log in again", last(p));
                    ready = false;
                    client.reconnect("logged out of services");
                }
            }
            case 902, 904, 905, 906, 907, 908 -> saslFailure = e.getNumeric() + " " + last(p);
            case 403, 404, 405, 442, 471, 473, 474, 475, 477, 433, 432 ->
                    log.warn("irc: server says {} {}", e.getNumeric(), Sanitize.forLog(String.join(" ", p)));
            default -> {
            }
        }
    }

    private static String last(List<String> p) {
        return p.isEmpty() ? "" : p.get(p.size() - 1);
    }

    @Handler
    public void onJoin(ChannelJoinEvent e) {
        if (e.getActor().getNick().equalsIgnoreCase(client.getNick())) {
            joined.put(e.getChannel().getName().toLowerCase(Locale.ROOT), e.getChannel().getName());
            usersKnown.remove(e.getChannel().getName().toLowerCase(Locale.ROOT));
            log.info("irc: joined {}", e.getChannel().getName());
        }
    }

    /** The server answered the WHO that follows a join: who is in the channel, with their accounts. */
    @Handler
    public void onUsersUpdated(org.kitteh.irc.client.library.event.channel.ChannelUsersUpdatedEvent e) {
        usersKnown.add(e.getChannel().getName().toLowerCase(Locale.ROOT));
    }

    @Override
    public boolean knowsWhoIsWhere() {
        return ready && !joined.isEmpty() && usersKnown.containsAll(joined.keySet());
    }

    /** A new connection: nothing is known of its login yet; it must register within the wait. */
    @Handler
    public void onEstablished(ClientConnectionEstablishedEvent e) {
        int attempt = ++connection;
        loggedInAs = null;
        saslFailure = null;
        registered = false;
        upkeep.schedule(() -> {
            if (connection == attempt && !registered) {
                log.warn("irc: not registered {} ms after connecting (no answer to the login?); connecting again",
                        registrationWait.toMillis());
                client.reconnect("registration timed out");
            }
        }, registrationWait.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Registered, and logged in to services where SASL is configured. */
    @Override
    public boolean connected() {
        return ready;
    }

    /** Registered (004). With SASL configured, channels are joined only once the server said we are logged in. */
    @Handler
    public void onConnected(ClientNegotiationCompleteEvent e) {
        registered = true;
        if (cfg.sasl() != null && loggedInAs == null) {
            log.warn("irc: connected to {}:{} as {} but not logged in to services: {}; joining no channel, leaving"
                    + " to try again", cfg.server(), cfg.port(), client.getNick(), whyNotLoggedIn());
            client.reconnect("not logged in to services; trying again");
            return;
        }
        failures = 0;
        ready = true;
        log.info("irc: connected to {}:{} as {}{}", cfg.server(), cfg.port(), client.getNick(),
                loggedInAs == null ? "" : ", logged in as " + loggedInAs);
        // The JOINs go to the connection's writer now, before Kitteh starts the sending queue (right after this
        // event): lines waiting there since the last connection (a reply put back, the "may not have been sent"
        // notice) then reach the server after the JOIN, not before it, where a +n channel would refuse them.
        network.writeFirst(cfg.channels().stream().map(ch -> "JOIN " + ch).toList());
    }

    private String whyNotLoggedIn() {
        if (saslFailure != null) {
            return "SASL failed (" + saslFailure + ")";
        }
        var sasl = client.getCapabilityManager().getSupportedCapability(CapabilityManager.Defaults.SASL);
        if (sasl.isEmpty()) {
            return "the server does not offer SASL now (are services down?)";
        }
        String mechanisms = sasl.get().getValue().orElse("");
        if (!mechanisms.isEmpty() && !mechanisms.toUpperCase(Locale.ROOT).contains("PLAIN")) {
            return "the server's SASL does not offer PLAIN (it offers " + mechanisms + ")";
        }
        return "no answer to the SASL login";
    }

    @Handler
    public void onPart(ChannelPartEvent e) {
        if (e.getActor().getNick().equalsIgnoreCase(client.getNick())) {
            joined.remove(e.getChannel().getName().toLowerCase(Locale.ROOT));
            usersKnown.remove(e.getChannel().getName().toLowerCase(Locale.ROOT));
        }
    }

    @Handler
    public void onKick(ChannelKickEvent e) {
        if (e.getTarget().getNick().equalsIgnoreCase(client.getNick())) {
            joined.remove(e.getChannel().getName().toLowerCase(Locale.ROOT));
            usersKnown.remove(e.getChannel().getName().toLowerCase(Locale.ROOT));
            log.warn("irc: kicked from {} by {}: {}", e.getChannel().getName(), Sanitize.forLog(e.getActor().getName()),
                    Sanitize.forLog(e.getMessage())); // the reason is chat text
        }
    }

    /** Reconnect forever, with capped exponential backoff and jitter so a restarted server isn't stampeded. */
    @Handler
    public void onConnectionEnded(ClientConnectionEndedEvent e) {
        ready = false;
        registered = false;
        loggedInAs = null;
        joined.clear();
        usersKnown.clear();
        whois.reset();
        freshLogin();
        int n = Math.min(failures++, 10);
        long base = Math.min(cfg.reconnectMax().toMillis(), 1000L << n);
        long delay = base / 2 + ThreadLocalRandom.current().nextLong(base / 2 + 1);
        String why = e.getCause().map(Throwable::toString).orElse("closed");
        if (e.canAttemptReconnect()) {
            log.warn("irc: connection ended ({}); reconnecting in {} ms", why, delay);
            e.setAttemptReconnect(true);
            e.setReconnectionDelay((int) delay);
        } else {
            log.info("irc: disconnected ({})", why);
        }
    }

    @Override
    public void close() {
        upkeep.shutdownNow();
        client.shutdown("opsbot stopping");
        network.stop();
    }
}
