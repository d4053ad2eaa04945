package opsbot.bot.irc;

import net.engio.mbassy.listener.Handler;
import opsbot.bot.chat.ChatNetwork;
import opsbot.bot.chat.Inbound;
import opsbot.config.IrcConfig;
import org.kitteh.irc.client.library.Client;
import org.kitteh.irc.client.library.element.MessageTag;
import org.kitteh.irc.client.library.element.User;
import org.kitteh.irc.client.library.event.channel.ChannelJoinEvent;
import org.kitteh.irc.client.library.event.channel.ChannelKickEvent;
import org.kitteh.irc.client.library.event.channel.ChannelPartEvent;
import org.kitteh.irc.client.library.event.channel.ChannelMessageEvent;
import org.kitteh.irc.client.library.event.client.ClientNegotiationCompleteEvent;
import org.kitteh.irc.client.library.event.client.ClientReceiveNumericEvent;
import org.kitteh.irc.client.library.event.connection.ClientConnectionEndedEvent;
import org.kitteh.irc.client.library.event.helper.ServerMessageEvent;
import org.kitteh.irc.client.library.event.user.PrivateMessageEvent;
import org.kitteh.irc.client.library.event.user.WhoisEvent;
import org.kitteh.irc.client.library.feature.auth.SaslPlain;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.TrustManagerFactory;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * IRC through KittehIRCClientLib: TLS with hostname verification (Netty 4.2), SASL PLAIN, auto-join,
 * reconnect with capped exponential backoff forever, paced output.
 *
 * <p>Identity: the sender's services account from the IRCv3 {@code account} message tag. When the server
 * does not offer {@code account-tag}, the account tracked from extended-join / account-notify is used, and
 * failing that a WHOIS. No account means anonymous, whatever the nick.
 */
public final class IrcNetwork implements ChatNetwork {
    private static final Logger log = LoggerFactory.getLogger(IrcNetwork.class);
    private static final long WHOIS_WAIT_MS = 3000;

