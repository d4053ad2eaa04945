package opsbot.bot.irc;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import org.kitteh.irc.client.library.Client;
import org.kitteh.irc.client.library.defaults.feature.network.NettyNetworkHandler;
import org.kitteh.irc.client.library.feature.network.ClientConnection;
import org.kitteh.irc.client.library.feature.network.NetworkHandler;
import org.kitteh.irc.client.library.feature.network.Resolver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Field;
import java.util.function.Predicate;

/**
 * Kitteh's own network handler, plus one stage in its Netty pipeline that takes PRIVMSG lines straight to
 * opsbot on the Netty thread that read them. Kitteh 9 hands every inbound line to an input thread of its
 * own before any listener sees it: one more thread wake-up per command, which on a small VM is most of a
 * {@code !ping}. Chat lines need nothing from Kitteh's state tracking, so they skip it; every other line
 * (and any PRIVMSG the handler declines, such as CTCP, or all of them while the server does not offer
 * {@code account-tag}) continues to Kitteh unchanged.
 *
 * <p>Like {@link InlineSender}, this reaches into Kitteh's connection (its channel future, and the name of
 * its last pipeline stage) and is pinned to the Kitteh version we build with by a test. If either is not
 * found, it logs why and Kitteh delivers the lines as before.
 */
final class FastInbound implements NetworkHandler {
    private static final Logger log = LoggerFactory.getLogger(FastInbound.class);
    static final String KITTEH_LAST_STAGE = "[INPUT] Send to client";
    private static final String STAGE = "[INPUT] opsbot chat lines";

    private final NetworkHandler kitteh = NettyNetworkHandler.getInstance();
    private final Predicate<Privmsg> take;
    private volatile boolean installed;

    /** @param take gets each chat line on the Netty thread; returns false to leave it to Kitteh */
    FastInbound(Predicate<Privmsg> take) {
        this.take = take;
    }

    /** Whether the last connection got the fast stage. */
    boolean installed() {
        return installed;
    }

    @Override
    public ClientConnection connect(Client.WithManagement client) {
        ClientConnection c = kitteh.connect(client);
        try {
            Field f = c.getClass().getDeclaredField("channelFuture");
            f.setAccessible(true);
            ChannelFuture connected = (ChannelFuture) f.get(c);
            // Kitteh builds its pipeline in a listener on this future; ours is added later, so runs after it.
            connected.addListener(done -> {
                if (done.isSuccess()) addStage(connected.channel().pipeline());
            });
        } catch (ReflectiveOperationException | RuntimeException e) {
            installed = false;
            log.warn("irc: cannot add the fast chat-line stage ({}); Kitteh delivers them", e.toString());
        }
        return c;
    }

    private void addStage(ChannelPipeline p) {
        if (p.get(KITTEH_LAST_STAGE) == null) {
            installed = false;
            log.warn("irc: Kitteh's pipeline has no '{}' stage; Kitteh delivers chat lines", KITTEH_LAST_STAGE);
            return;
        }
        p.addBefore(KITTEH_LAST_STAGE, STAGE, new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof String line) {
                    Privmsg m = Privmsg.parse(line);
                    try {
                        if (m != null && take.test(m)) return;
                    } catch (RuntimeException e) {
                        log.error("irc: chat line handling failed: {}", e.toString(), e);
                        return; // not handed on as well: a line must never be handled twice
                    }
                }
                ctx.fireChannelRead(msg);
            }
        });
        installed = true;
    }

    @Override
    public Resolver getResolver() {
        return kitteh.getResolver();
    }

    @Override
    public void setResolver(Resolver resolver) {
        kitteh.setResolver(resolver);
    }
}
