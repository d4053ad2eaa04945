package opsbot.config;

import java.time.Duration;
import java.util.List;

/**
 * The IRC network the bot sits on.
 *
 * @param truststore optional PKCS12 truststore for servers with a private CA or self-signed certificate;
 *                   hostname verification stays on either way
 * @param rateLimit  outgoing lines per second (a burst of the same size is allowed)
 * @param incidentChannels channels (also listed in {@code channels}) that get one {@code [INC-7]} line per
 *                   incident entry
 */
public record IrcConfig(String server, Integer port, Boolean tls, String truststore, String truststorePassword,
                        String nick, Sasl sasl, List<String> channels, Double rateLimit,
                        Duration reconnectMax, List<String> incidentChannels) {
    public IrcConfig {
        tls = tls == null ? Boolean.TRUE : tls;
        port = port == null ? (tls ? 6697 : 6667) : port;
        channels = channels == null ? List.of() : List.copyOf(channels);
        rateLimit = rateLimit == null ? 2.0 : rateLimit;
        reconnectMax = reconnectMax == null ? Duration.ofMinutes(5) : reconnectMax;
        incidentChannels = incidentChannels == null ? List.of() : List.copyOf(incidentChannels);
    }

    public IrcConfig withTruststore(String path) {
        return new IrcConfig(server, port, tls, path, truststorePassword, nick, sasl, channels, rateLimit, reconnectMax,
                incidentChannels);
    }

    public IrcConfig withNick(String other) {
        return new IrcConfig(server, port, tls, truststore, truststorePassword, other, sasl, channels, rateLimit,
                reconnectMax, incidentChannels);
    }

    /** SASL PLAIN credentials: the bot's own services account. */
    public record Sasl(String account, String password) {
    }
}
