package opsbot.bot.dispatch;

import opsbot.bot.chat.ChatNetwork;
import opsbot.bot.chat.Inbound;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The attached chat networks by name: where replies and reactions go. A network not attached is silent. */
final class Networks implements AutoCloseable {
    private final Map<String, ChatNetwork> byName = new ConcurrentHashMap<>();

    void add(ChatNetwork network) {
        byName.put(network.name(), network);
    }

    ChatNetwork get(String name) {
        return byName.get(name);
    }

    /** The bot's own name on {@code network}, which people address it by. */
    String selfName(String network) {
        ChatNetwork net = byName.get(network);
        return net == null ? "opsbot" : net.selfName();
    }

    void reply(Inbound in, List<String> lines) {
        ChatNetwork net = byName.get(in.network());
        if (net != null && !lines.isEmpty()) {
            net.reply(in, lines);
        }
    }

    /** ✅ or ❌ on the command's own message, where the network has reactions. */
    void react(Inbound request, boolean ok) {
        ChatNetwork net = byName.get(request.network());
        if (net != null && request.messageId() != null) {
            net.react(request.replyTarget(), request.messageId(), ok ? "✅" : "❌");
        }
    }

    /** Each attached network, connected or not (the intake's health check). */
    Map<String, Boolean> connected() {
        Map<String, Boolean> out = new java.util.TreeMap<>();
        byName.forEach((name, net) -> out.put(name, net.connected()));
        return out;
    }

    @Override
    public void close() {
        byName.values().forEach(ChatNetwork::close);
    }
}
