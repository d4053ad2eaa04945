package opsbot.config;

import java.time.Duration;
import java.util.List;

/**
 * The IRC network the bot sits on.
 *
 * @param truststore optional PKCS12 truststore for servers with a private CA or self-signed certificate;
 *                   hostname verification stays on either way
 * @param rateLimit  outgoing lines per second (a burst of the same size is allowed)
 */
public record IrcConfig(String server, Integer port, Boolean tls, String truststore, String truststorePassword,
                        String nick, Sasl sasl, List<String> channels, Double rateLimit,
                        Duration reconnectMax) {
    public IrcConfig {
        tls = tls == null ? Boolean.TRUE : tls;
        port = port == null ? (tls ? 6697 : 6667) : port;
        channels = channels == null ? List.of() : List.copyOf(channels);
        rateLimit = rateLimit == null ? 2.0 : rateLimit;
        reconnectMax = reconnectMax == null ? Duration.ofMinutes(5) : reconnectMax;
    }

    /** SASL PLAIN credentials: the bot's own services account. */
    public record Sasl(String account, String password) {
    }
}