    private final IrcConfig cfg;
    private final Client client;
    private final Set<String> joined = ConcurrentHashMap.newKeySet();
    private final ConcurrentHashMap<String, CompletableFuture<String>> whois = new ConcurrentHashMap<>();
    private volatile Consumer<Inbound> inbox;
    private volatile int failures;
    private volatile boolean connected;
    private final boolean inlineSending;
    private final FastInbound fastInbound;
    private final ScheduledExecutorService upkeep = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "irc-upkeep");
        t.setDaemon(true);
        return t;
    });

    public IrcNetwork(IrcConfig cfg) {
        this.cfg = cfg;
        this.fastInbound = new FastInbound(this::takeFast);
        Client.Builder b = Client.builder()
                .nick(cfg.nick()).user(cfg.nick()).realName("opsbot")
                .management().messageSendingQueueSupplier(c -> new PacedSender(cfg.rateLimit()))
                .networkHandler(fastInbound).then()
                .listeners().exception(e -> log.warn("irc: {}", e.toString())).then();
        Client.Builder.Server s = b.server().host(cfg.server())
                .port(cfg.port(), cfg.tls() ? Client.Builder.Server.SecurityType.SECURE
                        : Client.Builder.Server.SecurityType.INSECURE);
        if (cfg.tls() && cfg.truststore() != null) {
            s.secureTrustManagerFactory(trust(cfg));
        }
        this.client = s.then().build();
        this.inlineSending = InlineSender.install(client);
        if (cfg.sasl() != null) {
            client.getAuthManager().addProtocol(new SaslPlain(client, cfg.sasl().account(), cfg.sasl().password()));
        }
        client.getEventManager().registerEventListener(this);
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
        client.addChannel(cfg.channels().toArray(new String[0]));
        client.connect();
        upkeep.scheduleWithFixedDelay(this::upkeep, 15, 15, TimeUnit.SECONDS);
    }

    /**
     * Keeps the bot where it belongs whatever happened meanwhile (reconnect, kick, a ghost holding its
     * nick after a netsplit): joins every configured channel it is not in, and takes its nick back.
     */
    private void upkeep() {
        if (!connected) {
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

    /**
     * A chat line, on the Netty thread that read it (see {@link FastInbound}). Taken only where the server
     * vouches for identity per message ({@code account-tag}); otherwise Kitteh's events deliver it, with the
     * tracked-account and WHOIS fallbacks.
     */
    private boolean takeFast(Privmsg m) {
        Consumer<Inbound> in = inbox;
        if (in == null || !serverVouches()) {
            return false;
        }
        if (m.nick().equalsIgnoreCase(client.getNick())) {
            return true; // our own line echoed back: nothing to do
        }
        String t = m.target();
        boolean channel = !t.isEmpty() && "#&+!".indexOf(t.charAt(0)) >= 0;
        if (!channel && !t.equalsIgnoreCase(client.getNick())) {
            return false; // e.g. a STATUSMSG like @#ops: Kitteh knows those
        }
        in.accept(new Inbound(name(), channel ? t : null, m.nick(), m.account(), m.text()));
        return true;
    }

    /** Whether chat lines reach opsbot on the Netty thread, skipping Kitteh's input thread; tests pin it. */
    public boolean fastInbound() {
        return fastInbound.installed();
    }

    /** Kitteh's client, for tests in this package that steer the connection (e.g. drop a capability). */
    Client kitteh() {
        return client;
    }

    /** Whether outgoing lines skip Kitteh's sender thread (see {@link InlineSender}); tests pin it. */
    public boolean inlineSending() {
        return inlineSending;
    }

    /** Whether the bot currently sits in the channel (tests and the benchmark wait for this). */
    public boolean isJoined(String channel) {
        return joined.contains(channel.toLowerCase(Locale.ROOT));
    }

    @Override
    public void send(String target, List<String> lines) {
        int budget = IrcLines.budget(target);
        for (String line : lines) {
            // Kitteh refuses CR/LF; chat text must never smuggle a second IRC command anyway.
            String safe = line.replaceAll("[\\r\\n\\x00]", " ");
            for (String part : IrcLines.split(safe, budget)) {
                client.sendMessage(target, part.isEmpty() ? " " : part);
            }
        }
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
        send(target, List.of(message.plain().split("\n")));
        return null;
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

    /** Whether the server tags each message with its sender's account ({@code account-tag}). */
    private boolean serverVouches() {
        return client.getCapabilityManager().getCapability("account-tag").isPresent();
    }

    private void deliver(ServerMessageEvent e, User user, String channel, String text) {
        if (user.getNick().equalsIgnoreCase(client.getNick()) || inbox == null) {
            return;
        }
        if (serverVouches()) {
            // The server vouches per message: no tag means not logged in.
            String account = e.getTag("account").flatMap(MessageTag::getValue).orElse(null);
            inbox.accept(new Inbound(name(), channel, user.getNick(), account, text));
            return;
        }
        String tracked = user.getAccount().orElse(null);
        if (tracked != null) {
            inbox.accept(new Inbound(name(), channel, user.getNick(), tracked, text));
            return;
        }
        String nick = user.getNick();
        log.debug("irc: no account known for {}; asking the server (WHOIS)", nick);
        Thread.ofVirtual().start(() -> inbox.accept(new Inbound(name(), channel, nick, whoisAccount(nick), text)));
    }

    /** Last resort: ask the server. Anything but a clear answer in time is anonymous. */
    private String whoisAccount(String nick) {
        CompletableFuture<String> f = whois.computeIfAbsent(nick.toLowerCase(Locale.ROOT), k -> {
            client.commands().whois().target(nick).execute();
            return new CompletableFuture<>();
        });
        try {
            return f.get(WHOIS_WAIT_MS, TimeUnit.MILLISECONDS);
        } catch (Exception ex) {
            return null;
        } finally {
            whois.remove(nick.toLowerCase(Locale.ROOT), f);
        }
    }

    @Handler
    public void onWhois(WhoisEvent e) {
        CompletableFuture<String> f = whois.get(e.getWhoisData().getNick().toLowerCase(Locale.ROOT));
        if (f != null) {
            f.complete(e.getWhoisData().getAccount().orElse(null));
        }
    }

    /** Errors about our own sends ("cannot send to channel", "no such nick") are worth a log line at 3am. */
    @Handler
    public void onNumeric(ClientReceiveNumericEvent e) {
        switch (e.getNumeric()) {
            case 401, 403, 404, 405, 442, 471, 473, 474, 475, 477, 433, 432 ->
                    log.warn("irc: server says {} {}", e.getNumeric(), String.join(" ", e.getParameters()));
            default -> {
            }
        }
    }

    @Handler
    public void onJoin(ChannelJoinEvent e) {
        if (e.getActor().getNick().equalsIgnoreCase(client.getNick())) {
            joined.add(e.getChannel().getName().toLowerCase(Locale.ROOT));
            log.info("irc: joined {}", e.getChannel().getName());
        }
    }

    @Handler
    public void onConnected(ClientNegotiationCompleteEvent e) {
        failures = 0;
        connected = true;
        log.info("irc: connected to {}:{} as {}", cfg.server(), cfg.port(), client.getNick());
        upkeep.execute(this::upkeep);
    }

    @Handler
    public void onPart(ChannelPartEvent e) {
        if (e.getActor().getNick().equalsIgnoreCase(client.getNick())) {
            joined.remove(e.getChannel().getName().toLowerCase(Locale.ROOT));
        }
    }

    @Handler
    public void onKick(ChannelKickEvent e) {
        if (e.getTarget().getNick().equalsIgnoreCase(client.getNick())) {
            joined.remove(e.getChannel().getName().toLowerCase(Locale.ROOT));
            log.warn("irc: kicked from {} by {}: {}", e.getChannel().getName(), e.getActor().getName(), e.getMessage());
        }
    }

    /** Reconnect forever, with capped exponential backoff and jitter so a restarted server isn't stampeded. */
    @Handler
    public void onConnectionEnded(ClientConnectionEndedEvent e) {
        connected = false;
        joined.clear();
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
    }
}
